"""Participant names never reach the terminal (issue 9.4): `check`, `validate` and their error
paths print ids only. Every participant's name is a unique marker that must appear nowhere."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import openpyxl
import pytest
from builders import (
    PROGRAM_COLUMNS,
    edit_session,
    make_program,
    make_schedule,
    program_sheets,
    with_participant,
    write_schedule_xlsx,
    write_sheets,
)
from typer.testing import CliRunner

from iopsched.cli import app
from iopsched.errors import InputError
from iopsched.workbook.config import load_config
from iopsched.workbook.reader import read_program
from iopsched.workbook.writer import write_schedule

MARKERS = {f"P0{i}": f"ZQXNAME00{i}" for i in range(1, 5)}
FAMILY = "ZQXFAMILY"  # also inside names, to catch partial leaks


def marked_program():
    program = make_program()
    for pid, marker in MARKERS.items():
        program = with_participant(program, pid, name=f"{marker} {FAMILY}")
    return program


PROGRAM = marked_program()
SHEETS = program_sheets(PROGRAM)


def sheets() -> dict[str, list[dict]]:
    return copy.deepcopy(SHEETS)


def assert_no_names(*texts: str | None) -> None:
    for text in texts:
        if not text:
            continue
        assert "ZQXNAME" not in text, text
        assert FAMILY not in text, text
        for marker in MARKERS.values():
            assert marker not in text, text


def run(*args: str, code: int | None = None):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    if code is not None:
        assert result.exit_code == code, result.output
    assert_no_names(result.output, result.stdout, result.stderr, repr(result.exception))
    return result


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return write_sheets(
        SHEETS, tmp_path_factory.mktemp("privacy") / "program.xlsx", PROGRAM_COLUMNS
    )


def test_markers_are_in_the_workbook(workbook):
    """The test would prove nothing if the names were not there to leak."""
    program, _ = read_program(workbook, load_config(None))
    assert {p.participant_id: p.name for p in program.participants} == {
        pid: f"{m} {FAMILY}" for pid, m in MARKERS.items()
    }
    assert_no_names(repr(program), repr(program.participants), str(program.participants[0]))


def test_check_prints_no_names(workbook):
    result = run("check", workbook, code=0)
    assert "4 participants" in result.output


def test_check_warnings_print_no_names(tmp_path):
    rows = sheets()
    rows["Participants"][0]["primary_therapist"] = "C1"  # not a therapist: a warning naming P01
    rows["Participants"][1]["track"] = "Adolescent"
    rows["Participants"][2]["nickname"] = "ZQXNAME003"  # an unknown column: ignored, not echoed
    rows["Commitments"][0]["reason"] = "court"
    path = write_sheets(rows, tmp_path / "warn.xlsx", PROGRAM_COLUMNS)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.stderr and "P01" in result.stderr
    # the unknown column's *values* are never printed; its header is
    stderr = result.stderr.replace("'nickname'", "")
    assert_no_names(result.stdout, stderr)


BAD_CELLS = {
    "days_min": "lots",
    "level": "Residential",
    "track": None,
    "primary_therapist": "X9",
    "needs_medication": "sometimes",
    "preferred_days": "Someday",
    "preferred_time": "noon",
    "week_hours_min": 99,
}


@pytest.mark.parametrize("column", list(BAD_CELLS))
def test_error_in_a_participants_row_prints_no_name(tmp_path, column):
    rows = sheets()
    rows["Participants"][0][column] = BAD_CELLS[column]
    path = write_sheets(rows, tmp_path / "bad.xlsx", PROGRAM_COLUMNS)
    result = run("check", path, code=2)
    assert "sheet Participants, row 2" in result.output


def test_many_errors_in_participant_rows_print_no_names(tmp_path):
    rows = sheets()
    for r in rows["Participants"]:
        r["days_min"] = "x"
        r["level"] = "?"
    rows["Participants"].append(dict(rows["Participants"][0]))  # a duplicate id with a name
    rows["Participants"].append({"participant_id": None, "name": "ZQXNAME009", "track": "SUD"})
    rows["Commitments"].append({"participant_id": "P77", "day": "Mon", "start": "x", "end": "y"})
    path = write_sheets(rows, tmp_path / "bad.xlsx", PROGRAM_COLUMNS)
    result = run("check", path, code=2)
    assert "problems in the input" in result.output
    with pytest.raises(InputError) as exc:
        read_program(path, load_config(None))
    assert_no_names(str(exc.value), repr(exc.value), *(repr(p) for p in exc.value.problems))


def test_overlong_name_is_not_echoed(tmp_path):
    rows = sheets()
    rows["Participants"][0]["name"] = "ZQXNAME001 " * 300
    path = write_sheets(rows, tmp_path / "long.xlsx", PROGRAM_COLUMNS)
    result = run("check", path, code=2)
    assert "a cell holds 3300 characters" in result.output


def test_csv_folder_prints_no_names(tmp_path):
    folder = tmp_path / "program"
    folder.mkdir()
    for sheet, records in sheets().items():
        header = list(PROGRAM_COLUMNS[sheet])
        with open(folder / f"{sheet}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for r in records:
                w.writerow(["" if r.get(c) is None else r.get(c) for c in header])
    result = run("check", folder, code=0)
    assert "4 participants" in result.output
    text = (folder / "Participants.csv").read_text(encoding="utf-8")
    (folder / "Participants.csv").write_text(text.replace(",IOP,", ",IOPX,"), "utf-8")
    result = run("check", folder, code=2)
    assert "4 problems in the input" in result.output


def test_bad_config_prints_no_names(tmp_path, workbook):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('colour = "blue"\n', encoding="utf-8")
    run("check", workbook, "--config", cfg, code=2)


# --- validate -----------------------------------------------------------------------------------


def test_validate_valid_schedule_prints_no_names(tmp_path, workbook):
    schedule = write_schedule_xlsx(make_schedule(), tmp_path / "schedule.xlsx")
    result = run("validate", workbook, schedule, code=0)
    assert result.output.strip()
    result = run("validate", workbook, schedule, "--json", code=0)
    assert json.loads(result.stdout)["valid"] is True


def test_validate_violations_print_no_names(tmp_path, workbook):
    broken = edit_session(make_schedule(), "S11", participants=("P01", "P02", "P03"))  # P03 twice
    broken = edit_session(broken, "I2", day="Wed")  # P01 works Wed 08:00-17:00
    schedule = write_schedule_xlsx(broken, tmp_path / "broken.xlsx")
    result = run("validate", workbook, schedule, code=1)
    assert "P01" in result.output and "P03" in result.output
    result = run("validate", workbook, schedule, "--json", code=1)
    assert json.loads(result.stdout)["valid"] is False


def test_validate_unreadable_schedule_prints_no_names(tmp_path, workbook):
    bad = tmp_path / "schedule.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    run("validate", workbook, bad, code=2)
    schedule = write_schedule_xlsx(make_schedule(), tmp_path / "ok.xlsx")
    rows = sheets()
    rows["Participants"][3]["days_max"] = "many"
    bad_program = write_sheets(rows, tmp_path / "bad_program.xlsx", PROGRAM_COLUMNS)
    run("validate", bad_program, schedule, code=2)


# --- written schedules: ids only unless asked -------------------------------------------------


def _cells(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v
    )


def test_written_schedule_has_no_names_unless_asked(tmp_path):
    path = tmp_path / "schedule.xlsx"
    write_schedule(make_schedule(), PROGRAM, path)
    assert_no_names(_cells(path))
    write_schedule(make_schedule(), PROGRAM, path, show_names=True)
    assert "ZQXNAME001" in _cells(path)
