"""Evidence names in message placeholders (engine._placeholders, expression.checker,
expression.substitution): ``{if(perception_gates == 1, 'gate', 'gates')}`` runs the
evidence's expression where its name is written, as if the expression were written out,
and every mistake is said at the placeholder when the rule is read."""

from __future__ import annotations

from pathlib import Path

import pytest
from ci_plans import message_rule, refused_by_rules_test_and_check, risky, run, workdir, write

from policycheck.expression import Compiled, ExpressionError, compile_expression
from policycheck.scopes import build_scopes

__all__ = ["workdir"]

RULE = message_rule("org.names")
EVIDENCE = ("speed_share: \"share('speed')\", kind: role_kind, gate_count: count_of(gates), "
            "components: count_of(components), base_pay: base_pay * 2")
FILE = "pack/org.names.yaml"
CHECKED = ("Checked 1 of 1 plan with 1 rule: 1 finding (1 medium).\n"
           "0 findings at or above 'high'.\n")
FINDING = "plans/p.yaml:4:3: medium org.names: plan 'risky-2027': "
PASSED = "ok   org.names (2 examples)\n1 rule passed, 0 failed.\n"


def pack(folder: Path, message: str, evidence: str = EVIDENCE) -> None:
    write(folder, {FILE: RULE.replace("MESSAGE", message).replace("EVIDENCE", evidence),
                   "plans/p.yaml": risky()})


def said(capsys: pytest.CaptureFixture[str]) -> str:
    """The finding's message, after ``rules test`` passed."""
    assert run(capsys, "rules", "test", "pack") == (0, PASSED, "")
    code, out, err = run(capsys, "check", "plans", "--rules", "pack")
    assert (code, err) == (0, "") and out.startswith(FINDING) and out.endswith(CHECKED)
    return out[len(FINDING):-len(CHECKED) - 1]


refused = refused_by_rules_test_and_check


