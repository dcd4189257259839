"""Baselines: --write-baseline records today's findings, --baseline fails only on new ones;
fingerprints survive reordering, moving a plan to another file and unrelated edits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ci_plans import good, refused_for_size, risky, run, workdir, write
from hypothesis import given, settings
from hypothesis import strategies as st

from policycheck import check

__all__ = ["workdir"]


def statuses(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[tuple[str, ...]]]:
    code, out, _ = run(capsys, "check", "--format", "json", *argv)
    data = json.loads(out)
    return code, [(f["plan_id"], f["rule_id"], f["status"]) for f in data["findings"]]


def test_write_baseline_then_only_new_findings_fail(workdir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky("a-2027"), "plans/b.yaml": good("b-2027")})
    code, out, err = run(capsys, "check", "plans", "--write-baseline", "baseline.json")
    assert code == 0
    assert err == "wrote baseline.json: 3 findings recorded\n"
    assert out.splitlines()[-1] == "0 findings at or above 'high'."
    data = json.loads((workdir / "baseline.json").read_text())
    assert data == {"version": 1, "tool": "policycheck", "fingerprints": [
        {"fingerprint": data["fingerprints"][0]["fingerprint"], "rule_id": "claw.none",
         "plan_id": "a-2027", "entity_id": None, "severity": "medium"},
        {"fingerprint": data["fingerprints"][1]["fingerprint"], "rule_id": "cs.handle-time",
         "plan_id": "a-2027", "entity_id": "first-contact-resolution", "severity": "medium"},
        {"fingerprint": data["fingerprints"][2]["fingerprint"], "rule_id": "gate.missing",
         "plan_id": "a-2027", "entity_id": None, "severity": "high"}]}

    assert statuses(capsys, "plans", "--baseline", "baseline.json") == (0, [
        ("a-2027", "claw.none", "baselined"), ("a-2027", "gate.missing", "baselined"),
        ("a-2027", "cs.handle-time", "baselined")])
    write(workdir, {"plans/b.yaml": risky("b-2027")})
    code, found = statuses(capsys, "plans", "--baseline", "baseline.json")
    assert code == 1
    assert [f for f in found if f[2] == "open"] == [
        ("b-2027", "claw.none", "open"), ("b-2027", "gate.missing", "open"),
        ("b-2027", "cs.handle-time", "open")]


def test_baseline_is_deterministic(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky("a-2027"), "plans/b.yaml": risky("b-2027")})
    run(capsys, "check", "plans", "--write-baseline", "one.json")
    write(workdir, {"plans/a.yaml": risky("b-2027"), "plans/b.yaml": risky("a-2027")})
    run(capsys, "check", "plans", "--write-baseline", "two.json")
    one = (workdir / "one.json").read_bytes()
    assert one == (workdir / "two.json").read_bytes()
    entries = json.loads(one)["fingerprints"]
    keys = [(e["rule_id"], e["plan_id"], e["entity_id"] or "") for e in entries]
    assert keys == sorted(keys) and len(keys) == 6


def test_fingerprints_survive_moves_reordering_and_unrelated_edits(workdir: Path) -> None:
    first = write(workdir / "v1", {"a.yaml": risky("a-2027"), "b.yaml": risky("b-2027")})
    report = check([first])
    import pandas as pd

    from policycheck.baseline import read_baseline, write_baseline

    recorded = write_baseline(report.findings, workdir / "baseline.json")
    # what the run goes on with is what reading the file back gives
    pd.testing.assert_frame_equal(recorded, read_baseline(workdir / "baseline.json"),
                                  check_dtype=False)
    assert len(recorded) == 6
    # b moves into a's file, after a comment; a's file is reordered; names and headcounts
    # change: nothing new.
    a_plan = risky("a-2027").replace("headcount: 40", "headcount: 55").replace(
        "name: Contact centre agent incentive 2027", "name: Renamed plan")
    merged = "plans:\n" + "".join(
        "  - " + text.split("plan:\n", 1)[1].strip().replace("\n", "\n  ") + "\n"
        for text in (risky("b-2027"), a_plan))
    second = write(workdir / "v2", {"moved/all.yaml": "# both plans, one file\n" + merged})
    moved = check([second], baseline=workdir / "baseline.json")
    assert len(moved.findings) == 6
    assert set(moved.findings["status"]) == {"baselined"}
    assert moved.exit_code == 0
    assert set(moved.findings["src_line"]) != set(report.findings["src_line"])


def test_a_finding_more_severe_than_recorded_is_not_baselined(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky("a-2027")})
    run(capsys, "check", "plans", "--write-baseline", "baseline.json", "--severity",
        "gate.missing=medium")
    code, found = statuses(capsys, "plans", "--baseline", "baseline.json")
    assert code == 1
    assert ("a-2027", "gate.missing", "open") in found
    assert statuses(capsys, "plans", "--baseline", "baseline.json", "--severity",
                    "gate.missing=low")[0] == 0


def test_waived_findings_are_not_recorded(workdir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky("a-2027"), "waivers.yaml": """\
        waivers:
          - {rule: gate.missing, plan: a-2027, reason: r, owner: o, expires: 2999-01-01}
        """})
    code, _, err = run(capsys, "check", "plans", "--waivers", "waivers.yaml",
                       "--write-baseline", "baseline.json")
    assert (code, err) == (0, "wrote baseline.json: 2 findings recorded\n")
    rules = [e["rule_id"] for e in json.loads((workdir / "baseline.json").read_text())
             ["fingerprints"]]
    assert rules == ["claw.none", "cs.handle-time"]


def test_no_baseline_is_written_from_invalid_plans(workdir: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky("a-2027"),
                    "plans/b.yaml": good("b-2027").replace("weight: 40%", "weight: 45%")})
    code, out, err = run(capsys, "check", "plans", "--write-baseline", "baseline.json")
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == ("policycheck: error: some plans are invalid, so the "
                                    "baseline was not written; fix the errors above first")
    assert not (workdir / "baseline.json").exists()


@pytest.mark.parametrize("text, message", [
    ('{"version": 1, "fingerprints": [', "baseline.json:1:33: error: invalid JSON: Expecting "
                                         "value [baseline-json]\npolicycheck: error: the "
                                         "baseline baseline.json is not valid\n"),
    ('{"version": 2, "fingerprints": []}',
     'policycheck: error: baseline.json: not a policycheck baseline: expected {"version": 1, '
     '"fingerprints": [{"fingerprint": ..., "severity": ...}, ...]} (write one with '
     '--write-baseline)\n'),
    ('[]', 'policycheck: error: baseline.json: not a policycheck baseline: expected '
           '{"version": 1, "fingerprints": [{"fingerprint": ..., "severity": ...}, ...]} '
           '(write one with --write-baseline)\n'),
    *((text, 'policycheck: error: baseline.json: not a policycheck baseline: expected '
             '{"version": 1, "fingerprints": [{"fingerprint": ..., "severity": ...}, ...]} '
             '(write one with --write-baseline)\n') for text in (
        # a severity that is not one (a list cannot even be looked up), a fingerprint that
        # is not text or is missing, an entry that is not a mapping
        '{"version": 1, "fingerprints": [{"fingerprint": "a", "severity": []}]}',
        '{"version": 1, "fingerprints": [{"fingerprint": "a", "severity": "grave"}]}',
        '{"version": 1, "fingerprints": [{"fingerprint": 5, "severity": "high"}]}',
        '{"version": 1, "fingerprints": [{"severity": "high"}]}',
        '{"version": 1, "fingerprints": [{"fingerprint": "a"}]}',
        '{"version": 1, "fingerprints": ["a"]}',
        # integers past Python's 4,300 digits (int() raised ValueError: an internal error)
        '{"version": ' + "9" * 4_400 + ', "fingerprints": []}',
        '{"version": ' + "9" * 30 + ', "fingerprints": []}',
        '{"version": 1, "fingerprints": [{"fingerprint": ' + "9" * 4_400
        + ', "severity": "high"}]}')),
    # past the stack of either parser, at the top or under a key no one reads: said where
    # the nesting is deepest
    ("[" * 100_000 + "]" * 100_000,
     "baseline.json:1:100000: error: invalid JSON: nested 100,000 levels deep, more than "
     "the parser can follow [baseline-json]\n"
     "policycheck: error: the baseline baseline.json is not valid\n"),
    ('{"version": 1, "fingerprints": [],\n "x": "[[{", "y": ' + "[" * 100_000
     + "]" * 100_000 + "}",
     "baseline.json:2:100018: error: invalid JSON: nested 100,001 levels deep, more than "
     "the parser can follow [baseline-json]\n"
     "policycheck: error: the baseline baseline.json is not valid\n"),
])
def test_a_file_that_is_not_a_baseline(workdir: Path, capsys: pytest.CaptureFixture[str],
                                       text: str, message: str) -> None:
    write(workdir, {"plans/a.yaml": risky(), "baseline.json": text})
    assert run(capsys, "check", "plans", "--baseline", "baseline.json") == (2, "", message)


def test_a_long_integer_where_no_field_is_read_is_no_matter(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A baseline read by json (its version written 1.0) with an integer past Python's
    4,300 digits under a key no one reads is a baseline, as with a short one."""
    write(workdir, {"plans/a.yaml": risky()})
    run(capsys, "check", "plans", "--write-baseline", "baseline.json")
    text = (workdir / "baseline.json").read_text()
    assert text.startswith('{\n  "version": 1,\n')
    (workdir / "baseline.json").write_text(text.replace(
        '"version": 1,', '"version": 1.0, "x_note": ' + "9" * 4_400 + ",", 1))
    code, found = statuses(capsys, "plans", "--baseline", "baseline.json")
    assert (code, [status for *_, status in found]) == (0, ["baselined"] * 3)


