"""What an output is: the format names, and how ``--output`` (or ``outputs:`` in
policycheck.yaml) names a format and a file. Light, for the command line's options."""

from __future__ import annotations

from pathlib import Path

from policycheck.errors import did_you_mean

#: Every output format; the renderers themselves live in ``policycheck.formats``.
FORMAT_NAMES = ("text", "json", "csv", "xlsx", "sarif", "junit", "github", "markdown")
#: The format of an output named by its file alone (``--output findings.json``), by the
#: file's extension; ``github`` has none of its own and is always named.
OUTPUT_SUFFIXES = {".json": "json", ".sarif": "sarif", ".csv": "csv", ".xlsx": "xlsx",
                   ".xml": "junit", ".md": "markdown", ".markdown": "markdown",
                   ".txt": "text"}


def output_spec(item: str) -> tuple[str, str]:
    """The format and the file of an output: ``FORMAT:FILE``, or a ``FILE`` whose
    extension names its format (``OUTPUT_SUFFIXES``: ``findings.json``,
    ``results.sarif``). Raises ValueError saying what was expected."""
    fmt, found, target = item.partition(":")
    if found and fmt in FORMAT_NAMES and target:
        return fmt, target
    if found and fmt in FORMAT_NAMES:  # and no file after it
        raise ValueError(OUTPUT_EXPECTED)
    # a word before a colon is a format misspelt; a drive letter (C:\\out.json) is not
    if found and len(fmt) > 1 and fmt.isalpha():
        raise ValueError(f"{OUTPUT_EXPECTED}{did_you_mean(fmt, FORMAT_NAMES)}")
    name = Path(item).name.lower()
    if name.endswith(".sarif.json"):  # the other name GitHub's SARIF files go by
        return "sarif", item
    suffix = Path(name).suffix
    if suffix in OUTPUT_SUFFIXES and name != suffix:
        return OUTPUT_SUFFIXES[suffix], item
    hint = ("; the leadership report is written by 'policycheck report PATHS -o FILE.html'"
            if suffix in (".html", ".htm") else "")
    raise ValueError(OUTPUT_EXPECTED + hint)


def suffixes_said() -> str:
    """``.json, ..., .xml (junit), .md or .markdown (markdown), ...``: each format's
    extensions, with its name where they do not say it."""
    said = []
    for fmt in dict.fromkeys(OUTPUT_SUFFIXES.values()):
        suffixes = [s for s, f in OUTPUT_SUFFIXES.items() if f == fmt]
        said.append(" or ".join(suffixes) + ("" if suffixes == ["." + fmt] else f" ({fmt})"))
    return ", ".join(said)


#: What an output is, as said when one is not.
OUTPUT_EXPECTED = (f"expected FORMAT:FILE with FORMAT one of {', '.join(FORMAT_NAMES)}, or "
                   f"a FILE ending in {suffixes_said()}")
