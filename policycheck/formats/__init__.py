"""Output formats: each a pure function ``render(report) -> str`` (or bytes for binary
formats), listed in one dict. Adding a format is one module and one line here. A format whose
output grows with the findings may also give its text in pieces (``STREAMS``), so that a
writer never holds a gigabyte report whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from policycheck.findings import fill_fingerprints
from policycheck.formats import (
    csv_format,
    github,
    json_format,
    junit,
    markdown,
    sarif,
    text_format,
    xlsx_format,
)
from policycheck.report import Report
from policycheck.streams import Piece

FORMATS: dict[str, Callable[[Report], str | bytes]] = {
    "text": text_format.render,
    "json": json_format.render,
    "csv": csv_format.render,
    "xlsx": xlsx_format.render,
    "sarif": sarif.render,
    "junit": junit.render,
    "github": github.render,
    "markdown": markdown.render,
}
#: Formats that can also be written piece by piece, as UTF-8:
#: ``b"".join(STREAMS[f](r)).decode() == render(r)``.
STREAMS: dict[str, Callable[[Report], Iterator[Piece]]] = {
    "text": text_format.chunks,
    "json": json_format.chunks,
    "csv": csv_format.chunks,
    "sarif": sarif.chunks,
    "junit": junit.chunks,
    "github": github.chunks,
}
#: Formats that show each plan's pressure profile (``Report.profiles``): a run that writes
#: none of them need not work it out.
PROFILED: frozenset[str] = frozenset({"xlsx", "markdown"})
#: Formats that show each finding's fingerprint: a run that writes none of them leaves the
#: fingerprints missing (``pipeline.check(fingerprints=False)``); they are filled once, in
#: the report's own frame, before a redacted copy is made.
FINGERPRINTED: frozenset[str] = frozenset({"json", "csv", "xlsx", "sarif"})
#: Formats whose output leaves the company (code scanning, PR comments): pay redacted.
REDACT_BY_DEFAULT: frozenset[str] = frozenset({"sarif", "github", "markdown"})
#: Formats that show a few of many findings, and redact only those:
#: ``REDACTING[f](r) == FORMATS[f](redact(r))``.
REDACTING: dict[str, Callable[[Report], str | bytes]] = {
    "markdown": markdown.render_redacted,
}
#: Streamed formats that hold some of many findings, and redact only those:
#: ``b"".join(REDACTING_STREAMS[f](r)) == b"".join(STREAMS[f](redact(r)))``.
REDACTING_STREAMS: dict[str, Callable[[Report], Iterator[Piece]]] = {
    "sarif": sarif.redacted_chunks,
}


def left_out(report: Report, fmt: str) -> str | None:
    """What an output of ``fmt`` leaves out of ``report``, in words for the user (None when
    it holds everything): a SARIF file holds at most ``sarif.MAX_RESULTS`` results."""
    if fmt == "sarif" and len(report.findings) > sarif.MAX_RESULTS:
        return sarif.left_out(len(report.findings))
    return None


def render(report: Report, fmt: str, redact: bool | None = None) -> str | bytes:
    """Render ``report`` in ``fmt``; ``redact`` None means the format's default."""
    if fmt in REDACTING and _redacting(fmt, redact):
        return REDACTING[fmt](_filled(report, fmt))
    if fmt in REDACTING_STREAMS and _redacting(fmt, redact):
        return b"".join(REDACTING_STREAMS[fmt](report)).decode("utf-8")
    return FORMATS[fmt](_redacted(report, fmt, redact))


def render_bytes(report: Report, fmt: str, redact: bool | None = None) -> Iterator[Piece]:
    """``render`` as UTF-8 bytes, in pieces where the format streams."""
    if fmt not in STREAMS:
        data = render(report, fmt, redact)
        yield data if isinstance(data, bytes) else data.encode("utf-8")
        return
    if not _redacting(fmt, redact):
        # the stream fingerprints its findings part by part (findings.encoded_parts),
        # so that its first piece is out before the last fingerprint is made
        yield from STREAMS[fmt](report)
        return
    if fmt in REDACTING_STREAMS:  # fingerprints made for the findings it holds only
        yield from REDACTING_STREAMS[fmt](report)
        return
    yield from STREAMS[fmt](_redacted(report, fmt, redact))


def _redacting(fmt: str, redact: bool | None) -> bool:
    return fmt in REDACT_BY_DEFAULT if redact is None else redact


def _filled(report: Report, fmt: str) -> Report:
    if fmt in FINGERPRINTED:
        fill_fingerprints(report.findings)
    return report


def _redacted(report: Report, fmt: str, redact: bool | None) -> Report:
    report = _filled(report, fmt)
    if not _redacting(fmt, redact):
        return report
    from policycheck.formats.redact import redact as redacted

    return redacted(report)
