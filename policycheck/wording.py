"""The words and numbers of a finding: message placeholders and evidence values.

A rule can fire on hundreds of thousands of rows, but a column of evidence holds few distinct
values (a share, a KPI name, a currency), so each value is formatted once and the text is
spread back to the rows by integer codes. A rule's messages are joined (as Arrow strings, which
the findings frame holds) once per distinct combination of their placeholders' texts, and
taken into the findings' order with every other rule's at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from policycheck.codes import distinct_rows

FORMATS = ("%", "%1", "n", "x", "money", "words", "")
#: Enough digits for any double at two more places (a share as a percentage) and three
#: decimals: 1e45 read as a percentage was past the default 28 and raised InvalidOperation.
#: (A double's shortest repr has 17 digits, which ``scaleb`` keeps in any context.)
_EXACT = Context(prec=400)


def _times(value: float) -> str:
    """A multiple or a ratio to two decimals, the second only when it counts: a campaign's
    1.25 multiplier reads 1.25×, not 1.2×; 1.5 reads 1.5× and 2 reads 2.0×."""
    text = f"{value:.2f}"
    return (text[:-1] if text.endswith("0") else text) + "×"


def _half_up(value: float, places: int, scale: int = 0) -> Decimal | None:
    """``value`` × 10^``scale`` to ``places`` decimals, halves away from zero as people round
    them (Python's own formats round a half to even: 1,012.5 → "1,012", 0.125 → "12%"),
    worked on the shortest decimal that reads back as ``value`` (0.145 is 14.5 %, not the
    14.499... its double holds); None for an infinite or NaN value."""
    if not math.isfinite(value):
        return None
    shortest, step = Decimal(repr(float(value))).scaleb(scale), Decimal(1).scaleb(-places)
    if abs(value) < 1e20:  # the default context's 28 digits hold it (and are faster)
        return shortest.quantize(step, rounding=ROUND_HALF_UP)
    return shortest.quantize(step, rounding=ROUND_HALF_UP, context=_EXACT)


def percent_text(value: float, places: int = 0) -> str:
    """A share as a percentage, ``places`` decimals, halves up ("13%" for 0.125); a share
    short of all is never "100%", nor one above none "0%": such a share takes up to two
    more decimals to tell it apart ("99.6%", "0.4%"), and is "<0.01%" or ">99.99%" past
    them."""
    scaled = abs(value) * 10 ** (places + 2)
    if 0.5 < scaled < 10 ** (places + 2) - 0.5 and abs(scaled % 1 - 0.5) > 1e-6:
        return f"{value:.{places}%}"  # no half, nor near 0 or 100 %: as Python writes it
    for shown in range(places, places + 3):
        rounded = _half_up(value, shown, 2)
        if rounded is None:
            return f"{value:.{places}%}"
        if not ((rounded == 0 and value != 0) or (abs(rounded) == 100 and abs(value) != 1)):
            return f"{rounded:.{shown}f}%"
    limit = Decimal(1).scaleb(-shown)
    return f"<{limit}%" if 0 < value < 0.5 else f">{100 - limit}%" if 0.5 <= value < 1 \
        else f"{rounded:.{shown}f}%"


def money_text(value: float) -> str:
    """An amount in whole units, grouped, halves up: "1,013" for 1,012.5."""
    if not abs(value % 1 - 0.5) < 1e-6:  # no half (NaN too): as Python writes it
        return f"{value:,.0f}"
    rounded = _half_up(value, 0)
    return f"{value:,.0f}" if rounded is None else f"{rounded:,.0f}"


def plain_number(value: float) -> str:
    """A plain number: "3", "0.75", "123456789012" (``{:g}`` wrote "1.23457e+11", and
    "1e+15" for a million billion); one below 0.0001 to six decimals, as the JSON
    evidence keeps it ("0.000012"; 2.43865e-15 reads "0", ``{:g}`` wrote "2.43865e-15")."""
    size = abs(value)
    if 1e-4 <= size < 1e5 or size == 0 or not math.isfinite(value):
        return f"{value:g}"
    if size >= 1e5:
        return f"{value:.0f}"
    return f"{value:.6f}".rstrip("0").rstrip(".")


_NUMBER_FORMATS: dict[str, Callable[[float], str]] = {
    "%": percent_text, "%1": lambda value: percent_text(value, 1), "x": _times,
    "money": money_text, "n": plain_number}
#: The formats of a number (the engine refuses them on a placeholder of another type).
NUMBER_FORMATS = tuple(_NUMBER_FORMATS)
_MISSING_TEXT = "n/a"

#: A text that is a code of the input (``back_office``, ``first_n``, ``salary_band_change``).
_CODE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def in_words(text: str) -> str:
    """A code as a reader says it, with spaces for its underscores (``back_office``: "back
    office"); any other text, a name or a number, as it is."""
    return text.replace("_", " ") if _CODE.fullmatch(text) else text


def is_missing(value: object) -> bool:
    """None, pandas' NA or a NaN float: what every report writes as empty or null."""
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def plain(value: object) -> str:
    """A value as a message shows it (the ``""`` format)."""
    if isinstance(value, (np.datetime64, pd.Timestamp)):
        return pd.Timestamp(value).date().isoformat()
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        return plain_number(float(value))
    if isinstance(value, str):
        return value
    return str(value)


def text_array(values: Sequence[str] | np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.large_string())


#: What ``words`` reads a missing value as, before it is written ("\x00" is no name).
_NO_VALUE = "\x00\ue000"


def spec_parts(spec: str) -> tuple[str, str]:
    """A placeholder's format and the text of a missing value: ``%|none`` is the format
    ``%``, a missing value written "none"; ``%`` alone writes one ``n/a``, and ``%|``
    nothing."""
    written, bar, missing = spec.partition("|")
    return written, missing if bar else _MISSING_TEXT


def _missing_last(texts: list[str], codes: np.ndarray, missing: str
                  ) -> tuple[list[str], np.ndarray]:
    """``texts`` with ``missing`` after them, the codes of missing values (-1) pointing at
    it."""
    return [*texts, missing], np.where(codes < 0, len(texts), codes)


def _float_codes(values: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Codes of distinct floats by their bits (so -0.0 keeps its sign), the floats as
    Python's (formatted several times faster than NumPy's); -1 for NaN and for an infinite
    value, which reads as a missing one: an overflow is no amount, share nor ratio (it read
    "inf%", "inf×", and crashed or warned on its way to a percentage or an amount)."""
    numbers = np.ascontiguousarray(values, dtype=np.float64)
    codes, bits = pd.factorize(numbers.view(np.int64))
    uniques = np.asarray(bits).view(np.float64)
    # a NaN's or an infinity's own text (of 0 in its place) is one no code points at
    return (np.where(np.isfinite(numbers), codes, -1),
            np.where(np.isfinite(uniques), uniques, 0.0).tolist())


def _is_text(values: np.ndarray) -> bool:
    """Strings and missing values only: distinct values can be hashed without 1 == True."""
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def format_codes(values: np.ndarray, spec: str, is_list: bool = False
                 ) -> tuple[list[str], np.ndarray]:
    """One message placeholder for a column of values, as its distinct texts and a code per
    row into them; a missing value, or an infinite number, is ``n/a``, or the text the spec
    gives it (``spec_parts``). A list (held ``;``-joined: ``is_list``) reads as its items
    joined by ", "; any other text as it is (a name may hold ';'). ``words``: a code (each
    item of a list) ``in_words``."""
    written, missing = spec_parts(spec)
    if written == "words":
        # a list's items still ';'-joined; a missing value as no input can write it
        texts, codes = format_codes(values, "|" + _NO_VALUE)
        return [missing if text == _NO_VALUE else ", ".join(map(in_words, text.split(";")))
                if is_list else in_words(text) for text in texts], codes
    if written in _NUMBER_FORMATS:
        codes, numbers = _float_codes(np.asarray(pd.Series(values, dtype="float64")))
        return _missing_last([_NUMBER_FORMATS[written](u) for u in numbers], codes, missing)
    if np.issubdtype(values.dtype, np.datetime64):
        text = pd.Series(pd.to_datetime(values).strftime("%Y-%m-%d"), dtype=object)
        return text.where(text.notna(), missing).tolist(), np.arange(len(values))
    if values.dtype == np.bool_:
        return ["no", "yes"], values.astype(np.int64)
    if values.dtype.kind == "f":
        codes, numbers = _float_codes(values)
        return _missing_last([plain_number(u) for u in numbers], codes, missing)
    if values.dtype.kind in "iu" or _is_text(values):
        codes, uniques = pd.factorize(values)
        texts = [plain(u) for u in uniques]
        return _missing_last([t.replace(";", ", ") for t in texts] if is_list else texts,
                             codes, missing)
    absent = pd.isna(values)
    return ([missing if m else plain(v) for v, m in zip(
        values.tolist(), absent.tolist(), strict=True)], np.arange(len(values)))


@dataclass(frozen=True)
class Messages:
    """A rule's messages as their distinct texts and a code per row into them. A message is
    mostly made of few distinct values (a KPI, a share), so the messages of 833,392 findings
    of the default pack are 158,492 distinct texts; the findings frame takes every rule's
    messages at once, in its own order, which copies the text once."""

    distinct: pa.Array
    codes: np.ndarray


def format_messages(placeholders: Sequence[tuple[str, str, str]],
                    values: dict[str, np.ndarray], size: int,
                    lists: frozenset[str] = frozenset()) -> Messages:
    """The message of each row: literal text and formatted placeholders, joined once per
    distinct combination of the placeholders' texts. ``lists``: the placeholders whose
    values are lists."""
    pieces: list[pa.Array | pa.Scalar] = []
    codes: list[np.ndarray] = []
    for literal, field, spec in placeholders:
        text = literal.replace("{{", "{").replace("}}", "}")
        if text:
            pieces.append(pa.scalar(text, type=pa.large_string()))
        if field:
            distinct, at = format_codes(values[field], spec, field in lists)
            pieces.append(text_array(distinct))
            codes.append(at)
    if not codes:  # a message without placeholders: the same text on every row
        whole = "".join(p.as_py() for p in pieces)
        return Messages(text_array([whole]), np.zeros(size, dtype=np.int8))
    combined = distinct_rows(codes, size, sparse_only=False)
    if combined is None:  # no rows
        return Messages(text_array([]), np.zeros(0, dtype=np.int8))
    code, rows = combined
    chosen = iter(codes)
    texts = [p if isinstance(p, pa.Scalar) else p.take(pa.array(next(chosen)[rows]))
             for p in pieces]
    return Messages(texts[0] if len(texts) == 1 else pc.binary_join_element_wise(
        *texts, pa.scalar("", type=pa.large_string())), code)


def join_messages(messages: Sequence[Messages], rows: Sequence[np.ndarray]) -> pa.Array:
    """The messages of several rules in one column: ``rows[i]`` are the positions that rule
    ``i``'s messages take in it."""
    codes = np.empty(sum(len(r) for r in rows), dtype=np.int64)
    start = 0
    for rule, at in zip(messages, rows, strict=True):
        codes[at] = rule.codes.astype(np.int64) + start
        start += len(rule.distinct)
    return pa.concat_arrays([m.distinct for m in messages]).take(pa.array(codes))


def json_values(values: np.ndarray, is_list: bool = False) -> np.ndarray:
    """Evidence as plain JSON values (an object array): floats rounded to 6 places, NaN and
    infinities as None, dates as ISO dates, lists (held ``;``-joined) as lists, each row its own."""
    codes, distinct = evidence_codes(values, is_list)
    out = object_array(distinct)[codes]
    if is_list:  # each row its own list, as a consumer may change one
        return object_array([list(v) for v in out.tolist()])
    return out


def evidence_codes(values: np.ndarray, is_list: bool = False) -> tuple[np.ndarray, list[Any]]:
    """Evidence as plain JSON values, each distinct value once: a code per row into them
    (see ``json_values``). Floats are told apart by their bits (0.0 and -0.0 are two values,
    as they print differently), and objects of other kinds than text are not merged at all
    (1, 1.0 and True are one key to a hash table)."""
    if np.issubdtype(values.dtype, np.datetime64):
        codes, bits = pd.factorize(values.view(np.int64))
        dates = np.asarray(bits, dtype=np.int64).view(values.dtype)
        return codes, [None if pd.isna(v) else pd.Timestamp(v).date().isoformat()
                       for v in dates]
    if is_list:
        codes, uniques = pd.factorize(values.astype(object))
        items = [[i for i in str(u).split(";") if i] if u else [] for u in uniques]
        return np.where(codes < 0, len(items), codes), [*items, []]
    if values.dtype.kind == "f":
        numbers = values.astype(np.float64, copy=False)
        with np.errstate(all="ignore"):  # past 1e15 a float has no decimals to round, and
            # rounding would overflow to infinity on the way (1e302 * 1e6)
            rounded = np.where(np.abs(numbers) < 1e15, np.round(numbers, 6), numbers)
        codes, bits = pd.factorize(rounded.view(np.int64))
        distinct = np.asarray(bits, dtype=np.int64).view(np.float64).tolist()
        # NaN and the infinities as None: JSON has no number for them (json.dumps writes
        # NaN and Infinity, which jq and strict parsers refuse), and messages say n/a
        return codes, [f if math.isfinite(f) else None for f in distinct]
    if values.dtype != np.dtype(object):
        codes, uniques = pd.factorize(values)
        return codes, np.asarray(uniques).tolist()  # Python scalars, as tolist makes them
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        codes, uniques = pd.factorize(values)  # every missing marker (-1) as None
        return np.where(codes < 0, len(uniques), codes), [*uniques.tolist(), None]
    out = values.copy()
    # NaN becomes None; other missing markers (None itself) stay as they are
    out[[i for i in np.flatnonzero(pd.isna(values)).tolist()
         if isinstance(values[i], float)]] = None
    return np.arange(len(out)), out.tolist()


def object_array(items: list[object]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def evidence_dicts(names: Sequence[str], columns: Sequence[np.ndarray], size: int) -> np.ndarray:
    """One evidence mapping per row (an object array). Dict displays are several times
    faster than ``dict(zip(...))`` per row, so the common widths have their own."""
    lists = [c.tolist() for c in columns]
    if not names:
        return object_array([{} for _ in range(size)])  # each row its own, as in the others
    if len(names) == 1:
        (a,) = names
        return object_array([{a: x} for x in lists[0]])
    if len(names) == 2:
        a, b = names
        return object_array([{a: x, b: y} for x, y in zip(*lists, strict=True)])
    if len(names) == 3:
        a, b, c = names
        return object_array([{a: x, b: y, c: z} for x, y, z in zip(*lists, strict=True)])
    if len(names) == 4:
        a, b, c, d = names
        return object_array([{a: w, b: x, c: y, d: z} for w, x, y, z in zip(*lists, strict=True)])
    return object_array([dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)])
