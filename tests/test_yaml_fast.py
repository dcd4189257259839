"""The fast builder of plain YAML documents (yamlfast.FastBuilder, from the parser's
events) gives exactly what the general, generator-based construction of composed nodes
gives: values, types, positions and problems."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import yamlsource
from policycheck.errors import Location, Problem
from policycheck.yamlsource import MAX_DEPTH, LocatedList, LocatedMap, SeparatedNumber, load_yaml

ROOT = Path(__file__).resolve().parent.parent

EDGES = [
    "a: 1\nb: 2\na: 3\n",  # duplicate key
    "? [a]\n: 1\n",  # a key that is not plain
    "a: =\n",  # the 'value' tag has no safe constructor
    "a: 0b_\nb: -0x_\nc: 1_000\nd: 017\ne: 0o17\nf: 1:30\n",
    "a: .nan\nb: -.inf\nc: 1.5_\nd: ._5\ne: 1e3\nf: 1.0e+3\n",
    "x: 2027-02-30\ny: 2027-01-01\nz: 2027-01-01 10:00:00+02:00\nw: 2027-01-01t25:00:00\n",
    "a: [1, {b: c, d: [e, f]}, []]\nb: {}\nc: ~\nd: null\ne: yes\nf: 'yes'\ng: \"1\"\n",
    "1: a\n2.5: b\ntrue: c\nnull: d\n2027-01-01: e\n",
    "- a\n- b: c\n  d: e\n-\n- - x\n  - y\n",
    "plain text\n",
    "",
    "a: 1\n---\nb: 2\n",  # two documents
    "a: [1, 2\n",  # a syntax error
    "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n",
    "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",  # one level too deep
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, MAX_DEPTH + 2)),
    "a: {b: 1, b: 2}\n",
    "{a: " * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1) + "\n",  # a value at MAX_DEPTH
    "{a: " * MAX_DEPTH + "1" + "}" * MAX_DEPTH + "\n",  # a value one level too deep
    "- " * MAX_DEPTH + "1\n",  # block sequences, one level too deep
    "a:\n  b: 1\n  c:\n    b: 2\n    b: 3\n",  # a duplicate one level down
    "%YAML 1.1\n---\na: 1\n...\n",  # a directive and both document markers
    "---\n",  # one empty document
    "# only a comment\n",  # no document at all
    "--- 5\n",  # a document that is one scalar
    "a: |\n  two\n  lines\nb: >-\n  folded\n  text\nc: 'it''s'\nd: \"tab\\there\"\n",
    "a: plain text\n  that goes on\nb: \"quoted text\n  that goes on\"\n",
    "? a\n: 1\n? b\n",  # explicit keys, one without a value
    "{a: 1, b: [x, {c: d}], e: }\n",  # a flow document, a key without a value
    "'1': quoted key\n1: plain key\n",  # text '1' and number 1 are two keys
    "a: 'x'\n'a': 'y'\n",  # the same key quoted: a duplicate
    "- [a, b]\n- {}\n- ''\n- ~\n-\n",
    "a: 1\n  b: 2\n",  # a syntax error found late, after values were read
    "a: b: c\n",
    "a:\n\t- 1\n",  # a tab where indentation is expected
    "a: 2027-01-01 10:00:00\nb: 2027-1-1\nc: 12:30:00\nd: 1_2.5\ne: +.5\nf: -0\n",
    # a duplicate's value is never built: what it holds is not reported, and not refused
    "a: 1\na: {b: 1, b: 2, c: =, ? [x] : y, d: 0b_}\nc: 3\n",
    "a: 1\na: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n",  # but its depth counts
    "a: 1\na: " + "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2) + "\n",
    ".nan: 1\n.nan: 2\n.NaN: 3\n",  # keys that are not equal to themselves
    "1: a\ntrue: b\n1.0: c\n'1': d\n",  # keys equal across types
    "a: 1\na: 2\nb: [1, 2\n",  # a duplicate, then a syntax error: the error alone
    "a: 1\na: 2\n---\nb: 1\n",  # a duplicate, then a second document
    "- {a: 1, a: 2}\n- a: 1\n  a: [x, {b: 1, b: 2}]\n  b: {c: 1, c: 2}\n",
    "? a\n: 1\n? a\n: 2\n{x: 1, x: 2}: 3\n",  # explicit keys; a key that is not plain
    # libyaml's scanner refuses 1,000 levels before the parser gives the 65th level
    "a: " + "[" * 1100 + "]" * 1100 + "\n",
    "a: [\"x\"\n",  # a syntax error in a flow sequence of quoted text
]


def _described(value: Any) -> Any:
    """A value with its type and every position, for an exact comparison."""
    if isinstance(value, LocatedMap):
        return ("map", value.start, value.end,
                [(_described(k), _described(v), value.key_positions[k])
                 for k, v in value.items()])
    if isinstance(value, LocatedList):
        return ("list", value.start, value.item_positions, [_described(v) for v in value])
    if value != value:
        return (type(value), "nan")
    return (type(value), value)


def _general_way(text: str, as_written: bool) -> tuple[Any, list[Any]]:
    """``load_yaml`` of ``text`` as if it were not plain: composed, then constructed."""
    original = yamlsource.plain_text
    yamlsource.plain_text = lambda text: False  # type: ignore[assignment]
    try:
        return load_yaml(text, "x.yaml", as_written)
    finally:
        yamlsource.plain_text = original


def _same_both_ways(text: str, kinds: tuple[bool, ...] = (False, True)) -> None:
    """The fast way and the general way agree, for plan data (numbers as written) and for
    rule packs and configuration alike (``kinds``: which of them)."""
    for as_written in kinds:
        fast, fast_problems = load_yaml(text, "x.yaml", as_written)
        general, general_problems = _general_way(text, as_written)
        assert _described(fast) == _described(general)
        assert fast_problems == general_problems


@pytest.mark.parametrize("text", EDGES)
def test_edge_cases_agree(text: str) -> None:
    _same_both_ways(text)


@pytest.mark.parametrize("path", sorted((ROOT / "sample_data").rglob("*.yaml"))
                         + sorted((ROOT / "rules").rglob("*.yaml"))[:40],
                         ids=lambda p: p.name)
def test_shipped_files_agree(path: Path) -> None:
    _same_both_ways(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", sorted((ROOT / "fuzz" / "corpus" / "yaml_loader").iterdir()),
                         ids=lambda p: p.name)
def test_fuzz_corpus_agrees(path: Path) -> None:
    """The inputs the fuzzer kept (odd bytes, odd nesting, odd scalars) read alike both ways."""
    problems: list[Any] = []
    text = yamlsource.decode(path.read_bytes(), "x.yaml", problems)
    if text is not None:
        _same_both_ways(text)


def test_generated_plans_agree(tmp_path: Path) -> None:
    from benchmarks.generate import main as generate

    generate(["--plans", "60", "--seed", "3", "--out", str(tmp_path), "--formats", "yaml",
              "--yaml-per-plan"])
    paths = sorted(tmp_path.rglob("*.yaml"))
    assert len(paths) >= 60
    for path in paths:
        _same_both_ways(path.read_text(encoding="utf-8"))


def test_unreadable_numbers_and_dates_stay_text() -> None:
    """PyYAML's patterns take `0b_` for an integer and `2027-02-30` for a date, then raise
    ValueError building them; they stay text, for validation to report at their place."""
    for text in ("a: 0b_\n", "a: 0b_\n# &\n"):  # the fast way and the general way
        data, problems = load_yaml(text + "b: -0x_\nc: 2027-02-30\n", "x.yaml")
        assert (data, problems) == ({"a": "0b_", "b": "-0x_", "c": "2027-02-30"}, [])


#: Plain numbers in plan data that YAML 1.1 would not read as written, and what they are.
AS_WRITTEN = {
    "010": "010", "-010": "-010", "0x1F": "0x1F", "0b101": "0b101", "1:20": "1:20",
    "1:20.5": "1:20.5", "1.50": "1.50", "2.0e+3": "2.0e+3", "1.": "1.", ".5": ".5",
    "+5": "+5", "-0": "-0", "10": 10, "-3": -3, "0": 0, "1.5": 1.5, "-0.25": -0.25,
    # YAML's own number with digit separators: its text, marked for number fields to read
    "1_000": SeparatedNumber("1_000"), "-1_0.5": SeparatedNumber("-1_0.5"),
    "0x1_F": "0x1_F", "0_17": "0_17",
}


@pytest.mark.parametrize("written", ["a: {}\n", "a: {}\n# &\n", "a: [{}]\n"],
                         ids=["fast", "general", "list"])
def test_plan_data_reads_numbers_as_written(written: str) -> None:
    """In plan data a number that YAML 1.1 would change (an octal ``010`` is 8, ``1:20`` is
    the base-60 80, ``1.50`` loses its zero) stays the text written, for validation to read
    as it reads a table cell; rule packs and configuration keep YAML 1.1's numbers."""
    for text, expected in AS_WRITTEN.items():
        data, problems = load_yaml(written.format(text), "x.yaml", as_written=True)
        value = data["a"][0] if isinstance(data["a"], list) else data["a"]
        assert (type(value), value, problems) == (type(expected), expected, []), text
    plain, _ = load_yaml("a: 010\nb: 1:20\nc: 1.50\nd: 0x1F\n", "x.yaml")
    assert plain == {"a": 8, "b": 80, "c": 1.5, "d": 31}
    special, _ = load_yaml("a: -.inf\nb: .NaN\n", "x.yaml", as_written=True)
    assert special["a"] == float("-inf") and special["b"] != special["b"]  # still numbers


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.from_regex(r"[-+]?(0|[0-9]{1,4}|0[0-9_]{1,3}|0x[0-9a-f]{1,3}|"
                          r"[0-9]{1,2}(:[0-5][0-9]){1,2}(\.[0-9]{0,2})?|"
                          r"[0-9]{0,3}\.[0-9]{0,3}([eE][-+][0-9]{1,2})?)", fullmatch=True))
