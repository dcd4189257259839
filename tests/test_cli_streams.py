"""The CLI's standard streams: a reader of the output that goes away (``| head -1``) stops
the run with 141 and nothing said; the errors a machine format holds are said on stderr
too, for a CI log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from policycheck.cli import EXIT_READER_GONE, main
from policycheck.cli.output import ERRORS_ON_STDERR

SAMPLE = ROOT / "sample_data" / "yaml"
ACTUALS = SAMPLE / "kpi_actuals.csv"
#: A pipe shrunk to one page: a command writing more than that and a line, to a reader
#: that reads one line, surely meets the closed pipe, however fast either side is.
PIPE_SIZE = 4096

#: A plan with only an id: three errors, at the line of ``id``.
BAD_PLAN = "plan: {id: x}\n"
BAD_PLAN_ERRORS = [f"bad.yaml:1:7: error: plan 'x': {field} is required [missing-field]"
                   for field in ("base_pay", "role_kind", "target_variable")]


# --- a reader that goes away: 141, silently -------------------------------------------

def _read_line(descriptor: int) -> bytes:
    """One line from the pipe, byte by byte: nothing more is taken from it."""
    line = b""
    while not line.endswith(b"\n") and (byte := os.read(descriptor, 1)):
        line += byte
    return line


def _run_into_a_reader_of_one_line(argv: list[str], tmp_path: Path, unbuffered: bool
                                   ) -> tuple[int, bytes, str]:
    """``policycheck ARGV | head -1``: the exit code, the line read and stderr; standard
    output ``unbuffered`` or not (PYTHONUNBUFFERED)."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("a pipe's size is set on Linux only")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("POLICYCHECK_") and k != "PYTHONUNBUFFERED"}
    env.update(POLICYCHECK_CACHE_DIR=str(tmp_path / "cache"), NO_COLOR="1")
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    with subprocess.Popen([sys.executable, "-m", "policycheck", *argv], cwd=tmp_path,
                          stdout=write, stderr=subprocess.PIPE, env=env) as process:
        os.close(write)
        try:
            line = _read_line(read)
        finally:
            os.close(read)
        _, stderr = process.communicate(timeout=120)
    return process.returncode, line, stderr.decode(errors="replace")


@pytest.mark.parametrize("argv", [
    ["check", str(SAMPLE), "--fail-on", "none", "--format", "json"],  # 145 KB
    ["check", str(SAMPLE), "--fail-on", "none", "--format", "sarif"],
    ["check", str(SAMPLE), "--fail-on", "none", "--format", "csv"],
    ["check", str(SAMPLE), "--fail-on", "none"],  # text, 34 KB
    ["kpis", "list"],  # 7 KB
    ["rules", "list"],  # 5.5 KB
], ids=["check-json", "check-sarif", "check-csv", "check-text", "kpis-list", "rules-list"])
@pytest.mark.parametrize("unbuffered", [False, True], ids=["buffered", "unbuffered"])
def test_a_reader_gone_stops_the_run_with_141_and_nothing_said(
        argv: list[str], unbuffered: bool, tmp_path: Path) -> None:
    """Was exit 1 (click's own handling: "findings at or above --fail-on" under
    ``bash -eo pipefail``), or 0 or 1 by timing; now 141 (128 + SIGPIPE, as ``yes | head
    -1``), with no traceback and no "Exception ignored ... BrokenPipeError" at exit. An
    unbuffered standard output (``python -u``) took part of a piece and dropped the rest
    unsaid: exit 0 at times."""
    code, line, stderr = _run_into_a_reader_of_one_line(argv, tmp_path, unbuffered)
    assert line.endswith(b"\n"), (code, stderr)  # the command did write
    assert (code, stderr) == (EXIT_READER_GONE, "")


# --- the errors of a machine format, on stderr too ------------------------------------

def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