def test_missing_baseline(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky()})
    assert run(capsys, "check", "plans", "--baseline", "nope.json") == (
        2, "", "policycheck: error: nope.json: no such baseline file (write one with "
               "--write-baseline)\n")


def test_baseline_from_the_environment(workdir: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/a.yaml": risky()})
    run(capsys, "check", "plans", "--write-baseline", "baseline.json")
    monkeypatch.setenv("POLICYCHECK_BASELINE", "baseline.json")
    assert statuses(capsys, "plans")[0] == 0


def test_a_baseline_past_the_size_limit_stops_the_run(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workdir, {"plans/risky.yaml": risky()})
    assert run(capsys, "check", "plans", "--write-baseline", "baseline.json")[0] == 0
    baseline = workdir / "baseline.json"
    baseline.write_text(baseline.read_text(encoding="utf-8") + " " * 11_000, encoding="utf-8")
    assert run(capsys, "check", "plans", "--baseline", "baseline.json")[0] == 0  # valid JSON
    refused_for_size(capsys, "--baseline", "baseline.json", "baseline")


def test_a_baseline_named_gz_is_written_and_read_compressed(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GitHub refuses a pushed file over 100 MB (a baseline of 100,000 plans is 157 MB, 13
    MB compressed): ``*.gz`` is written gzip-compressed, the same findings the same bytes,
    and a compressed baseline is read whatever its name."""
    import gzip

    write(workdir, {"plans/a.yaml": risky("a-2027"), "plans/b.yaml": good("b-2027")})
    assert run(capsys, "check", "plans", "--write-baseline", "baseline.json")[0] == 0
    code, _, err = run(capsys, "check", "plans", "--write-baseline", "baseline.json.gz")
    assert (code, err) == (0, "wrote baseline.json.gz: 3 findings recorded\n")
    packed = (workdir / "baseline.json.gz").read_bytes()
    assert packed[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"  # no name, no time
    assert gzip.decompress(packed) == (workdir / "baseline.json").read_bytes()
    run(capsys, "check", "plans", "--write-baseline", "again.gz")
    assert (workdir / "again.gz").read_bytes() == packed
    (workdir / "named.json").write_bytes(packed)
    for name in ("baseline.json.gz", "named.json"):
        assert statuses(capsys, "plans", "--baseline", name) == (0, [
            ("a-2027", "claw.none", "baselined"), ("a-2027", "gate.missing", "baselined"),
            ("a-2027", "cs.handle-time", "baselined")])


def test_a_compressed_baseline_that_is_not_whole_or_unpacks_too_far(
        workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip

    write(workdir, {"plans/a.yaml": risky()})
    run(capsys, "check", "plans", "--write-baseline", "baseline.json.gz")
    packed = (workdir / "baseline.json.gz").read_bytes()
    error = "policycheck: error: bad.gz: the baseline is not valid gzip data"
    for data, said in ((packed[:-12], f"{error} (it ends early)\n"),
                       (packed + packed, f"{error} (more follows its end; expected one gzip "
                                         "member)\n"),
                       (packed[:10] + b"\xff" * 20, f"{error} (Error -3 while decompressing "
                                                     "data: invalid block type)\n")):
        (workdir / "bad.gz").write_bytes(data)
        assert run(capsys, "check", "plans", "--baseline", "bad.gz") == (2, "", said)
    plain = gzip.decompress(packed)
    (workdir / "bad.gz").write_bytes(gzip.compress(plain + b" " * 20_000, mtime=0))
    assert (workdir / "bad.gz").stat().st_size < 10_000  # within the limit packed, not unpacked
    assert run(capsys, "--max-file-size", "0.01", "check", "plans", "--baseline",
               "bad.gz") == (2, "", "policycheck: error: bad.gz: the baseline unpacks to more "
                                    "than 10,485 bytes, the limit (raise it with policycheck "
                                    "--max-file-size MB)\n")


@settings(max_examples=100, deadline=None, derandomize=True)
@given(rows=st.lists(st.tuples(
    st.text(alphabet=st.sampled_from(list("ab.-é\"\\\n")), min_size=1, max_size=6),
    st.sampled_from(["p1", "p2", "p\"3"]),
    st.none() | st.text(alphabet=st.sampled_from(list("xy <>\"\\\t€")), max_size=5),
    st.sampled_from(["critical", "high", "medium", "low", "info"]),
    st.sampled_from(["open", "baselined", "waived", "expired-waiver"])), max_size=30))
def test_baseline_file_is_what_json_dumps_writes(rows: list[tuple[Any, ...]]) -> None:
    """The entries are encoded from the columns, chunk by chunk: byte for byte what
    json.dumps(indent=2, ensure_ascii=False) writes of the sorted entries."""
    import pandas as pd

    from policycheck import baseline
    from policycheck.formats import json_format

    findings = pd.DataFrame(rows, columns=["rule_id", "plan_id", "entity_id", "severity",
                                           "status"]).assign(scope="plan", fingerprint=None)
    findings = findings.astype({"rule_id": "str", "plan_id": "str", "severity": "str"})
    table = baseline.baseline_table(findings)
    entries = baseline.baseline_entries(findings)
    keys = [(e["rule_id"], e["plan_id"], e["entity_id"] or "", e["fingerprint"])
            for e in entries]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    expected = json.dumps({"version": 1, "tool": "policycheck", "fingerprints": entries},
                          indent=2, ensure_ascii=False) + "\n"
    for size in (json_format.CHUNK, 2):
        baseline.CHUNK = size  # parts of the list too
        try:
            assert b"".join(baseline.baseline_chunks(table)).decode() == expected
        finally:
            baseline.CHUNK = json_format.CHUNK


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([1.0, 0.5])
    | st.text(alphabet=st.sampled_from(list("ab\"\\\u00e9\U0001f600\n")), max_size=4)
    | st.sampled_from(["high", "info", "grave", "1"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["fingerprint", "severity", "k"]), inner, max_size=3),
    max_leaves=6)


def _json_object(pairs: list[tuple[str, Any]]) -> str:
    """A JSON object of ``pairs`` in order, a key possibly twice (``json.dumps`` of a dict
    cannot write that)."""
    return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in pairs) + "}"


_ENTRY_PAIRS = st.lists(st.tuples(
    st.sampled_from(["fingerprint", "severity", "rule_id", "fingerprint"]),
    st.sampled_from(['"a"', '"b"', '"high"', '"low"', '"grave"', "5", "null", "[]"])
    | _JSON_VALUES.map(json.dumps)), max_size=4)
#: An entry as --write-baseline writes it, its keys in any order, with others beside.
_GOOD_ENTRY = st.builds(
    lambda fingerprint, severity, others, order: _json_object(sorted(
        [("fingerprint", json.dumps(fingerprint)), *severity, *others],
        key=lambda pair: order.index(pair[0]) if pair[0] in order else 9)),
    st.text(alphabet=st.sampled_from(list("0af\"\\\u00e9")), max_size=4),
    st.sampled_from([[], [("severity", '"high"')], [("severity", '"info"')]]),
    st.lists(st.tuples(st.sampled_from(["rule_id", "entity_id"]), _JSON_VALUES.map(json.dumps)),
             max_size=2),
    st.permutations(["severity", "fingerprint", "rule_id", "entity_id"]))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(version=st.sampled_from(["1", "1", "1", "1.0", "true", "2", '"1"', "null"]),
       entries=st.lists(_GOOD_ENTRY, max_size=4) | st.lists(
           _GOOD_ENTRY | _ENTRY_PAIRS.map(_json_object) | _JSON_VALUES.map(json.dumps),
           max_size=4),
       extra=st.lists(st.tuples(st.sampled_from(["tool", "tool", "version", "fingerprints"]),
                                _JSON_VALUES.map(json.dumps)), max_size=1),
       ascii_only=st.booleans())
def test_the_fast_read_agrees_with_json(version: str, entries: list[str],
                                        extra: list[tuple[str, str]], ascii_only: bool) -> None:
    """msgspec reads a well-formed baseline; whatever it reads, ``json`` reads the same
    (duplicate keys: the last counts; unknown keys skipped), and what it does not read
    (``1.0`` or ``true`` for a version, a wrong type anywhere) goes to ``json``, which reads
    or refuses it as it always has."""
    from policycheck import baseline
    from policycheck.errors import PolicycheckError

    text = _json_object([("version", version), ("fingerprints", f"[{', '.join(entries)}]"),
                         *extra])
    data: bytes | str = text.encode() if ascii_only and text.isascii() else text
    fast = baseline._typed_entries(data)
    try:
        slow: Any = baseline._entries(data, "b.json")
    except PolicycheckError as exc:
        slow = str(exc)
    assert fast is None or fast == slow
    if version == "1" and all(key == "tool" for key, _ in extra) and isinstance(slow, tuple):
        assert fast == slow  # the fast way reads every baseline json reads with version 1
