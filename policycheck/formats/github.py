"""GitHub Actions workflow commands: one annotation per finding, then the summary.

``::error file=F,line=L,col=C,title=RULE::plan 'p': message``, with ``error`` for critical
and high, ``warning`` for medium and ``notice`` for low and info (the SARIF levels). Waived
and baselined findings are not annotated; problems of invalid inputs are, as errors. Data is
escaped as GitHub's runner unescapes it (``%``, CR, LF), property values also ``:`` and
``,``. Pay is redacted by default.

GitHub resolves ``file`` from the repository root: a file inside a git work tree is named by
its path from the root of that work tree, whatever the current folder, as SARIF names it
(``paths.RepoPaths``); any other file as it was given.
"""

# No ``from __future__ import annotations``: the module defines a function of that name.
from collections.abc import Iterable, Iterator
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.engine import severity_ranks
from policycheck.errors import Location, Problem
from policycheck.formats.arrowtext import (
    POSITION,
    distinct_mapped,
    entity_words,
    piece,
    replaced,
    replaced_array,
    shown_number,
    text_columns,
    unless_empty,
    word,
)
from policycheck.formats.cells import SEVERITY_LEVELS, SUPPRESSED, plain_column
from policycheck.formats.paths import RepoPaths, is_option
from policycheck.formats.text_format import escaped_column, escaped_text, summary
from policycheck.report import Report
from policycheck.streams import Piece

COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}


#: What ``escape_data`` replaces, in order; ``escape_property`` replaces these and more.
_DATA = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY = (*_DATA, (":", "%3A"), (",", "%2C"))


def escape_data(text: object) -> str:
    """A message as the runner reads it back, its control and hidden characters shown as
    escapes, as the text output shows them (``text_format.CONTROLS``)."""
    return escaped_text(replaced(str(text), _DATA))


def escape_property(text: object) -> str:
    return replaced(str(text), _PROPERTY)


def command(kind: str, location: Location, title: str, message: str) -> str:
    if is_option(location.file):  # no file to annotate: the run's summary shows it
        location, message = Location(""), f"{location.file}: {message}"
    properties = {"file": location.file or None, "line": location.line or None,
                  "col": location.column or None, "title": title}
    shown = ",".join(f"{k}={escape_property(v)}" for k, v in properties.items()
                     if v is not None)
    return f"::{kind} {shown}::{escape_data(message)}"


def annotation(row: dict[str, Any], paths: RepoPaths | None = None) -> str:
    paths = RepoPaths() if paths is None else paths
    return _annotation(*(row.get(name) for name in _COLUMNS), paths=paths)


_COLUMNS = ("src_file", "src_line", "src_col", "src_sheet", "severity", "rule_id", "plan_id",
            "scope", "entity_id", "message")


def annotations(findings: pd.DataFrame, paths: RepoPaths | None = None) -> list[str]:
    """``annotation`` of every finding that is not waived or baselined, each column read
    once (a million findings are too many to make records of)."""
    paths = RepoPaths() if paths is None else paths
    built = annotation_array(findings, paths=paths)
    if built is not None:
        return cast(list[str], built.to_pylist())
    columns = [plain_column(findings, name) for name in _COLUMNS]
    shown = [status not in SUPPRESSED for status in plain_column(findings, "status")]
    rows = zip(*columns, strict=True)
    return [_annotation(*values, paths=paths)
            for values, show in zip(rows, shown, strict=True) if show]


def _annotation(file: Any, line: Any, column: Any, sheet: Any, severity: Any, rule_id: Any,
                plan_id: Any, scope: Any, entity_id: Any, message: Any, *,
                paths: RepoPaths) -> str:
    file = paths.name(file) if isinstance(file, str) else str(file)
    location = Location(file, "", int(line or 0), int(column or 0))
    sheet = f"[{sheet}] " if sheet else ""
    entity = f" {scope} '{entity_id}'" if entity_id else ""
    return command(COMMANDS[SEVERITY_LEVELS[severity]], location, str(rule_id),
                   f"{sheet}{severity}: plan '{plan_id}'{entity}: {message}")


