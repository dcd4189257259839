"""Message templates (engine.compile_rule, wording): a placeholder that cannot be shown
stops the run when the rule is read, said at the placeholder (exit 2); it crashed when the
first value reached it (exit 3), in CI rather than in ``rules test`` when the rule's
examples left the field out. A value no format can write reads ``n/a``, never a crash,
a warning or scientific notation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from ci_plans import message_rule, refused_by_rules_test_and_check, risky, run, workdir, write

from policycheck.wording import format_codes, plain_number

__all__ = ["workdir"]

RULE = message_rule("org.fmt")
EVIDENCE = 'v: "share(\'speed\')", kind: role_kind'
FILE = "pack/org.fmt.yaml"
CHECKED = ("Checked 1 of 1 plan with 1 rule: 1 finding (1 medium).\n"
           "0 findings at or above 'high'.\n")
FINDING = "plans/p.yaml:4:3: medium org.fmt: plan 'risky-2027': "


def pack(folder: Path, message: str, evidence: str = EVIDENCE) -> str:
    write(folder, {FILE: RULE.replace("MESSAGE", message).replace("EVIDENCE", evidence),
                   "plans/p.yaml": risky()})
    return "pack"


refused = refused_by_rules_test_and_check


def refused_at_placeholder(folder: Path, capsys: pytest.CaptureFixture[str], placeholder: str,
                           said: str) -> None:
    """A message 'plan PLACEHOLDER here' refused with ``said``, at the placeholder and
    underlined whole."""
    pack(folder, f"'plan {placeholder} here'")
    caret = "^" * len(placeholder)
    refused(capsys, f"{FILE}:10:16: error: message: {said} [rule-message]\n"
                    f"    plan {placeholder} here\n"
                    f"         {caret}\n")


@pytest.mark.parametrize("placeholder, said", [
    ("{role_kind:%}", "format '%' needs a number; 'role_kind' is text"),
    # the examples have no name: rules test passed, and check crashed on the plans
    ("{name:n}", "format 'n' needs a number; 'name' is text"),
    ("{kind:x}", "format 'x' needs a number; 'kind' is text"),
    ("{duties:money}", "format 'money' needs a number; 'duties' is a list"),
    ("{customer_facing:money}", "format 'money' needs a number; 'customer_facing' is a "
                                "truth value"),  # it read "1"
    ("{effective_from:%1}", "format '%1' needs a number; 'effective_from' is a date"),
    ("{lower(role_kind):n}", "format 'n' needs a number; 'lower(role_kind)' is text"),
])
def test_a_number_format_on_a_value_of_another_type_is_refused_when_the_rule_is_read(
        workdir: Path, capsys: pytest.CaptureFixture[str], placeholder: str,
        said: str) -> None:
    refused_at_placeholder(workdir, capsys, placeholder, said)


def test_a_number_too_large_or_infinite_for_its_format_never_crashes(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Past 1e15 a share stopped the run (decimal.InvalidOperation, exit 3); an infinite
    amount printed a RuntimeWarning, and an infinite ratio read "inf×". A finite number
    reads in full, an infinite one as a missing one: ``n/a``."""
    pack(workdir, "'big={big:%} {big:%1}; inf={inf:money} {inf:x} {inf:%} {inf:n} {inf}'",
         'big: "target_variable * 1e15 * 1e15 * 1e15", '
         'inf: "(((target_variable**4)**4)**4)**4"')
    assert run(capsys, "rules", "test", "pack") == (
        0, "ok   org.fmt (2 examples)\n1 rule passed, 0 failed.\n", "")
    big = "285" + "0" * 48
    assert run(capsys, "check", "plans", "--rules", "pack") == (
        0, f"{FINDING}big={big}% {big}.0%; inf=n/a n/a n/a n/a n/a\n{CHECKED}", "")
    # and the JSON is JSON: an infinity is null (json.dumps wrote Infinity)
    _, out, _ = run(capsys, "check", "plans", "--rules", "pack", "--format", "json")
    def refuse(text: str) -> None:
        raise ValueError(text)
    [finding] = json.loads(out, parse_constant=refuse)["findings"]
    assert finding["evidence"]["inf"] is None


