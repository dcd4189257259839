"""The SARIF results of a whole findings frame, encoded column by column.

Each value is encoded once per distinct value, and the results are joined row by row by
Arrow, into the same bytes as ``sarif.result`` of each record indented as ``dumps`` indents
it inside the document (``sarif._render_plain``, the reference way, which the tests compare
with). A value only the reference way writes raises ``jsontext.Unsupported``, and the caller
goes that way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.codes import per_distinct_typed
from policycheck.formats.arrowtext import (
    distinct_mapped,
    entity_words,
    piece,
    text_columns,
    word,
)
from policycheck.formats.cells import SEVERITY_LEVELS, SUPPRESSED, status_reason
from policycheck.formats.jsontext import (
    Unsupported,
    distinct_texts,
    dumps,
    encode_str,
    string_texts,
)
from policycheck.formats.sarifartifacts import SRCROOT, Artifacts
from policycheck.streams import Piece

# A result as ``dumps`` indents it inside the document: the constant text before each of
# its values (see ``result``).
INDENT = " " * 8
_SEPARATORS = [s.replace("\n", "\n" + INDENT) for s in (
    ',\n{\n  "ruleId": ',  # after the previous result; then the rule id (and index)
    ',\n  "level": ',
    ',\n  "message": {\n    "text": ',
    '\n  },\n  "locations": [\n    {\n      "physicalLocation": {\n'
    '        "artifactLocation": {\n          "uri": ',
    '\n        },\n        "region": {\n          "startLine": ',
    ',\n          "startColumn": ',
    ',\n          "endLine": ',
    ',\n          "endColumn": ',
    '\n        }\n      }\n    }\n  ],\n  "partialFingerprints": {\n'
    '    "policycheck/v1": ',
    '\n  },\n  "properties": {\n    "severity": ',
    ',\n    "plan_id": ',
    ',\n    "scope": ',
    ',\n    "entity_id": ',
    ',\n    "status": ',
    ',\n    "headcount": ',
    ',\n    "pay_at_stake": ',
    ',\n    "sheet": ',
    '\n  }',  # then the suppression of a waived or baselined finding, if any
)]
_SUPPRESSION = (',\n  "suppressions": [\n    {\n      "kind": "external",\n'
                '      "status": "accepted",\n      "justification": ').replace("\n", "\n" + INDENT)
_CLOSING = ("\n    }\n  ]").replace("\n", "\n" + INDENT)
_RESULT_END = "\n" + INDENT + "}"


def _scalar(value: Any) -> str:
    """A plain value as ``dumps`` writes it; anything else goes the reference way."""
    if value is None or type(value) in (str, int, float, bool):
        return dumps(value)
    raise Unsupported(type(value).__name__)


#: The findings columns a result shows as text, and those it shows with ``str`` (a
#: missing one as "None", which only the reference way writes).
_TEXT = ("rule_id", "severity", "plan_id", "scope", "entity_id", "message", "src_file",
         "src_sheet", "status", "waiver", "fingerprint")
_SHOWN = ("rule_id", "severity", "plan_id", "scope", "message", "src_file")
#: The result's properties read from the findings columns of the same name.
_PROPERTIES = ("severity", "plan_id", "scope", "entity_id", "status", "headcount",
               "pay_at_stake")


def results(findings: pd.DataFrame, rule_index: dict[str, int],
             artifacts: Artifacts | None = None) -> Piece:
    """``result`` of every finding, encoded column by column (each value that repeats
    once per distinct value) and joined row by row by Arrow."""
    artifacts = Artifacts() if artifacts is None else artifacts
    found = text_columns(findings, _TEXT, _SHOWN)
    if found is None:
        raise Unsupported("a value only the reference way writes")
    text, line_no, col_no = found
    line, column = (pc.cast(pc.max_element_wise(n, 1), pa.large_string())
                    for n in (line_no, col_no))
    end_column = pc.cast(pc.add(pc.max_element_wise(col_no, 1), 1), pa.large_string())
    message = pc.binary_join_element_wise(
        word("plan '"), text["plan_id"], word("'"), entity_words(text["scope"],
                                                                text["entity_id"]),
        word(": "), text["message"], word(""))
    status = pc.fill_null(text["status"], "")
    pieces = [
        _per_distinct(text["rule_id"], lambda r: _scalar(r) + (
            f',\n{INDENT}  "ruleIndex": {rule_index[r]}' if r in rule_index else "")),
        _per_distinct(text["severity"], lambda s: encode_str(SEVERITY_LEVELS[s])),
        string_texts(message, b""),
        _per_distinct(text["src_file"], lambda f: _artifact_location(artifacts, f)),
        line, column, line, end_column,
        string_texts(text["fingerprint"], b""),
        *(_property(findings, name) for name in _PROPERTIES),
        _per_distinct(text["src_sheet"], lambda s: _scalar(s or None)),
        _suppressions(status, text["waiver"]),
    ]
    parts = [part for sep, piece in zip(_SEPARATORS, pieces, strict=True)
             for part in (pa.scalar(sep.encode(), pa.large_binary()),
                          piece.cast(pa.large_binary()))]
    return piece(pc.binary_join_element_wise(
        *parts, pa.scalar(_RESULT_END.encode(), pa.large_binary()),
        pa.scalar(b"", pa.large_binary())))


def _artifact_location(artifacts: Artifacts, file: Any) -> str:
    """The ``artifactLocation``'s members after ``"uri": `` as ``dumps`` writes them."""
    uri, based = artifacts.uri(file)
    return _scalar(uri) + (_URI_BASE if based else "")


_URI_BASE = f',\n{INDENT}          "uriBaseId": {encode_str(SRCROOT)}'


def _per_distinct(text: pa.Array, encode: Callable[[Any], str]) -> pa.Array:
    """``encode`` of each text (None for a missing one), worked out once per distinct text."""
    return distinct_mapped(text, lambda distinct: pa.array(
        list(map(encode, distinct.to_pylist())), type=pa.large_string()))


def _property(findings: pd.DataFrame, name: str) -> pa.Array:
    """A findings column as the result's properties hold it (``jsontext.column_texts``)."""
    found = distinct_texts(findings[name], INDENT, name in ("headcount", "pay_at_stake"))
    if found is None:
        raise Unsupported(f"{name}: a value only the reference way writes")
    codes, encoded = found
    return pa.array([*encoded, "null"], type=pa.large_string()).take(
        pa.array(np.where(codes < 0, len(encoded), codes)))


def _suppressions(status: pa.Array, waiver: pa.Array) -> pa.Array:
    """The suppression of each waived or baselined finding, nothing for the others."""
    suppressed = pc.is_in(status, pa.array(SUPPRESSED, pa.large_string()))
    rows = np.flatnonzero(suppressed.to_numpy(zero_copy_only=False))
    none = pa.repeat(pa.scalar("", pa.large_string()), len(status))
    if not len(rows):
        return none
    chosen = pa.array(rows)
    texts = per_distinct_typed(list(zip(status.take(chosen).to_pylist(),
                                        waiver.take(chosen).to_pylist(), strict=True)),
                               lambda pair: _suppression(*pair))
    return pc.replace_with_mask(none, suppressed, pa.array(texts, type=pa.large_string()))


def _suppression(status: Any, waiver: Any) -> str:
    reason = status_reason({"status": status, "waiver": waiver})
    return _SUPPRESSION + encode_str(reason) + _CLOSING
