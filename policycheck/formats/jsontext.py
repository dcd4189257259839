"""JSON text exactly as ``json.dumps(value, indent=2, ensure_ascii=False)`` writes it, made
fast for what reports hold: json's indenting encoder is pure Python, so plain values go
through json's C encoders and whole columns are encoded once per distinct value. Any value
these encoders do not know raises ``Unsupported``, and the caller falls back to json.dumps
(tests assert the same bytes)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.formats.arrowtext import rows_holding
from policycheck.wording import is_missing


def number(value: Any) -> Any:
    """A number as a report writes it: missing (None, NA, NaN) as None, a whole float as
    an int."""
    if is_missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


encode_str = json.encoder.encode_basestring  # the C encoder json.dumps uses (no ASCII escaping)
ascii_str = json.encoder.encode_basestring_ascii  # json's C encoder for ensure_ascii
#: json's C encoder of containers (None where the interpreter has no C accelerator).
_c_encoder = json.encoder.c_make_encoder  # type: ignore[attr-defined]  # not in typeshed


class Unsupported(TypeError):
    """A value json.dumps would refuse or treat differently: use json.dumps itself."""


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any, text: Callable[[str], str] = encode_str) -> str:
    if isinstance(key, str):
        return text(key)
    if key is True or key is False or key is None:
        return '"' + {True: "true", False: "false", None: "null"}[key] + '"'
    if isinstance(key, float):
        return '"' + _float(key) + '"'
    if isinstance(key, int):
        return '"' + int.__repr__(key) + '"'
    raise Unsupported(type(key).__name__)


def encode(value: Any, indent: str, text: Callable[[str], str] = encode_str) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=False)`` at an indentation, for the plain
    values a report holds; json's own indenting encoder is pure Python and took most of the
    time of a large report (byte-identical output is asserted in tests/test_formats.py).
    ``text`` encodes a string: json's ASCII encoder for ``ensure_ascii=True``."""
    if isinstance(value, str):
        return text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    inner = indent + "  "
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ("{\n" + ",\n".join(inner + _key(k, text) + ": " + encode(v, inner, text)
                                     for k, v in value.items()) + "\n" + indent + "}")
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        table = _records(value, inner, text) if len(value) >= _RECORDS_FROM else None
        return "[\n" + (table if table is not None else ",\n".join(
            inner + encode(v, inner, text) for v in value)) + "\n" + indent + "]"
    raise Unsupported(type(value).__name__)


#: A list this long of flat mappings with the same keys is encoded a key at a time.
_RECORDS_FROM = 32
#: The plain types besides text a key's values may have, each with its encoder (text is
#: encoded by the caller's ``text``).
_SCALARS: dict[type, Callable[[Any], str]] = {
    int: int.__repr__, bool: lambda v: "true" if v else "false",
    type(None): lambda v: "null", float: lambda v: _float(v)}


def _records(items: list[Any] | tuple[Any, ...], indent: str,
             text: Callable[[str], str]) -> str | None:
    """The items of a list at ``indent``, when they are mappings with the same keys and
    plain values (a report's problems): each value encoded once per distinct value of its
    key, each item made by one format. None for any other list."""
    first = items[0]
    if type(first) is not dict or not first:
        return None
    keys = tuple(first)
    if not all(type(key) is str for key in keys):  # 1 == True: text keys compare exactly
        return None
    if not all(type(item) is dict and len(item) == len(keys) and tuple(item) == keys
               for item in items):
        return None
    columns = []
    for key in keys:
        values = [item[key] for item in items]
        kinds = set(map(type, values))
        if not kinds - {str} <= _SCALARS.keys():
            return None
        if kinds == {str}:  # text repeats (files, codes, fields): each distinct one once
            memo = {value: text(value) for value in set(values)}
            columns.append([memo[value] for value in values])
        else:
            columns.append([text(value) if type(value) is str else _SCALARS[type(value)](value)
                            for value in values])
    inner = indent + "  "
    template = (indent + "{\n" + ",\n".join(inner + _key(k, text) + ": \0" for k in keys)
                + "\n" + indent + "}").replace("{", "{{").replace("}", "}}").replace("\0", "{}")
    return ",\n".join(map(template.format, *columns))