def test_plan_data_numbers_are_read_as_written(text: str) -> None:
    """Whatever number-shaped text a plan file holds, plan data gets the text itself or a
    number whose canonical text it is."""
    data, problems = load_yaml(f"a: {text}\n", "x.yaml", as_written=True)
    value = data["a"]
    assert problems == []
    assert value == text if isinstance(value, str) else str(value) == text


def test_files_of_many_plans_agree(tmp_path: Path) -> None:
    from benchmarks.generate import main as generate

    generate(["--plans", "120", "--seed", "5", "--out", str(tmp_path), "--formats", "yaml"])
    paths = sorted(tmp_path.rglob("*.yaml"))
    assert len(paths) == 2  # files of 100 plans: a long document, built from its events
    for path in paths:
        _same_both_ways(path.read_text(encoding="utf-8"))


_TEXTS = st.one_of(
    st.sampled_from(["yes", "No", "on", "~", "null", "", "1e3", "0x1F", "0b_", "017", "1:30",
                     ".inf", "-.NaN", "2027-02-30", "2027-01-01", "a: b", "- x", "#", "x #y",
                     "'", '"', "multi\nline", " lead", "trail ", "tab\there", "=", "<<",
                     "&a", "*a", "!x", "%", "@", "`", "{", "[", "?", "—", "é"]),
    st.text(max_size=12))
