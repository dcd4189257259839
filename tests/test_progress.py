"""The progress bar: only on a terminal, never with --quiet, in CI logs or a pipe."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest

from policycheck.cli import main, options


def test_no_progress_bar_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str],
                                                        in_repo: object) -> None:
    main(["check", "sample_data/yaml", "--format", "json"])
    assert capsys.readouterr().err == ""


def test_progress_bar_on_a_terminal_and_silenced_by_quiet(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

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
    assert stages == ["reading and validating plans", "evaluating rules",
                      f"writing {tmp_path}/a.xlsx", f"writing {tmp_path}/b.csv"]


@pytest.mark.parametrize(("args", "expected"), [
    (["diff", "sample_data/yaml", "sample_data/yaml"],
     ["old: reading and validating plans", "old: evaluating rules",
      "new: reading and validating plans", "new: evaluating rules"]),
    (["analyze", "sample_data/yaml", "--actuals", "sample_data/yaml/kpi_actuals.csv",
      "--output", "json:{tmp}/a.json"],
     ["reading and validating plans", "reading actuals", "looking for evidence",
      "writing {tmp}/a.json"]),
    (["export", "sample_data/yaml", "--csv", "{tmp}/tables", "--xlsx", "{tmp}/plans.xlsx"],
     ["reading and validating plans", "writing {tmp}/tables", "writing {tmp}/plans.xlsx"]),
], ids=["diff", "analyze", "export"])
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