def annotation_array(findings: pd.DataFrame, end: str = "", paths: RepoPaths | None = None
                     ) -> pa.Array | None:
    """``annotation`` of every finding that is not waived or baselined, followed by ``end``,
    built column by column by Arrow; None when a column holds a value only ``_annotation``
    writes (text missing where it shows, anything but text, a severity it does not know)."""
    paths = RepoPaths() if paths is None else paths
    found = text_columns(findings, _TEXT, ("src_file", "severity", "rule_id", "plan_id",
                                           "scope", "message"))
    if found is None:
        return None
    text, line_no, col_no = found
    known = pc.is_in(text["severity"], pa.array(list(SEVERITY_LEVELS)))
    if not pc.all(known, min_count=0).as_py():
        return None
    keep = pc.invert(pc.fill_null(pc.is_in(text["status"], pa.array(SUPPRESSED)), False))
    if not pc.all(keep, min_count=0).as_py():
        text = {name: array.filter(keep) for name, array in text.items()}
        line_no, col_no = line_no.filter(keep), col_no.filter(keep)
    levels = pa.array([COMMANDS[level] for level in SEVERITY_LEVELS.values()],
                      type=pa.large_string())
    kind = pc.take(levels, pc.index_in(text["severity"], pa.array(list(SEVERITY_LEVELS))))
    return pc.binary_join_element_wise(
        word("::"), kind, word(" file="), _file_property(text["src_file"], paths),
        shown_number(pc.not_equal(line_no, 0), ",line=", line_no),
        shown_number(pc.not_equal(col_no, 0), ",col=", col_no),
        word(",title="), _property(text["rule_id"]), word("::"),
        escaped_column(replaced_array(_message(text), _DATA)), word(end), word(""))


#: The text columns of an annotation, and the status that says whether it is shown.
_TEXT = (*(name for name in _COLUMNS if name not in POSITION), "status")


def _message(text: dict[str, pa.Array]) -> pa.Array:
    """An annotation's message: ``[sheet] severity: plan 'p' scope 'entity': message``."""
    sheet = pc.fill_null(text["src_sheet"], "")
    return pc.binary_join_element_wise(
        unless_empty(sheet, word("["), sheet, word("] ")), text["severity"],
        word(": plan '"), text["plan_id"], word("'"),
        entity_words(text["scope"], text["entity_id"]), word(": "), text["message"],
        word(""))


def _property(text: pa.Array) -> pa.Array:
    """``escape_property`` of each text, worked out once per distinct text (file names and
    rule ids repeat)."""
    return distinct_mapped(text, lambda distinct: replaced_array(distinct, _PROPERTY))


def _file_property(files: pa.Array, paths: RepoPaths) -> pa.Array:
    """``escape_property`` of each file's name (``RepoPaths.name``), worked out once per
    distinct file."""
    return distinct_mapped(files, lambda distinct: replaced_array(paths.named_each(distinct),
                                                                  _PROPERTY))


def problem_annotations(problems: Iterable[Problem], paths: RepoPaths | None = None
                        ) -> list[str]:
    """An annotation of each problem: an error or a warning at its place."""
    paths = RepoPaths() if paths is None else paths
    return [command("error" if p.severity == "error" else "warning", paths.location(p.location),
                    f"policycheck {p.code}", p.message) for p in problems]


#: Findings annotated at a time in the stream.
CHUNK = 50_000


def chunks(report: Report) -> Iterator[Piece]:
    """The annotations in UTF-8 pieces: the problems', the findings' ``CHUNK`` at a time,
    then the summary; each piece ends its last line. The findings go most severe first (in
    the report's order within a severity): GitHub shows the first 10 annotations of each
    kind in a step, and a critical one should be among them before a high one."""
    paths = RepoPaths()
    if report.problems:
        yield "".join(line + "\n" for line in problem_annotations(report.problems, paths)
                      ).encode("utf-8")
    findings = report.findings
    ranks = severity_ranks(findings["severity"]) if len(findings) else np.zeros(0)
    if not (ranks[1:] >= ranks[:-1]).all():  # NaN, a severity it does not know: last
        findings = findings.iloc[np.argsort(ranks, kind="stable")]
    for start in range(0, len(findings), CHUNK):
        part = findings.iloc[start:start + CHUNK]
        built = annotation_array(part, end="\n", paths=paths)
        if built is None:  # a value only the one-by-one way writes
            yield "".join(line + "\n" for line in annotations(part, paths)).encode("utf-8")
            continue
        yield piece(built)
    yield (summary(report) + "\n").encode("utf-8")


def render(report: Report) -> str:
    return b"".join(chunks(report)).decode("utf-8")