def test_n_never_writes_scientific_notation(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """rules/README.md: "{count:n} a plain number (3, 0.75, never in scientific
    notation)"; 2850 ** -4 read "1.51573e-14". A number below 0.0001 is written to six
    decimals, as the JSON evidence keeps it."""
    pack(workdir, "'{tiny:n} {small:n} {small}'",
         'tiny: "target_variable ** -4", small: "0.1 / target_variable"')
    assert run(capsys, "check", "plans", "--rules", "pack") == (
        0, f"{FINDING}0 0.000035 0.000035\n{CHECKED}", "")


def test_plain_numbers_below_one_ten_thousandth() -> None:
    assert [plain_number(v) for v in (2.43865e-15, 1.23e-5, 9.9999999e-5, 1e-4, -2e-15,
                                      0.000123456789, 0.0)] == [
        "0", "0.000012", "0.0001", "0.0001", "-0", "0.000123457", "0"]


@pytest.mark.parametrize("spec", ["%", "%1", "x", "money", "n", ""])
def test_an_infinite_number_reads_n_a_in_every_format(spec: str) -> None:
    texts, codes = format_codes(np.array([np.inf, -np.inf, np.nan, 0.5]), spec)
    assert [texts[c] for c in codes][:3] == ["n/a"] * 3


def test_a_placeholder_problem_is_said_at_its_own_line_and_column(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A message written over several lines (a folded block) had every problem of its
    placeholders at the ``message:`` key, under the joined text."""
    pack(workdir, ">-\n  Speed is {kind} and\n  {rolekind} or {v:mony} or {hw:%} here")
    refused(capsys, f"{FILE}:12:4: error: message: unknown name 'rolekind' in the plan scope; "
                    "did you mean 'role_kind'? [rule-expression]\n"
                    "    {rolekind} or {v:mony} or {hw:%} here\n"
                    "     ^^^^^^^^\n"
                    f"{FILE}:12:17: error: message: unknown format 'mony' for 'v'; expected "
                    "one of '%', '%1', 'n', 'x', 'money', 'words', ''; did you mean 'money'? "
                    "[rule-message]\n"
                    "    {rolekind} or {v:mony} or {hw:%} here\n"
                    "                  ^^^^^^^^\n"
                    f"{FILE}:12:30: error: message: unknown name 'hw' in the plan scope "
                    "[rule-expression]\n"
                    "    {rolekind} or {v:mony} or {hw:%} here\n"
                    "                               ^^\n", "3 rule expression problems")


@pytest.mark.parametrize("placeholder, said", [
    ("{}", "empty placeholder '{}': name an evidence value or a field in the braces, "
           "e.g. '{speed:%}'"),
    ("{ :%}", "empty placeholder '{ :%}': name an evidence value or a field in the braces, "
              "e.g. '{speed:%}'"),
    ("{role_kind!r}", "conversion '!r' in '{role_kind!r}' is not supported; write "
                      "'{role_kind}'"),
    ("{v!s:%}", "conversion '!s' in '{v!s:%}' is not supported; write '{v:%}'"),
    # the formatter refused it itself, in its own words at the message's key
    ("{v!rx:%}", "conversion '!rx' in '{v!rx:%}' is not supported; write '{v:%}'"),
])
def test_an_empty_placeholder_and_a_conversion_are_refused(
        workdir: Path, capsys: pytest.CaptureFixture[str], placeholder: str,
        said: str) -> None:
    """They were taken: ``{}`` left the value out ("speed share  for"), ``!r`` quoted it
    as Python does."""
    refused_at_placeholder(workdir, capsys, placeholder, said)


UNCLOSED = "close the placeholder with '}', or write '{{' for a literal brace"
UNOPENED = "'}' closes no placeholder: open one with '{', or write '}}' for a literal brace"


@pytest.mark.parametrize("text, column, said, caret", [
    ("plan {v here", 16, f"unclosed '{{' in '{{v': {UNCLOSED}", "     ^^"),
    ("plan v} here", 17, UNOPENED, "      ^"),
    ("plan {v}} here", 19, UNOPENED, "        ^"),
    # the next placeholder opens before this one closes
    ("plan {kind {v:%} here", 16, f"unclosed '{{' in '{{kind': {UNCLOSED}", "     ^^^^^"),
    ("plan {v:% here", 16, f"unclosed '{{' in '{{v:%': {UNCLOSED}", "     ^^^^"),
    ("plan {v!r", 16, f"unclosed '{{' in '{{v!r': {UNCLOSED}", "     ^^^^"),
    ("{{plan}} {", 20, f"unclosed '{{': {UNCLOSED}", "         ^"),
])
def test_a_brace_out_of_place_is_said_at_the_brace(
        workdir: Path, capsys: pytest.CaptureFixture[str], text: str, column: int,
        said: str, caret: str) -> None:
    """Python's words were said at the message's key, column 1, without the text:
    "expected '}' before end of string", "Single '}' encountered in format string"."""
    pack(workdir, f"'{text}'")
    refused(capsys, f"{FILE}:10:{column}: error: message: {said} [rule-message]\n"
                    f"    {text}\n"
                    f"    {caret}\n")


@pytest.mark.parametrize("message, at, said, line, caret", [
    (">-\n  Speed is {kind} and\n  {rolekind or {v:%} here", "12:3",
     f"unclosed '{{' in '{{rolekind': {UNCLOSED}", "{rolekind or {v:%} here", "^^^^^^^^^"),
    ("|-\n  Speed is {kind}\n  and v:%} here", "12:10", UNOPENED, "and v:%} here",
     "       ^"),
    ('"Speed is {kind} and {v:% here"', "10:31", f"unclosed '{{' in '{{v:%': {UNCLOSED}",
     "Speed is {kind} and {v:% here", "                    ^^^^"),
])
def test_a_brace_out_of_place_is_said_at_its_line_in_a_block_or_a_quoted_text(
        workdir: Path, capsys: pytest.CaptureFixture[str], message: str, at: str,
        said: str, line: str, caret: str) -> None:
    pack(workdir, message)
    refused(capsys, f"{FILE}:{at}: error: message: {said} [rule-message]\n"
                    f"    {line}\n"
                    f"    {caret}\n")


def test_a_doubled_brace_is_a_literal_brace(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What the problems tell an author to write reads as one brace."""
    pack(workdir, "'{{v}} is {v:%} }}{{'")
    assert run(capsys, "check", "plans", "--rules", "pack") == (
        0, f"{FINDING}{{v}} is 40% }}{{\n{CHECKED}", "")


def test_words_reads_a_code_with_spaces_for_its_underscores(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`This {role_kind} plan` read "This back_office plan" to leadership; `{role_kind:words}`
    reads "back office", and a list's items, joined, read the same way; a text that is no
    code (a name) reads as it is."""
    texts, codes = format_codes(np.array(["back_office", None, "field_service", "sales"],
                                         dtype=object), "words")
    assert [texts[c] for c in codes] == ["back office", "n/a", "field service", "sales"]
    texts, codes = format_codes(np.array(["resolve_issue;suitable_advice"], dtype=object),
                                "words", is_list=True)
    assert texts[codes[0]] == "resolve issue, suitable advice"
    # a name is not a code: its underscores stay, as the leadership report keeps them
    texts, codes = format_codes(np.array(["ACME_UK", "desk_2", "a;Team_B"], dtype=object),
                                "words", is_list=True)
    assert [texts[c] for c in codes] == ["ACME_UK", "desk 2", "a, Team_B"]
    pack(workdir, "'{role_kind:words} - {duties:words} - {v:words}'")
    assert run(capsys, "check", "plans", "--rules", "pack") == (
        0, f"{FINDING}service - resolve issue - 0.4\n{CHECKED}", "")


@pytest.mark.parametrize("spec, shown", [
    ("%|none", ["none", "50%", "none"]),
    ("x|", ["", "0.5×", ""]),
    ("money|unknown", ["unknown", "1", "unknown"]),
    ("|-", ["-", "0.5", "-"]),
    ("%", ["n/a", "50%", "n/a"]),
])
def test_a_format_may_say_what_a_missing_value_reads(spec: str, shown: list[str]) -> None:
    """`{prize:money|unknown}`: a missing (or infinite) number reads as the text after '|',
    where it read "n/a" ("maximum variable pay is n/a of fixed pay (0)")."""
    texts, codes = format_codes(np.array([np.nan, 0.5, np.inf]), spec)
    assert [texts[c] for c in codes] == shown


def test_a_missing_value_text_serves_words_and_text_values_too() -> None:
    texts, codes = format_codes(np.array(["back_office", None], dtype=object), "words|none")
    assert [texts[c] for c in codes] == ["back office", "none"]
    texts, codes = format_codes(np.array(["Jump", None], dtype=object), "|no campaign")
    assert [texts[c] for c in codes] == ["Jump", "no campaign"]


def test_a_missing_value_text_in_a_message(workdir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    pack(workdir, "'{v:%|none} and {pay_floor:money|no floor} and {pay_floor:n|}.'")
    assert run(capsys, "check", "plans", "--rules", "pack") == (
        0, f"{FINDING}40% and no floor and .\n{CHECKED}", "")


@pytest.mark.parametrize("placeholder, said", [
    ("{v:mony|none}", "unknown format 'mony' for 'v'; expected one of '%', '%1', 'n', 'x', "
                      "'money', 'words', ''; did you mean 'money'?"),
    ("{v:%|{kind}}", "the text of a missing value in '{v:%|{kind}}' holds a brace; write it "
                     "without one"),
])
def test_a_missing_value_text_is_checked_when_the_rule_is_read(
        workdir: Path, capsys: pytest.CaptureFixture[str], placeholder: str,
        said: str) -> None:
    refused_at_placeholder(workdir, capsys, placeholder, said)