@pytest.fixture
def bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding bad.yaml (three errors) and notes.yaml (a warning: no plan in it),
    the current folder."""
    (tmp_path / "bad.yaml").write_text(BAD_PLAN, encoding="utf-8")
    (tmp_path / "notes.yaml").write_text("title: notes\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_check_says_the_errors_of_a_machine_format_on_stderr(
        bad: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    """``check --format sarif > results.sarif`` failed with exit 2 and a blank log: the
    errors (not the warnings) are said as the text format says them; the output is whole."""
    code, out, err = _run(capsys, "check", ".", "--format", fmt)
    assert (code, err) == (2, BAD_PLAN_ERRORS)
    assert json.loads(out)


def test_quiet_and_text_say_no_errors_on_stderr(bad: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """--quiet silences the copy; the text format shows the errors on stdout, once."""
    code, out, err = _run(capsys, "check", ".", "--format", "json", "--quiet")
    assert (code, err) == (2, [])
    assert json.loads(out)["problems"]
    code, out, err = _run(capsys, "check", ".")
    assert (code, err) == (2, [])
    assert all(line in out.splitlines() for line in BAD_PLAN_ERRORS)


def test_errors_on_stderr_are_hidden_as_the_output_hides_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """SARIF is redacted by default: a pay figure its problems leave out is left out of
    the CI log too; JSON is not."""
    plan = (SAMPLE / "plans" / "retention-desk.yaml").read_text(encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(
        plan.replace("base_pay: 22000", "base_pay: '22 000 EUR'"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    said = "plan.yaml:10:3: error: plan 'ret-save-desk-2027': base_pay: got "
    code, _, err = _run(capsys, "check", "plan.yaml", "--format", "sarif")
    assert (code, err) == (2, [said + "'[redacted]', expected a number; without the "
                               "currency, write it without thousands separators "
                               "[invalid-value]"])
    code, _, err = _run(capsys, "check", "plan.yaml", "--format", "json")
    assert code == 2 and err[0].startswith(said + "'22 000 EUR'")


def test_github_annotations_are_not_said_twice(bad: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The runner shows each annotation in the job's log as it reads it: the same errors
    on stderr showed every error twice there."""
    code, out, err = _run(capsys, "check", ".", "--format", "github")
    assert (code, err) == (2, [])
    assert out.splitlines()[0] == ("::error file=bad.yaml,line=1,col=7,title=policycheck "
                                   "missing-field::plan 'x': base_pay is required")