def test_an_evidence_name_reads_as_its_expression_written_out(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack(workdir, "\"{if(speed_share > 0.3, 'over', 'under')} "
                  "{if(share('speed') > 0.3, 'over', 'under')}; "
                  "{gate_count:n} {if(gate_count == 1, 'gate', 'gates')} "
                  "{if(count_of(gates) == 1, 'gate', 'gates')}; "
                  "{lower(kind)} {lower(role_kind)}\"")
    assert said(capsys) == "over over; 0 gates gates; service service"


def test_a_number_format_takes_an_evidence_name_inside_an_expression(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack(workdir, "'{speed_share * 2:%} {max(speed_share, 0.125):%1} {speed_share / 4:n} "
                  "{gate_count + 3:n}'")
    assert said(capsys) == "80% 40.0% 0.1 3"


def test_a_field_keeps_its_meaning_and_a_collection_is_the_evidence_as_a_value(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``base_pay`` is both a field and an evidence value (twice the field): alone in the
    braces it is the evidence, as before; in an expression it is the field, as before.
    ``components`` is a collection: passed to a function it is the collection, written
    as a value it is the evidence."""
    pack(workdir, "'{base_pay:n} {base_pay + 0:n}; {components:n} "
                  "{if(components == 3, count_of(components), 0):n}'")
    assert said(capsys) == "57000 28500; 3 3"


def test_a_misspelt_evidence_name_is_said_at_its_place_with_the_evidence_offered(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack(workdir, "'plan {if(gate_cuont == 1, 1, 2):n} here'")
    refused(capsys, f"{FILE}:10:20: error: message: unknown name 'gate_cuont' in the plan "
                    "scope; did you mean 'gate_count'? [rule-expression]\n"
                    "    plan {if(gate_cuont == 1, 1, 2):n} here\n"
                    "             ^^^^^^^^^^\n")


@pytest.mark.parametrize("placeholder, column, caret, message", [
    ("{speed_share + 'x'}", 31, "                    ^^^",
     "the right side of '+' must be a number, got string"),
    # the caret is under the name, not at the evidence's own offsets
    ("{if(speed_share, 'a', 'b')}", 20, "         ^^^^^^^^^^^",
     "argument 1 of 'if' must be a bool, got number"),
    ("{if(kind == 'servce', 1, 2):n}", 28, "                 ^^^^^^^^",
     "'servce' is not a valid role_kind: expected one of 'advice', 'back_office', 'claims', "
     "'collections', 'field_service', 'manager', 'retention', 'sales', 'service'; did you "
     "mean 'service'?"),
    ("{if(speed_share > 0, kind, ''):n}", 16, "     " + "^" * 33,
     "format 'n' needs a number; 'if(speed_share > 0, kind, '')' is text"),
])
def test_a_type_error_is_said_at_the_placeholder(
        workdir: Path, capsys: pytest.CaptureFixture[str], placeholder: str, column: int,
        caret: str, message: str) -> None:
    pack(workdir, f"\"plan {placeholder} here\"")
    code = "rule-message" if message.startswith("format") else "rule-expression"
    refused(capsys, f"{FILE}:10:{column}: error: message: {message} [{code}]\n"
                    f"    plan {placeholder} here\n"
                    f"    {caret}\n")


def test_evidence_is_not_named_inside_an_argument_over_other_rows(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack(workdir, "'{count_of(gates, gate_count > 0):n}'")
    refused(capsys, f"{FILE}:10:28: error: message: unknown name 'gate_count' in the gate "
                    "scope; evidence 'gate_count' cannot be named inside a function's "
                    "argument that runs over other rows [rule-expression]\n"
                    "    {count_of(gates, gate_count > 0):n}\n"
                    "                     ^^^^^^^^^^\n")


def test_a_name_of_evidence_that_does_not_compile_is_said_as_such(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not as an unknown name: the name is known, and its evidence has its own problem."""
    pack(workdir, "'{if(broken == 1, 1, 2):n}'", "broken: count_of(gate)")
    refused(capsys, f"{FILE}:9:29: error: evidence.broken: argument 1 of 'count_of' must be "
                    "a collection of the plan scope, got 'gate': expected one of "
                    "'campaigns', 'competitions', 'components', 'consequences', 'gates', "
                    "'modifiers'; did you mean 'gates'? [rule-expression]\n"
                    "    count_of(gate)\n"
                    "             ^^^^\n"
                    f"{FILE}:10:15: error: message: evidence 'broken' does not compile "
                    "[rule-expression]\n"
                    "    {if(broken == 1, 1, 2):n}\n"
                    "        ^^^^^^\n", "2 rule expression problems")


def test_a_condition_cannot_name_evidence(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {FILE: RULE.replace("share('speed') > 0.3", "gate_count == 0").replace(
        "MESSAGE", "'{gate_count:n}'").replace("EVIDENCE", EVIDENCE), "plans/p.yaml": risky()})
    refused(capsys, f"{FILE}:8:12: error: condition: unknown name 'gate_count' in the plan "
                    "scope; evidence 'gate_count' is named only in the message: write its "
                    "expression here [rule-expression]\n"
                    "    gate_count == 0\n"
                    "    ^^^^^^^^^^\n")


def test_evidence_cannot_name_evidence(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only a message names evidence, so a name stands for one level of substitution."""
    pack(workdir, "'{twice:n}'", "gate_count: count_of(gates), twice: gate_count * 2")
    refused(capsys, f"{FILE}:9:48: error: evidence.twice: unknown name 'gate_count' in the "
                    "plan scope; evidence 'gate_count' is named only in the message: write "
                    "its expression here [rule-expression]\n"
                    "    gate_count * 2\n"
                    "    ^^^^^^^^^^\n")


SCOPES = build_scopes({})


def wide(nodes: int) -> str:
    """An expression of ``nodes`` nodes, two levels deep: a call and its arguments."""
    return "max(base_pay" + ", 1" * (nodes - 2) + ")"


#: 47 levels: 46 negations of a name (the parser's limit is 48 levels).
DEEP = "-" * 46 + "base_pay"


def placeholder(source: str, **evidence: str) -> Compiled:
    named: dict[str, Compiled | None] = {
        name: compile_expression(text, "plan", SCOPES) for name, text in evidence.items()}
    return compile_expression(source, "plan", SCOPES, evidence=named)


def error(source: str, **evidence: str) -> tuple[str, int, int]:
    with pytest.raises(ExpressionError) as caught:
        placeholder(source, **evidence)
    return caught.value.message, caught.value.offset, caught.value.length


def test_an_evidence_name_counts_the_nodes_of_its_expression() -> None:
    """As if each evidence were written out in place of its name: 500 nodes are taken,
    501 refused at the name that takes the expression past the limit, as the parser
    refuses them written out."""
    assert placeholder("a + b", a=wide(249), b=wide(250)).type.value == "number"
    assert compile_expression(f"{wide(249)} + {wide(250)}", "plan", SCOPES)
    assert error("b + b", b=wide(250)) == (
        "expression has more than 500 values, names, operators and calls, counting those "
        "of evidence 'b'", 4, 1)
    with pytest.raises(ExpressionError) as caught:
        compile_expression(f"{wide(250)} + {wide(250)}", "plan", SCOPES)
    assert caught.value.message == ("expression has more than 500 values, names, operators "
                                    "and calls")


def test_an_evidence_name_counts_the_levels_of_its_expression() -> None:
    assert placeholder("deep + 1", deep=DEEP).type.value == "number"  # 1 + 47 levels
    assert error("if(deep > 0, 1, 2)", deep=DEEP) == (
        "expression nests deeper than 48 levels, counting those of evidence 'deep'", 3, 4)


def test_the_type_of_an_evidence_name_is_the_evidences() -> None:
    assert placeholder("kind", kind="role_kind").type.value == "string"
    assert placeholder("n", n="count_of(gates)").type.value == "number"
    # an evidence name is no field read: the evidence's own names are
    assert placeholder("if(k == 'sales', 1, 2)", k="role_kind").names == {"role_kind"}
