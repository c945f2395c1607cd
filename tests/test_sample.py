"""The bundled sample program: present, and exactly what sample_data/make_sample.py writes."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import openpyxl
import pytest

from iopsched.workbook.program_writer import CONTRACT_COLUMNS, write_program_workbook

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "program.xlsx"


@pytest.fixture(scope="module")
def make_sample():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "sample_data" / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def values(path: Path) -> dict[str, list[list[object]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_sample_exists_and_matches_its_script(make_sample, tmp_path):
    assert SAMPLE.exists(), "run: python sample_data/make_sample.py"
    fresh = write_program_workbook(tmp_path / "program.xlsx", make_sample.SHEETS)
    assert values(SAMPLE) == values(fresh)


def test_csv_folder_matches_the_workbook():
    folder = SAMPLE.parent / "program_csv"
    book = values(SAMPLE)
    for sheet in CONTRACT_COLUMNS:
        with open(folder / f"{sheet}.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        expected = [["" if v is None else str(v) for v in row] for row in book[sheet]]
        assert rows == expected, sheet


def test_sample_content(make_sample):
    s = make_sample.SHEETS
    # 7 staff since issue 19: a peer specialist co-leads Relapse Prevention
    assert len(s["Participants"]) == 20 and len(s["Staff"]) == 7 and len(s["Rooms"]) == 3
    assert sum(p["track"] == "Adolescent" for p in s["Participants"]) == 2
    assert {w["day"] for w in s["StaffAvailability"]} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    prescribers = [x["staff_id"] for x in s["Staff"] if "prescriber" in x["roles"]]
    assert len({w["day"] for w in s["StaffAvailability"] if w["staff_id"] in prescribers}) == 2
    assert any(r["capacity"] is None for r in s["Rooms"])
    co_led = [t for t in s["SessionTypes"] if t.get("co_leader_role")]
    assert [t["session_type"] for t in co_led] == ["Relapse Prevention"]
    assert any(t["co_leader_role"] in x["roles"] for t in co_led for x in s["Staff"])


def test_pinned_row_is_consistent(make_sample):
    s = make_sample.SHEETS
    assert s["Pinned"]
    for pin in s["Pinned"]:
        t = next(t for t in s["SessionTypes"] if t["session_type"] == pin["session_type"])
        staff = next(x for x in s["Staff"] if x["staff_id"] == pin["staff_id"])
        room = next(r for r in s["Rooms"] if r["room_id"] == pin["room_id"])
        assert t["staff_role"] in staff["roles"]
        assert t["kind"] in room["kinds"]
        h, m = map(int, pin["start"].split(":"))
        start = h * 60 + m
        end = start + t["minutes"]

        def minutes(text):
            return int(text[:2]) * 60 + int(text[3:])

        assert any(w["staff_id"] == pin["staff_id"] and w["day"] == pin["day"]
                   and minutes(w["start"]) <= start and end <= minutes(w["end"])
                   for w in s["StaffAvailability"])


def test_the_reference_schedule_co_leads_relapse_prevention():
    """The sample's co-led type runs in the reference week, every session with S07 beside a
    counselor (the whole week is validated by CI: `.ci/run`)."""
    from iopsched.workbook.schedule_reader import read_schedule

    sessions = read_schedule(SAMPLE.parent / "reference_schedule.xlsx").sessions
    co_led = [s for s in sessions if s.session_type == "Relapse Prevention"]
    assert co_led and all(s.co_leader_id == "S07" and s.staff_id != "S07" for s in co_led)
    assert all(s.co_leader_id is None for s in sessions if s.session_type != "Relapse Prevention")