def test_at_most_twenty_errors_then_how_many_more(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(8):  # 24 errors
        (tmp_path / f"bad{index}.yaml").write_text(f"plan: {{id: x{index}}}\n",
                                                   encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "check", ".", "--format", "json")
    assert code == 2 and len(json.loads(out)["problems"]) == 24
    assert len(err) == ERRORS_ON_STDERR + 1
    assert err[0] == "bad0.yaml:1:7: error: plan 'x0': base_pay is required [missing-field]"
    assert err[-1] == "... and 4 more errors: all of them are in the json output"


def test_validate_diff_and_analyze_say_their_errors_too(
        bad: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same in every command with a machine format: validate --format json, diff
    --format json and markdown (the new version's errors), analyze --format json."""
    code, out, err = _run(capsys, "validate", ".", "--format", "json")
    assert (code, err) == (2, BAD_PLAN_ERRORS) and json.loads(out)
    assert _run(capsys, "validate", ".", "--format", "json", "-q")[::2] == (2, [])
    (bad / "old").mkdir()
    (bad / "new").mkdir()
    (bad / "new" / "bad.yaml").write_text(BAD_PLAN, encoding="utf-8")
    new_errors = [f"new/{line}" for line in BAD_PLAN_ERRORS]
    code, out, err = _run(capsys, "diff", "old", "new", "--format", "json")
    assert (code, err) == (2, new_errors) and json.loads(out)
    code, out, err = _run(capsys, "diff", "old", "new", "--format", "markdown")
    assert (code, err) == (2, new_errors) and out.startswith("## policycheck diff")
    code, out, err = _run(capsys, "diff", "old", "new", "--format", "json", "--quiet")
    assert (code, err) == (2, []) and json.loads(out)
    code, out, err = _run(capsys, "analyze", str(SAMPLE), "bad.yaml", "--actuals",
                          str(ACTUALS), "--format", "json")
    assert (code, err) == (2, BAD_PLAN_ERRORS) and json.loads(out)
    assert _run(capsys, "analyze", str(SAMPLE), "bad.yaml", "--actuals", str(ACTUALS),
                "--format", "json", "--quiet")[::2] == (2, [])


# --- output in an encoding without '→' or '❌' ------------------------------------------

@pytest.mark.parametrize("argv", [
    ["check", str(SAMPLE), "--format", "markdown"],
    ["diff", str(SAMPLE), str(SAMPLE), "--format", "markdown"],
])
def test_output_redirected_in_another_encoding_is_utf8(argv: list[str],
                                                       tmp_path: Path) -> None:
    """A Windows runner redirects output in its ANSI code page (cp1252), which has no '❌':
    the markdown and the diff stopped with an internal error (exit 3). Redirected output is
    UTF-8, as the text output and every --output file are."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    env.update(POLICYCHECK_CACHE_DIR=str(tmp_path / "cache"), PYTHONIOENCODING="cp1252")
    done = subprocess.run([sys.executable, "-m", "policycheck", *argv], capture_output=True,
                          env=env, cwd=tmp_path, timeout=300)
    utf8 = subprocess.run([sys.executable, "-m", "policycheck", *argv], capture_output=True,
                          env=env | {"PYTHONIOENCODING": "utf-8"}, cwd=tmp_path, timeout=300)
    assert (done.returncode, done.stderr) == (utf8.returncode, b"")
    assert done.returncode in (0, 1)
    assert done.stdout == utf8.stdout
    assert "❌" in done.stdout.decode("utf-8") or "→" in done.stdout.decode("utf-8")


# --- what stops a github run is an annotation ------------------------------------------

def test_a_config_that_stops_a_github_run_is_annotated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The config's errors were plain lines in the log, where a plan's are annotations."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policycheck.yaml").write_text("fail_onn: high\n")
    (tmp_path / "bad.yaml").write_text(BAD_PLAN)
    annotated = ("::error file=policycheck.yaml,line=1,col=1,title=policycheck config-key::"
                 "unknown key 'fail_onn'; did you mean 'fail_on'?\n"
                 "::error title=policycheck::the config file policycheck.yaml is not valid\n")
    said = "policycheck: error: the config file policycheck.yaml is not valid\n"
    assert main(["check", "bad.yaml", "--format", "github"]) == 2
    assert capsys.readouterr()[:2] == (annotated, said)
    monkeypatch.setenv("POLICYCHECK_FORMAT", "github")
    assert main(["check", "bad.yaml"]) == 2
    assert capsys.readouterr()[:2] == (annotated, said)
    assert main(["check", "bad.yaml", "--format", "text"]) == 2
    assert capsys.readouterr()[:2] == ("", "policycheck.yaml:1:1: error: unknown key "
                                           "'fail_onn'; did you mean 'fail_on'? [config-key]\n"
                                           + said)
    # the file's own format: the run stops at the waivers it names
    (tmp_path / "policycheck.yaml").write_text("format: github\nwaivers: none.yaml\n")
    monkeypatch.delenv("POLICYCHECK_FORMAT")
    assert main(["check", "bad.yaml"]) == 2
    assert capsys.readouterr()[:2] == ("::error title=policycheck::none.yaml: no such waivers "
                                       "file\n", "policycheck: error: none.yaml: no such "
                                                 "waivers file\n")


def test_many_problems_are_counted_by_kind_and_warnings_are_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Thousands of error lines ended in "4689 errors above" with no word of what they were,
    and check never counted the warnings."""
    plan = (ROOT / "sample_data/yaml/plans/stores.yaml").read_text("utf-8")
    for number in range(12):  # two problems each: a misspelt key, the key it lacks
        (tmp_path / f"p{number}.yaml").write_text(
            plan.replace("st-store-manager-2027", f"p{number}").replace("weight:", "wieght:", 1)
            .replace("base_pay:", "x_note: n\n  base_pay:", 1), "utf-8")
    (tmp_path / "notes.yaml").write_text("a: 1\n", "utf-8")  # skipped, with a warning
    assert main(["check", str(tmp_path)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert lines[-4:] == [
        "24 errors above: the run fails until they are fixed.",
        "1 warning above.",
        "Problems by kind: 12 missing-field, 12 unknown-field and 1 unrecognised-file.",
        "0 findings at or above 'high'."]
