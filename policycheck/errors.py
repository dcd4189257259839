"""Problems found in user input, and the exceptions that stop a run.

The hierarchy::

    PolicycheckError            a user error: the run cannot go on; exit 2, no traceback
    ├── InputError              one or more input files could not be read (carries Problems)
    ├── RuleError               a rule file or a rule expression is wrong (carries Problems)
    └── UsageError              a flag or argument is wrong

A ``Problem`` is a value, not an exception: loading and validation collect every problem of
a run and report them together. Only the CLI turns problems and errors into exit codes.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from policycheck.closest import Closest

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 3


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as messages and reports show it: with / separators, and each byte of a name
    that is not UTF-8 (Python keeps such bytes as lone surrogates) written as ``\\xff``, so
    that every report stays valid UTF-8 instead of failing to encode."""
    if isinstance(path, str):
        text = path
    else:
        text = (path if isinstance(path, PurePath) else PurePath(path)).as_posix()
    if text.isascii():
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system byte makes (a text argument)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """Where something is: a YAML file with line and column, or a table file with its row.

    ``line`` is the 1-based YAML line, or the spreadsheet row number of a table row (the
    header is row 1, so it is also the line of a simple CSV file).
    """

    file: str
    sheet: str = ""
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        text = self.file
        if self.sheet:
            text += f"[{self.sheet}]"
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, said where it is and what was expected."""

    location: Location
    message: str
    code: str
    plan_id: str | None = None
    severity: str = "error"  # error | warning
    field: str = ""
    detail: str = ""  # more lines shown under the message, e.g. an expression with a caret

    def __str__(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message} [{self.code}]"
        return f"{text}\n{self.detail}" if self.detail else text

    def sort_key(self) -> tuple[str, str, int, int, str]:
        loc = self.location
        return (loc.file, loc.sheet, loc.line, loc.column, self.message)


class PolicycheckError(Exception):
    """A user error: the CLI prints it and exits with code 2."""

    exit_code = EXIT_USER_ERROR
    #: Said as GitHub workflow annotations (the run's ``--format github``), not as lines.
    annotated = False

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class InputError(PolicycheckError):
    """Input files that could not be read at all."""


class RuleError(PolicycheckError):
    """A rule pack, rule file or rule expression that cannot be used."""


class UsageError(PolicycheckError):
    """A command-line flag or argument that cannot be used."""


#: Why text came as true or false: YAML reads an unquoted yes, no, on or off as a truth
#: value (a country code NO, an answer "yes"); a spreadsheet's TRUE cell is one too.
TRUTH_VALUE_HINT = ("; a truth value is not text (YAML reads an unquoted yes, no, on, off, "
                    "true or false as one: put the text in quotes)")


def value_kind(value: object) -> str:
    """A value of the wrong kind as a message names it ("got a list", "got 'just text'"),
    never by the class that holds it (LocatedList, str)."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return quote(value) + (TRUTH_VALUE_HINT if isinstance(value, bool) else "")


#: From this many problems, a summary counts them by kind: thousands of lines scroll past.
TALLY_FROM = 20
#: Kinds named in the tally; the others are counted together.
TALLY_KINDS = 5


def kinds_line(problems: Sequence[Problem]) -> str | None:
    """The problems by kind, most first ("Problems by kind: 3,000 unknown-kpi, 1,689
    invalid-value and 12 more of 3 other kinds."), when there are TALLY_FROM or more (a summary
    under thousands of lines says what they are); else None."""
    if len(problems) < TALLY_FROM:
        return None
    counts = Counter(problem.code for problem in problems).most_common()
    named = [f"{count:,} {code}" for code, count in counts[:TALLY_KINDS]]
    rest = counts[TALLY_KINDS:]
    if rest:
        kinds = f"{len(rest)} other kind{'s' * (len(rest) != 1)}"
        named.append(f"{sum(count for _, count in rest):,} more of {kinds}")
    return f"Problems by kind: {spoken_list(named)}."


def not_a_file(path: Path, kind: str) -> str | None:
    """Why ``path`` cannot be read as a ``kind`` ("waivers file"): none there, a folder, or
    something other than a regular file (``/dev/null``, a pipe); None for a file."""
    if path.is_file():
        return None
    if not path.exists():
        return f"no such {kind}"
    return f"is {'a folder' if path.is_dir() else 'not a regular file'}; expected a {kind}"


def own_report(shown: str, parts: str, explicit: bool) -> Problem:
    """The warning (the error, for a file named on the command line) that a file among the
    plans is a report policycheck wrote (``parts``: what tells it, "its summary and
    findings"): read as plans it is none, or it repeats every plan of its folder."""
    said = f"is a report policycheck wrote ({parts}), not plans"
    if explicit:
        return Problem(Location(shown), f"{said}: expected the plans it reports on",
                       "unrecognised-file")
    return Problem(Location(shown), f"{said}; skipped", "unrecognised-file",
                   severity="warning")