_SCALARS = st.one_of(
    _TEXTS, st.integers(-10**20, 10**20), st.booleans(), st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2100, 1, 1)))
_KEYS = st.one_of(_TEXTS, st.integers(-1000, 1000), st.booleans(), st.none(),
                  st.dates(min_value=datetime.date(2000, 1, 1),
                           max_value=datetime.date(2030, 1, 1)))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(value=_VALUES, flow=st.sampled_from([None, True, False]),
       style=st.sampled_from([None, None, None, "'", '"', "|", ">"]),
       width=st.sampled_from([8, 80]), explicit=st.booleans())
def test_any_plain_document_agrees(value: Any, flow: bool | None, style: str | None,
                                   width: int, explicit: bool) -> None:
    """Whatever PyYAML writes (every scalar style, block and flow collections, long lines
    folded), the events give what the composed nodes give."""
    _same_both_ways(yaml.safe_dump(value, default_flow_style=flow, default_style=style,
                                   width=width, explicit_start=explicit, allow_unicode=True))


# --- files past 250,000 characters, once the fast way's limit ---------------------------

#: The fast way had a size limit; a larger document went the general way, several times as
#: slow and as large in memory.
OLD_LIMIT = 250_000


@pytest.fixture(scope="module")
def long_plans(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Generated plans in one file past OLD_LIMIT: two files of 100 plans as one list."""
    from benchmarks.generate import main as generate

    folder = tmp_path_factory.mktemp("long")
    generate(["--plans", "200", "--seed", "11", "--out", str(folder), "--formats", "yaml"])
    first, second = (path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.yaml")))
    assert first.startswith("plans:\n") and second.startswith("plans:\n")
    text = first + second.removeprefix("plans:\n")
    assert len(text) > OLD_LIMIT
    return text


@pytest.fixture
def fast_way_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The general way fails the test: the document must be built from its events."""
    def composed(loader: object) -> None:
        raise AssertionError("the document was read the general way")

    monkeypatch.setattr(yamlsource.LocatingLoader, "get_single_node", composed)


def _last_line(text: str, line: str) -> int:
    """The 1-based number of the last line that is ``line``."""
    return text[:text.rindex(f"\n{line}\n") + 1].count("\n") + 1


def _replace_last(text: str, line: str, by: str) -> str:
    at = text.rindex(f"\n{line}\n") + 1
    return text[:at] + by + text[at + len(line):]


def test_a_file_past_the_old_limit_is_built_from_its_events(long_plans: str,
                                                           fast_way_only: None) -> None:
    data, problems = load_yaml(long_plans, "x.yaml", as_written=True)
    plans = data["plans"]
    assert problems == [] and len(plans) == 200
    line = long_plans[:long_plans.rindex("\n- id: ") + 1].count("\n") + 1
    assert plans.position(199) == plans[199].start == plans[199].position("id") == (line, 3)


def test_a_file_past_the_old_limit_agrees(long_plans: str) -> None:
    _same_both_ways(long_plans)


def test_a_duplicate_key_deep_in_a_long_file_is_placed_and_agrees(long_plans: str) -> None:
    last = "  owner: comp-team@example.com"
    text = _replace_last(long_plans, last, f"{last}\n  owner: someone-else@example.com")
    line = _last_line(long_plans, last)
    expected = [Problem(Location("x.yaml", "", line + 1, 3), "duplicate key 'owner' (first "
                        f"at line {line}); expected each key once in a mapping",
                        "duplicate-key", field="owner")]
    assert line > 10_000
    assert load_yaml(text, "x.yaml", as_written=True)[1] == expected
    _same_both_ways(text, kinds=(True,))


@pytest.mark.parametrize("line, written, column, message", [
    ("  currency: GBP", "\tcurrency: GBP", 1, "a tab at {line}:1; YAML indents with spaces "
     "only"),
    ("  owner: comp-team@example.com", "  owner: comp-team: example.com", 19,
     "mapping values are not allowed in this context"),
], ids=["tab", "colon"])
def test_a_syntax_error_deep_in_a_long_file_is_placed_and_agrees(
        long_plans: str, line: str, written: str, column: int, message: str) -> None:
    text = _replace_last(long_plans, line, written)
    number = _last_line(long_plans, line)
    expected = [Problem(Location("x.yaml", "", number, column),
                        "YAML syntax error: " + message.format(line=number), "yaml-syntax")]
    assert number > 10_000
    assert load_yaml(text, "x.yaml", as_written=True) == (None, expected)
    _same_both_ways(text)


def test_errors_in_a_long_file_are_found_without_reading_it_again(
        long_plans: str, fast_way_only: None) -> None:
    """A duplicate key or a syntax error is said by the fast way itself: the general way
    would read the whole file again, at several times the time and memory."""
    last = "  owner: comp-team@example.com"
    duplicate = _replace_last(long_plans, last, f"{last}\n{last}")
    assert [p.code for p in load_yaml(duplicate, "x.yaml", as_written=True)[1]] == [
        "duplicate-key"]
    broken = _replace_last(long_plans, last, "  owner: [x")
    assert [p.code for p in load_yaml(broken, "x.yaml", as_written=True)[1]] == [
        "yaml-syntax"]


@pytest.mark.parametrize("nested", [
    "  x_deep:\n" + "".join("  " * i + "    k:\n" for i in range(MAX_DEPTH)),
    "  x_deep: " + "[" * 5_000 + "]" * 5_000 + "\n",  # measured from the events first
], ids=["block", "flow"])
def test_too_deep_in_a_long_file_is_refused_at_its_place(long_plans: str,
                                                         nested: str) -> None:
    """The fast way leaves it to the general way, which names the place."""
    data, problems = load_yaml(long_plans + nested, "x.yaml", as_written=True)
    assert data is None
    assert [(p.code, p.message) for p in problems] == [
        ("yaml-too-deep", f"document nests deeper than {MAX_DEPTH} levels")]
    assert problems[0].location.line > long_plans.count("\n")


#: Documents with an anchor, an alias, a merge key or a tag: the fast builder leaves each to
#: the general way itself, whatever ``plain_text`` guessed.
WITH_NODE_PROPERTIES = [
    "a: &x 1\nb: *x\n",
    "a: &x 1\nb: 2\n",  # an anchor no alias uses
    "a: &x 1\nb: &x 2\n",  # an anchor written twice: the composer's error
    "d: &d {k: 1}\ne:\n  <<: *d\n  j: 2\n",
    "a: !!str 5\nb: !!int '7'\nc: !!float 1\n",
    "a: !custom 5\n",
    "a: !!python/object:os.system x\n",
    "a: !!map {b: 1}\nc: !!seq [1]\n",
    "a: ! 5\nb: ! x\n",  # the non-specific tag: resolved as a plain scalar
    "- !!binary aGk=\n",
    "a: 1\na: {b: &y 1}\n",  # an anchor in a duplicate's value, which is never built
    "a: 1\na: [*nowhere]\n",  # an undefined alias there
    "'&a': x\nb: \"*c\"\n",  # quoted: text
]


@pytest.mark.parametrize("text", WITH_NODE_PROPERTIES)
def test_the_fast_builder_guards_anchors_aliases_and_tags_itself(
        text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sent the fast way against ``plain_text``'s guess, each reads as the general way
    reads it: the guess only saves time, it is not what keeps aliases bounded."""
    for as_written in (False, True):
        general = _general_way(text, as_written)
        monkeypatch.setattr(yamlsource, "plain_text", lambda text: True)
        fast = load_yaml(text, "x.yaml", as_written)
        monkeypatch.undo()
        assert _described(fast[0]) == _described(general[0])
        assert fast[1] == general[1]


@pytest.mark.parametrize("text", [
    "name: R&D plan\nteam: Sales & Service\n",
    "note: 5 * 3 = 15\ntitle: 'Great job!'\nq: \"A & B\"\n",
    "plans:\n  - plan:\n      name: M&A desk\n      role: Adviser *senior*\n",
])
def test_an_ampersand_or_star_inside_a_name_keeps_the_fast_way(text: str) -> None:
    """"R&D" or "Sales & Service" in a plan's name sent a whole file the general way (13 s
    and 670 MB against 2 s and 120 MB for 7,000 plans): only an anchor, alias or tag where
    a node starts does."""
    assert yamlsource.plain_text(text)
    _same_both_ways(text)


@pytest.mark.parametrize("text", ["a: &x 1\n", "- *x\n", "a: [1, !!str 2]\n",
                                  "a:\n  <<: *d\n", "? !k a\n: 1\n", "a: {b: &c d}\n"])
def test_a_node_property_sends_the_document_the_general_way_at_once(text: str) -> None:
    assert not yamlsource.plain_text(text)
