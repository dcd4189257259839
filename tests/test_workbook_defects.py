"""Workbooks and folders as people leave them: a stray cell at a sheet's last cell, an
office program's lock file beside a workbook, policycheck's own reports saved among the
plans.

- A sheet whose rectangle from A1 to its last cell is vast but whose cells are few is read
  from its cells: one blank cell at XFD1048576 made calamine abort the process (a 549 GB
  allocation, exit 134), a stray 'x' at AD1048576 took 8 s and 1.5 GB for two plans.
- ``~$company.xlsx`` (Excel's lock file) failed a folder's run as a broken workbook; lock
  files are passed over as hidden files are, and one named on the command line is said to be
  one.
- ``check . -o findings.xlsx`` then ``check .`` read the report's plans sheet as plans (every
  plan a duplicate, exit 2); ``-o plans/findings.csv`` was skipped as input, yet refused as
  an output the next run ("is one of the input files"). The report is passed over with a
  warning, and only the files a run reads are its inputs.
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from ci_plans import run
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policycheck import workbooks
from policycheck.validation import load_model

SAMPLE = ROOT / "sample_data" / "csv"


def _two_plans() -> dict[str, list[list[str]]]:
    """The sample company's first two plans and their components, as rows of cells."""
    with (SAMPLE / "plans.csv").open(encoding="utf-8") as plans:
        rows = list(csv.reader(plans))[:3]
    with (SAMPLE / "components.csv").open(encoding="utf-8") as components:
        parts = list(csv.reader(components))
    ids = {row[0] for row in rows[1:]}
    return {"plans": rows, "components": [parts[0], *(p for p in parts[1:] if p[0] in ids)]}


def _workbook(path: Path, far: dict[str, object] | None = None) -> Path:
    """The two plans as a workbook, with ``far`` cells (reference: value) on each sheet."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in _two_plans().items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for ref, value in (far or {}).items():
            sheet[ref] = value
    book.save(path)
    return path


def _csv_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for title, rows in _two_plans().items():
        with (folder / f"{title}.csv").open("w", newline="", encoding="utf-8") as table:
            csv.writer(table).writerows(rows)
    return folder


#: The command line's exit code, output and errors (the caches off: conftest).
_run = run


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder to work in, the root of a (pretend) repository: no config above."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- 1. a stray cell at a sheet's last cell ------------------------------------------------

MEMORY_BYTES = 500 * 1024 * 1024
CPU_SECONDS = 5


def _limits() -> None:  # runs in the child, before exec (as tests/test_hostile.py)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYCHECK_")}
    env.update(NO_COLOR="1", COLUMNS="100", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
    return env


#: Problems of the row a value at row 1048576 makes, past the header's columns: a row with
#: no plan id and none of a component's fields, said where it is.
FAR_ROW = [
    "book.xlsx[components]:1048576: error: component: component_id is required "
    "[missing-field]",
    "book.xlsx[components]:1048576: error: component: kpi is required [missing-field]",
    "book.xlsx[components]:1048576: error: component: plan_id is required [missing-field]",
    "book.xlsx[components]:1048576: error: component: weight is required [missing-field]",
    "book.xlsx[plans]:1048576: error: plan '<plan at book.xlsx[plans]:1048576>': base_pay "
    "is required [missing-field]",
    "book.xlsx[plans]:1048576: error: plan '<plan at book.xlsx[plans]:1048576>': role_kind "
    "is required [missing-field]",
    "book.xlsx[plans]:1048576: error: plan '<plan at book.xlsx[plans]:1048576>': "
    "target_variable is required [missing-field]",
    "book.xlsx[plans]:1048576: error: plan has no id; expected an 'id' unique across all "
    "inputs [missing-field]",
]


def far_row(column: int) -> list[str]:
    """The problems of a value at row 1048576 of ``column``, past the header's columns: a
    value in a column without a name, and the row's (``FAR_ROW``)."""
    nameless = (f"warning: column {column} has no name in the header but holds values; "
                "ignored: expected the name of a field [unknown-column]")
    return [f"book.xlsx[components]:1:{column}: {nameless}", *FAR_ROW[:4],
            f"book.xlsx[plans]:1:{column}: {nameless}", *FAR_ROW[4:]]


