"""The progress bar: only on a terminal, never with --quiet, in CI logs or a pipe."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from policycheck.cli import main, options

#: The stages of reading the plans (``validation.load_model``), in order.
READING = ["finding input files", "reading plans", "validating plans"]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str],
                                                        in_repo: object) -> None:
    main(["check", "sample_data/yaml", "--format", "json"])
    assert capsys.readouterr().err == ""


def test_progress_bar_on_a_terminal_and_silenced_by_quiet(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options.sys, "stderr", Terminal())
    with options.progress(quiet=False) as step:
        assert step is not None
        step("evaluating rules", 3)
        step("", None)
    with options.progress(quiet=True) as step:
        assert step is None


def test_quiet_silences_the_summary_lines(tmp_path: object, in_repo: object,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{tmp_path}/r.md"
    main(["report", "sample_data/yaml", "-o", target])
    assert "wrote" in capsys.readouterr().err
    main(["report", "sample_data/yaml", "-o", target, "--quiet"])
    assert capsys.readouterr().err == ""


def test_the_bar_names_each_output_file_as_it_is_written(
        tmp_path: object, in_repo: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing a large workbook takes a while after the check: the bar says which file."""
    import contextlib

    from policycheck.cli import checking

    stages: list[str] = []

    @contextlib.contextmanager
    def recorded(quiet: bool) -> Iterator[Callable[[str, int | None], None]]:
        yield lambda stage, total: stages.append(stage) if stage else None

    monkeypatch.setattr(checking, "progress", recorded)
    main(["check", "sample_data/yaml", "--format", "json", "--output", f"xlsx:{tmp_path}/a.xlsx",
          "--output", f"csv:{tmp_path}/b.csv"])
    assert stages == [*READING, "evaluating rules",
                      f"writing {tmp_path}/a.xlsx", f"writing {tmp_path}/b.csv"]