def did_you_mean(word: object, candidates: Iterable[str], cutoff: float = 0.6) -> str:
    """Return "; did you mean 'x'?" for the closest candidate, or an empty string. A
    candidate that differs only in case, spaces, dashes or underscores is the closest
    ('CSAT' is 'csat', which difflib, comparing characters as they are, finds nothing
    like)."""
    pool = sorted(set(candidates))
    text, folded = str(word), _folded(str(word))
    alike = next((c for c in pool if c != text and _folded(c) == folded), None)
    if alike is not None:
        return _hint(alike)
    matches = difflib.get_close_matches(text, pool, n=1, cutoff=cutoff)
    return _hint(matches[0]) if matches else ""


def _hint(name: str) -> str:
    return f"; did you mean '{name}'?"


#: What a ``Suggestions`` may spend, in difflib scorings of a word against a candidate
#: (about 30 µs each for ids alike, "p000123-sales"): about half a second.
SUGGESTION_BUDGET = 15_000
#: Candidates whose bound (``closest.Closest.bounds``) costs about as much as one difflib
#: scoring: 25 ns a candidate, measured at 100,000 plan ids.
BOUNDS_PER_SCORING = 1_250
#: Candidates difflib scores for one word at most: a word that could be closest to more
#: plans than this is alike to too many for a guess to help (a plan deleted from an
#: organisation whose ids differ by a digit), and gets none.
WORD_SCORINGS = 100


class Suggestions:
    """``did_you_mean`` for many words against one set of candidates: each row of a table
    naming a plan no input defines, against every plan of a large organisation.

    The candidates are sorted once, at the first word (a run with no unknown id does
    not pay for it: 0.17 s at 100,000 plans), and each distinct word is looked up once,
    with the hint ``did_you_mean`` would give (``closest.Closest``: a few ms a word at
    100,000 plans, where difflib takes a second). What the lookups cost is bounded
    (``budget``, in difflib scorings; bounding a word against every candidate costs one
    per ``BOUNDS_PER_SCORING`` candidates), and so is a word's (``WORD_SCORINGS``). A
    candidate that differs from the word only in case, spaces, dashes or underscores is
    looked for first, in a dict, and is the hint wherever there is one; past either bound
    it is the only hint a word may get. Each word's hint therefore depends on the
    words looked up before it, not on chance or time: the same input gives the same
    messages."""

    def __init__(self, candidates: Iterable[str], cutoff: float = 0.6,
                 budget: int = SUGGESTION_BUDGET) -> None:
        self._candidates = candidates
        self._cutoff = cutoff
        self._left = budget
        self._known: dict[str, str] = {}

    @functools.cached_property
    def _sorted(self) -> list[str]:
        return sorted(set(self._candidates))

    @functools.cached_property
    def _closest(self) -> Closest:
        from policycheck.closest import Closest

        return Closest(self._sorted)

    @functools.cached_property
    def _by_folded(self) -> dict[str, str]:
        folded: dict[str, str] = {}
        for candidate in self._sorted:
            folded.setdefault(_folded(candidate), candidate)
        return folded

    def __call__(self, word: object) -> str:
        text = str(word)
        if text not in self._known:
            self._known[text] = self._look_up(text)
        return self._known[text]

    def _look_up(self, text: str) -> str:
        alike = self._by_folded.get(_folded(text))
        if alike is not None and alike != text:  # as did_you_mean: the closest there is
            return _hint(alike)
        bounding = -(-len(self._sorted) // BOUNDS_PER_SCORING)
        if self._left > bounding:
            self._left -= bounding
            most = min(self._left, WORD_SCORINGS)
            found = self._closest.match(text, self._cutoff, most=most)
            self._left -= most if found is None else found.scored
            if found is not None and found.text is not None:
                return _hint(found.text)
        return ""


def _folded(text: str) -> str:
    return "".join(text.casefold().replace("-", " ").replace("_", " ").split())


def spoken_list(names: Sequence[str]) -> str:
    """Names as a sentence lists them: "A", "A and B", "A, B and C" ("" for none)."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def number_text(value: float) -> str:
    """A number as a person would write it: ``1500000``, ``0.3``, ``12.5`` (``:g`` would
    give ``1.5e+06``, and ``repr`` ``0.30000000000000004``)."""
    if value == value and abs(value) < 1e15 and float(value).is_integer():
        return str(int(value))
    return f"{value:.15g}"


#: A bad value in a message is shortened past this many characters.
QUOTED_CHARS = 60


def quote(value: object) -> str:
    """Render a bad value for a message: strings quoted, truth values and nulls as YAML and
    JSON write them (in lists and mappings too: ``['x', false]``), long values shortened."""
    text = _shown(value)
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS - 3] + "..."


def _shown(value: object) -> str:
    """``quote``'s text for ``value``, whole but for a list or mapping, which stops once
    past QUOTED_CHARS (a list of a million items is not written to show 60 characters)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "{" + _items(f"{_shown(k)}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + _items(_shown(item) for item in value) + "]"
    return str(value)


def _items(shown: Iterable[str]) -> str:
    """Items of a list or mapping, joined, read only until what is written reaches
    QUOTED_CHARS: longer whatever follows, quote shows no more of it."""
    parts, written = [], -1  # the opening bracket, less the first item's separator
    for part in shown:
        parts.append(part)
        written += len(part) + 2
        if written >= QUOTED_CHARS:
            break
    return ", ".join(parts)