@pytest.mark.parametrize(("far", "code", "said"), [
    # calamine's rectangle of 17 billion cells: the process aborted (exit 134)
    ({"XFD1048576": " "}, 0, ["Read 2 plans from 1 file: 2 valid, 0 invalid."]),
    ({"XFD1048576": "x"}, 2, [*far_row(16384), "Read 3 plans from 1 file: 2 valid, "
                                                "1 invalid. 8 errors, 2 warnings."]),
    # 31 million cells: 8 s and 1.5 GB
    ({"AD1048576": "x"}, 2, [*far_row(30), "Read 3 plans from 1 file: 2 valid, "
                                             "1 invalid. 8 errors, 2 warnings."]),
    ({"XFD1": " ", "A1048576": " "}, 0, ["Read 2 plans from 1 file: 2 valid, 0 invalid."]),
])
def test_a_stray_cell_far_away_is_read_as_a_cell_in_little_memory_and_time(
        tmp_path: Path, far: dict[str, object], code: int, said: list[str]) -> None:
    """Under 500 MB of address space and 5 s of CPU: a blank cell far away is nothing, a
    value far away is one more cell, reported where it is when it makes the table wrong."""
    _workbook(tmp_path / "book.xlsx", far)
    done = subprocess.run([sys.executable, "-m", "policycheck", "validate", "book.xlsx",
                           "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          env=_environment(), preexec_fn=_limits, timeout=120)
    assert (done.returncode, done.stdout.splitlines(), done.stderr) == (code, said, "")


def test_a_stray_value_far_away_takes_memory_in_proportion_to_the_cells(
        tmp_path: Path) -> None:
    """The value at AD1048576 made every cell from A1 to it a Python value: 31 million."""
    path = _workbook(tmp_path / "book.xlsx", {"AD1048576": "x"})
    tracemalloc.start()
    try:
        model = load_model([path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [str(p) for p in model.problems] == [p.replace("book.xlsx", str(path))
                                                for p in far_row(30)]
    assert peak < 64 << 20


def _sheet_xml(rows: str) -> bytes:
    return (f'<worksheet><sheetData>{rows}</sheetData></worksheet>').encode()


@pytest.mark.parametrize(("rows", "reach", "dense"), [
    ('<row r="1"><c r="A1"><v>1</v></c><c r="L1"><v>1</v></c></row>', (1, 0), True),
    ('<row r="1"><c r="A1"><v>1</v></c></row>'
     '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t> </t></is></c></row>',
     (1048576, 16384), False),
    ('<row r="1"><c r="A1"><v>1</v></c></row>'
     '<row r="1048576"><c r="AD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
     (1048576, 30), False),
    # a cell with no value (a style left behind) is not one calamine keeps
    ('<row r="2"><c r="A2"><v>1</v></c></row>'
     '<row r="1048576"><c r="XFD1048576" s="1"/></row>', (2, 0), True),
    # a row out of order, found where it has more digits than the last
    ('<row r="900000"><c r="A900000"><v>1</v></c></row><row r="3"><c r="A3"><v>1</v></c>'
     '</row>', (900000, 0), False),
    ('<row r="1"><c r="A1"><v>1</v></c></row><row r="900000"><c r="ZZ900000"><v>1</v></c>'
     '</row><row r="3"><c r="A3"><v>1</v></c></row>', (900000, 702), False),
    ('<row r="7"><c r="A7"><v>1</v></c></row><x:row r="8"><x:c r="AB8"><x:v>1</x:v></x:c>'
     '</x:row>', (8, 28), True),
])
def test_the_scan_finds_how_far_a_sheets_cells_reach(
        tmp_path: Path, rows: str, reach: tuple[int, int], dense: bool) -> None:
    """The last row of a cell with a value and the last column past Z, whatever the order
    of the rows; past the first MB too."""
    filler = '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>' * 20_000
    with zipfile.ZipFile(tmp_path / "book.xlsx", "w") as archive:
        archive.writestr("xl/worksheets/sheet1.xml", _sheet_xml(filler + rows))
    scan = workbooks.scan(tmp_path / "book.xlsx", "xl/worksheets/sheet1.xml")
    assert scan.size > 1 << 20
    assert ((scan.rows, scan.columns), scan.dense()) == (reach, dense)


_CELLS = st.one_of(st.none(), st.sampled_from(["", " ", "x", " pad ", "id", "name",
                                               "base_pay", "#N/A"]),
                   st.integers(-5, 5), st.floats(-1e3, 1e3, allow_nan=False), st.booleans())


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_CELLS, max_size=6), max_size=8),
       far=st.dictionaries(st.sampled_from(["H3", "AD2", "B40", "AA60", "C12", "Z1"]),
                           _CELLS, max_size=3),
       title=st.booleans())
def test_a_sheet_read_from_its_cells_gives_what_its_rectangle_gives(
        rows: list[list[object]], far: dict[str, object], title: bool, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Read from its cells alone, a sheet gives the frames and problems of its rectangle
    read whole, whatever its blank rows, its title, its cells past the header's columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "plans"
    if title:
        sheet.append(["Compensation plans FY2027"])
        sheet.append([])
    sheet.append(["id", "name", "base_pay", "target_variable", "role_kind", "owner"])
    for row in rows:
        sheet.append(row)
    for ref, value in far.items():
        sheet[ref] = value
    path = tmp_path / "book.xlsx"
    book.save(path)
    whole = load_model([path])
    with monkeypatch.context() as patched:
        patched.setattr(workbooks.Scan, "dense", lambda self: False)
        cells = load_model([path])
    assert [str(p) for p in cells.problems] == [str(p) for p in whole.problems]
    for name, frame in whole.frames.items():
        pd.testing.assert_frame_equal(cells.frames[name], frame, check_exact=True)


# --- 2. office programs' lock files ---------------------------------------------------------

#: What Excel writes in ``~$company.xlsx`` while company.xlsx is open: the user's name.
EXCEL_LOCK = b"\x05alice" + b" " * 49 + b"\x05\x00a\x00l\x00i\x00c\x00e\x00" + b" " * 100


def test_lock_files_in_a_folder_are_passed_over(folder: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """A workbook open in Excel (or LibreOffice) has a lock file beside it; so has a CSV
    table open in Excel. The run was "~$company.xlsx: error: cannot open as an .xlsx
    workbook: File is not a zip file [bad-workbook]", exit 2."""
    (folder / "plans").mkdir()
    _workbook(folder / "plans" / "company.xlsx")
    _csv_folder(folder / "tables")
    for name in ("plans/~$company.xlsx", "tables/~$plans.csv", "tables/~$components.csv"):
        (folder / name).write_bytes(EXCEL_LOCK)
    (folder / "plans" / ".~lock.company.xlsx#").write_text("alice,host,alice,01.01.2027;")
    assert _run(capsys, "validate", "plans") == (
        0, "Read 2 plans from 1 file: 2 valid, 0 invalid.\n", "")
    assert _run(capsys, "validate", "tables") == (
        0, "Read 2 plans from 2 files: 2 valid, 0 invalid.\n", "")


def test_a_lock_file_named_on_the_command_line_is_said_to_be_one(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _workbook(folder / "company.xlsx")
    (folder / "~$company.xlsx").write_bytes(EXCEL_LOCK)
    (folder / ".~lock.company.xlsx#").write_text("alice,host,alice,01.01.2027;")
    (folder / "~$gone.xlsx").write_bytes(EXCEL_LOCK)
    assert _run(capsys, "validate", "~$company.xlsx", ".~lock.company.xlsx#",
                "~$gone.xlsx") == (2, (
                    ".~lock.company.xlsx#: error: is a lock file (LibreOffice keeps one beside "
                    "a file while it is open), not a plan file: expected the file itself: "
                    "company.xlsx [unrecognised-file]\n"
                    "~$company.xlsx: error: is a lock file (Microsoft Office keeps one beside "
                    "a file while it is open), not a plan file: expected the file itself: "
                    "company.xlsx [unrecognised-file]\n"
                    "~$gone.xlsx: error: is a lock file (Microsoft Office keeps one beside a "
                    "file while it is open), not a plan file: expected the file itself "
                    "[unrecognised-file]\n"
                    "Read 0 plans from 0 files: 0 valid, 0 invalid. 3 errors, 0 warnings.\n"),
                    "")


def test_a_yaml_lock_file_named_first_leaves_the_next_file_its_own_plans(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The YAML files' bytes are read ahead, in order: a lock file's taken out of them too."""
    from ci_plans import good

    (folder / "~$a.yaml").write_bytes(EXCEL_LOCK)
    (folder / "b.yaml").write_text(good("b-2027"), encoding="utf-8")
    code, out, _ = _run(capsys, "validate", "~$a.yaml", "b.yaml")
    assert (code, out.splitlines()[-1]) == (
        2, "Read 1 plan from 1 file: 1 valid, 0 invalid. 1 error, 0 warnings.")


# --- 3. policycheck's own reports among the plans -------------------------------------------

SKIPPED_CSV = (
    "findings.csv: warning: 'findings.csv' is not a policycheck table name; skipped; expected "
    "one of plans.csv, components.csv, gates.csv, modifiers.csv, competitions.csv, "
    "consequences.csv, campaigns.csv, kpis.csv, employees.csv [unrecognised-file]")
SKIPPED_REPORT = ("findings.xlsx: warning: is a report policycheck wrote (its sheets findings "
                  "and plans), not plans; skipped [unrecognised-file]")


def test_reports_saved_among_the_plans_are_not_read_as_plans(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The next run was "findings.xlsx[plans]:1: error: the plans table has no 'base_pay',
    'target_variable' column", 15 unknown columns, every plan a duplicate of the report's,
    "Checked 0 of 4 plans", exit 2."""
    _csv_folder(folder)
    first = _run(capsys, "check", ".", "-o", "findings.xlsx", "-o", "findings.csv")
    assert first[0] == 1
    *found, failing = first[1].splitlines()  # the summary now says the two warnings
    assert _run(capsys, "check", ".") == (
        first[0], "\n".join([SKIPPED_CSV, SKIPPED_REPORT, *found, "2 warnings above.",
                             failing]) + "\n", "")
    assert _run(capsys, "validate", ".") == (0, (
        f"{SKIPPED_CSV}\n{SKIPPED_REPORT}\n"
        "Read 2 plans from 2 files: 2 valid, 0 invalid. 0 errors, 2 warnings.\n"), "")
    assert _run(capsys, "validate", "findings.xlsx") == (2, (
        "findings.xlsx: error: is a report policycheck wrote (its sheets findings and plans), "
        "not plans: expected the plans it reports on [unrecognised-file]\n"
        "Read 0 plans from 0 files: 0 valid, 0 invalid. 1 error, 0 warnings.\n"), "")


def test_a_report_saved_again_by_a_spreadsheet_is_still_one(
        folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Its cells as another program writes them (shared strings), its findings past a
    sheet's rows in "findings (2)"."""
    _csv_folder(folder / "plans")
    assert _run(capsys, "check", "plans", "-o", "report.xlsx")[0] == 1
    book = openpyxl.load_workbook(folder / "report.xlsx")
    book.copy_worksheet(book["findings"]).title = "findings (2)"
    book.save(folder / "plans" / "again.xlsx")
    assert workbooks.is_report(folder / "report.xlsx")
    assert workbooks.is_report(folder / "plans" / "again.xlsx")
    code, out, _ = _run(capsys, "validate", "plans")
    assert (code, out.splitlines()[0]) == (
        0, "plans/again.xlsx: warning: is a report policycheck wrote (its sheets findings and "
           "plans), not plans; skipped [unrecognised-file]")


#: The first cells of the report's findings sheet (``formats/xlsx_format``).
REPORT_HEADER = ["rule_id", "severity", "title", "plan_id"]


@pytest.mark.parametrize("sheets", [
    {"plans": [["id"]], "findings": [["rule_id", "severity", "note"]]},  # not its header
    {"plans": [["id"]], "findings": [REPORT_HEADER], "notes": [["x"]]},
    {"findings": [REPORT_HEADER]},  # no plans sheet
])
def test_a_workbook_of_plans_with_a_findings_sheet_is_no_report(
        tmp_path: Path, sheets: dict[str, list[list[str]]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(tmp_path / "book.xlsx")
    assert not workbooks.is_report(tmp_path / "book.xlsx")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert not workbooks.is_report(tmp_path / "broken.xlsx")


@pytest.mark.parametrize("target", ["plans/findings.csv", "plans/findings.xlsx"])
def test_an_output_the_last_run_skipped_as_input_may_be_written_again(
        folder: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    """The second run was refused: "plans/findings.csv: is one of the input files; refusing
    to overwrite it", exit 2. Only the files a run reads are its inputs."""
    _csv_folder(folder / "plans")
    first = _run(capsys, "check", "plans", "-o", target)
    again = _run(capsys, "check", "plans", "-o", target)
    assert (again[0], again[2]) == (first[0], "")
    assert first[0] == 1
    assert _run(capsys, "check", "plans", "-o", "plans/plans.csv") == (
        2, "", "policycheck: error: plans/plans.csv: is one of the input files; refusing to "
               "overwrite it: expected another output file\n")


def test_the_csv_report_of_a_run_is_no_input_file(folder: Path) -> None:
    """A CSV file whose name is no table's is not read: it is none of the run's files."""
    _csv_folder(folder)
    (folder / "findings.csv").write_text("rule_id,severity\n", encoding="utf-8")
    (folder / "notes.csv").write_text("a,b\n", encoding="utf-8")
    assert load_model(["."]).files == ("components.csv", "plans.csv")