@pytest.mark.parametrize(("args", "expected"), [
    (["diff", "sample_data/yaml", "sample_data/yaml"],
     [*(f"old: {stage}" for stage in READING), "old: evaluating rules",
      *(f"new: {stage}" for stage in READING), "new: evaluating rules"]),
    (["analyze", "sample_data/yaml", "--actuals", "sample_data/yaml/kpi_actuals.csv",
      "--output", "json:{tmp}/a.json"],
     [*READING, "reading actuals", "looking for evidence", "writing {tmp}/a.json"]),
    (["export", "sample_data/yaml", "--csv", "{tmp}/tables", "--xlsx", "{tmp}/plans.xlsx"],
     [*READING, "writing {tmp}/tables", "writing {tmp}/plans.xlsx"]),
    (["validate", "sample_data/yaml"], READING),
], ids=["diff", "analyze", "export", "validate"])
def test_every_command_that_reads_plans_names_its_stages(
        args: list[str], expected: list[str], tmp_path: object, in_repo: object,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The bar says what a long command is doing; a diff checks two versions, each as long
    as a check, and says which."""
    import contextlib

    from policycheck.cli import checking, project, reports

    stages: list[str] = []

    @contextlib.contextmanager
    def recorded(quiet: bool) -> Iterator[Callable[[str, int | None], None]]:
        yield lambda stage, total: stages.append(stage) if stage else None

    for module in (checking, project, reports):
        monkeypatch.setattr(module, "progress", recorded)
    assert main([arg.format(tmp=tmp_path) for arg in args]) in (0, 1)
    assert stages == [stage.format(tmp=tmp_path) for stage in expected]


class Recorder:
    """A progress callback that keeps what it is told: each stage as ``[name, total,
    steps]``, the steps as told (None for one)."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, int | None, list[int | None]]] = []

    def __call__(self, stage: str, total: int | None) -> None:
        if stage:
            self.stages.append((stage, total, []))
        else:
            self.stages[-1][2].append(total)

    def told(self) -> list[tuple[str, int | None, int]]:
        """Each stage, its total and the steps told in all."""
        return [(stage, total, sum(1 if n is None else n for n in steps))
                for stage, total, steps in self.stages]


def _plan_files(folder: Path, count: int) -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(count):
        (folder / f"p{i:04d}.yaml").write_text(
            f"plan:\n  id: p{i}\n  role_kind: service\n  base_pay: {1000 + i}\n"
            "  target_variable: 100\n  components:\n"
            "    - {id: c1, kpi: aht, weight: 1.0}\n", encoding="utf-8")
    return folder


def _rules() -> int:
    from policycheck.engine import compile_rules
    from policycheck.ruleset import load_rules

    return len(compile_rules(load_rules(None)))


def test_check_counts_the_yaml_files_read(tmp_path: Path) -> None:
    from policycheck import pipeline

    folder = _plan_files(tmp_path / "plans", 5)
    (folder / "notes.txt").write_text("not a data file", encoding="utf-8")
    told = Recorder()
    report = pipeline.check([folder], progress=told)
    assert report.plans_read == 5
    assert told.told() == [("finding input files", None, 0), ("reading plans", 5, 5),
                           ("validating plans", None, 0),
                           ("evaluating rules", _rules(), _rules())]
    assert told.stages[1][2] == [None] * 5  # parsed here, one by one


def test_check_counts_the_tables_read(in_repo: Path) -> None:
    """Each CSV table found is a step, the evidence table that only analyze reads too."""
    from policycheck import pipeline

    told = Recorder()
    pipeline.check(["sample_data/csv"], progress=told)
    tables = len(list(Path("sample_data/csv").glob("*.csv")))
    assert told.told() == [("finding input files", None, 0), ("reading plans", tables, tables),
                           ("validating plans", None, 0),
                           ("evaluating rules", _rules(), _rules())]


def test_files_parsed_in_workers_are_counted_a_chunk_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policycheck import streams, yamlfiles
    from policycheck.validation import load_model

    monkeypatch.setattr(yamlfiles, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(streams, "cores", lambda: 2)
    folder = _plan_files(tmp_path / "plans", 200)
    told = Recorder()
    model = load_model([folder], progress=told)
    assert model.plans_read == 200
    assert told.told() == [("finding input files", None, 0), ("reading plans", 200, 200),
                           ("validating plans", None, 0)]
    chunk = 200 // (2 * yamlfiles.TASKS_PER_WORKER)  # 6
    assert told.stages[1][2] == [chunk] * (200 // chunk) + [200 % chunk]


def test_inputs_answered_from_the_caches_are_counted_at_once(
        tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from policycheck import modelcache
    from policycheck.validation import load_model

    folder = _plan_files(tmp_path / "plans", 4)
    load_model([folder], progress=Recorder())
    whole = Recorder()
    load_model([folder], progress=whole)  # the validated model, whole: nothing to validate
    assert whole.stages == [("finding input files", None, []), ("reading plans", 4, [4])]
    monkeypatch.setattr(modelcache, "read", lambda surveyed, key: None)
    files = Recorder()  # what each file gave, from the file cache: validated again
    load_model([folder], progress=files)
    assert files.stages == [("finding input files", None, []), ("reading plans", 4, [4]),
                            ("validating plans", None, [])]


def test_load_model_without_progress_counts_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No listener, no counting: the files are read as they were before the bar counted."""
    from policycheck import yamlfiles
    from policycheck.validation import load_model

    def never(*args: object) -> None:
        raise AssertionError("counted for no one")

    monkeypatch.setattr(yamlfiles, "_counted", never)
    assert load_model([_plan_files(tmp_path / "plans", 3)]).plans_read == 3


def test_the_bar_counts_a_stage_with_a_total(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.progress import Progress

    advanced: list[float] = []
    advance = Progress.advance

    def spy(self: Progress, task: object, steps: float = 1) -> None:
        advanced.append(steps)
        advance(self, task, steps)  # type: ignore[arg-type]

    monkeypatch.setattr(Progress, "advance", spy)
    terminal = Terminal()
    monkeypatch.setattr(options.sys, "stderr", terminal)
    with options.progress(quiet=False) as step:
        assert step is not None
        step("finding input files", None)
        shown_pulsing = terminal.getvalue()
        step("reading plans", 10)
        step("", 4)
        step("", None)
        step("", 5)
    assert advanced == [4, 1, 5]
    assert "finding input files" in shown_pulsing and "/" not in shown_pulsing
    assert "reading plans" in terminal.getvalue()
    assert "0/10" in terminal.getvalue()


def test_the_cli_draws_its_stages_on_a_terminal_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(_plan_files(tmp_path / "plans", 3))
    main(["check", folder, "--format", "json"])
    plain = capsys.readouterr()
    assert plain.err == ""
    terminal = Terminal()
    monkeypatch.setattr(options.sys, "stderr", terminal)
    main(["check", folder, "--format", "json"])
    assert capsys.readouterr().out == plain.out  # the bar changes nothing on stdout
    drawn = terminal.getvalue()
    for stage in [*READING, "evaluating rules"]:
        assert stage in drawn
    assert "0/3" in drawn