def dumps(value: Any, ensure_ascii: bool = False) -> str:
    """``json.dumps(value, indent=2, ensure_ascii=ensure_ascii)``, fast for the plain values
    reports hold (json's indenting encoder is pure Python)."""
    try:
        return encode(value, "", ascii_str if ensure_ascii else encode_str)
    except Unsupported:
        return json.dumps(value, indent=2, ensure_ascii=ensure_ascii)


#: The characters json's string encoder escapes when it keeps non-ASCII text as it is.
_ESCAPED = r'["\\\x00-\x1f]'
_ESCAPED_UTF8 = (b'"', b"\\", *(bytes([byte]) for byte in range(0x20)))


def string_texts(array: pa.Array, prefix: bytes) -> pa.Array:
    """Each value of an Arrow text array as a JSON string after ``prefix``, in UTF-8 (a
    missing one as null), as Arrow binary. Arrow puts the quotes around every text with
    nothing to escape; the few others go through json's own string encoder."""
    start = prefix.decode("utf-8")
    text = functools.partial(pa.scalar, type=array.type)
    quoted = pc.binary_join_element_wise(text(start + '"'), array, text('"'), text(""))
    texts = pc.if_else(array.is_null(), text(start + "null"), quoted).cast(pa.large_binary())
    positions = rows_holding(array, _ESCAPED_UTF8, most=len(array) // 4)
    if positions is None:  # many to escape: matched row by row
        escaping = pc.fill_null(pc.match_substring_regex(array, _ESCAPED), False)
        positions = np.flatnonzero(escaping.to_numpy(zero_copy_only=False))
    if not len(positions):
        return texts
    escape = np.zeros(len(array), dtype=bool)
    escape[positions] = True
    values = array.take(pa.array(positions, type=pa.int64())).to_pylist()
    escaped = [(start + encode_str(value)).encode("utf-8") for value in values]
    return pc.replace_with_mask(texts, pa.array(escape),
                                pa.array(escaped, type=pa.large_binary()))


def column_texts(series: pd.Series, indent: str, numeric: bool = False) -> list[str]:
    """Encode a findings column; missing values are null."""
    found = distinct_texts(series, indent, numeric)
    if found is None:
        return [value_text(v, indent, numeric) for v in series.tolist()]
    codes, encoded = found
    return np.array([*encoded, "null"], dtype=object)[codes].tolist()


def distinct_texts(series: pd.Series, indent: str,
                    numeric: bool) -> tuple[np.ndarray, list[str]] | None:
    """The codes of a column's values and each distinct value encoded once, when the column
    is all text or all numbers (factorize would take 1, 1.0 and True for one value in a
    mixed column); None otherwise. Most columns repeat a few values."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # a few texts, each encoded once
        categories = series.cat.categories
        if pd.api.types.infer_dtype(categories, skipna=True) != "string":
            return None
        return (series.cat.codes.to_numpy(dtype=np.int64),
                list(map(encode_str, categories.tolist())))
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in ("string", "empty", "integer", "floating", "mixed-integer-float"):
        return None
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if kind == "string":
        encoded = list(map(encode_str, np.asarray(uniques, dtype=object).tolist()))
    elif kind == "integer" and pd.api.types.is_integer_dtype(series.dtype):  # line numbers
        encoded = np.asarray(uniques, dtype=np.int64).astype(str).tolist()
    elif kind == "floating" and numeric:
        encoded = _number_texts(np.asarray(uniques, dtype=np.float64))
    else:
        encoded = [encode(number(plain(u)) if numeric else plain(u), indent)
                   for u in np.asarray(uniques, dtype=object).tolist()]
    return codes, encoded


def _number_texts(values: np.ndarray) -> list[str]:
    """Floats as ``number`` writes them (a whole number as an int), for a whole column."""
    whole = np.isfinite(values) & (np.trunc(values) == values)
    small = whole & (np.abs(values) < 2.0**62)  # exact in int64
    out = np.empty(len(values), dtype=object)
    out[small] = values[small].astype(np.int64).astype(str).tolist()
    out[whole & ~small] = [str(int(v)) for v in values[whole & ~small].tolist()]
    out[~whole] = [_float(v) for v in values[~whole].tolist()]
    return out.tolist()


def plain(value: Any) -> Any:
    """A numpy scalar (from factorize) as the Python value ``astype(object)`` gives."""
    return value.item() if isinstance(value, np.generic) else value


def value_text(value: Any, indent: str, numeric: bool = False) -> str:
    if is_missing(value):
        return "null"
    if numeric:
        value = number(value)
    if type(value) is dict and value and all(type(v) in SCALARS for v in value.values()):
        # A flat mapping (most evidence): json's C encoder, with the indentation as the
        # item separator, writes exactly what the indenting encoder would.
        inner = indent + "  "
        text = _flat_encoder(inner).encode(value)
        return "{\n" + inner + text[1:-1] + "\n" + indent + "}"
    return encode(value, indent)


#: The types of the values json's C encoder writes exactly as the indenting encoder does.
SCALARS = frozenset({str, int, float, bool, type(None)})


def flat_mappings(values: list[Any]) -> np.ndarray:
    """Which values are mappings of plain values only (most evidence): those json's C
    encoder can write a whole batch of at once."""
    return np.array([type(v) is dict and SCALARS.issuperset(map(type, v.values()))
                     for v in values], dtype=bool)


@functools.lru_cache(maxsize=8)
def _flat_encoder(inner: str) -> json.JSONEncoder:
    return json.JSONEncoder(ensure_ascii=False, separators=(",\n" + inner, ": "))


@functools.lru_cache(maxsize=8)
def batch_encoder(key_separator: str, item_separator: str) -> Callable[[Any, int], Any] | None:
    """json's C encoder of containers with these separators (None without the C
    accelerator). With a raw newline in ``item_separator``, a batch of flat mappings encoded
    in one call splits back exactly: JSON text escapes the newlines of strings, so every raw
    one is a separator."""
    if _c_encoder is None:
        return None
    return _c_encoder(None, None, encode_str, None, key_separator, item_separator, False,
                      False, True)


def evidence_texts(values: list[Any], indent: str, prefix: bytes = b"") -> list[bytes]:
    """Evidence mappings encoded at ``indent``, as UTF-8 after ``prefix``. Flat mappings
    (most evidence) go through json's C encoder in one call, with the indentation as the
    item separator; the raw newlines of that text are separators only (JSON strings escape
    theirs, and UTF-8 never uses an ASCII byte inside another character), so it splits back
    into one text per finding exactly."""
    inner = indent + "  "
    mask = flat_mappings(values)
    encoder = batch_encoder(": ", ",\n" + inner)
    lists = batch_encoder(": ", ",\n" + inner + "  ")
    if encoder is None or lists is None or not mask.any():
        return [prefix + value_text(v, indent).encode("utf-8") for v in values]
    chosen = np.fromiter(values, dtype=object, count=len(values))
    text = "".join(encoder(chosen[mask].tolist(), 0)).encode("utf-8")
    opened, closed = prefix + ("{\n" + inner).encode(), ("\n" + indent + "}").encode()
    empty = prefix + b"{}"
    out = np.empty(len(values), dtype=object)
    out[mask] = [opened + body + closed if body else empty
                 for body in text[2:-2].split(("},\n" + inner + "{").encode())]
    out[~mask] = [prefix + (_nested(v, indent, lists) if type(v) is dict
                            else value_text(v, indent)).encode("utf-8")
                  for v in chosen[~mask].tolist()]
    return out.tolist()


def _nested(value: dict[Any, Any], indent: str, lists: Callable[[Any, int], Any]) -> str:
    """``encode`` of a mapping, with its lists of plain values (list evidence) written by
    json's C encoder, the indentation as the item separator."""
    inner = indent + "  "
    items = []
    for key, item in value.items():
        if type(item) is list and item and SCALARS.issuperset(map(type, item)):
            text = "[\n" + inner + "  " + "".join(lists(item, 0))[1:-1] + "\n" + inner + "]"
        else:
            text = encode(item, inner)
        items.append(inner + _key(key) + ": " + text)
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"
