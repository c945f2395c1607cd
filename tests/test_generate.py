"""The program generator and the program writer.

Generated programs are reproducible, have the scale table's sizes, reference only ids
that exist, and are feasible: the witness week the generator plans alongside is
checked here, rule by rule (SCHEDULING.md), without the solver.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from functools import cache

import openpyxl
import pytest

from iopsched.domain import DAY_NAMES, KINDS
from iopsched.errors import InputError
from iopsched.generate import (
    SIZES,
    config_text,
    generate_sheets,
    generate_with_witness,
    write_generated,
)
from iopsched.program_writer import (
    CONTRACT_COLUMNS,
    cell_value,
    write_program_csv_folder,
    write_program_workbook,
)

LEVELS = {"IOP": (3, 5, 2, 4, 9, 19), "IOP-adolescent": (3, 5, 2, 4, 6, 19)}  # config defaults
BUFFER, MAX_GAP = 30, 30


@cache
def generated(size: str, seed: int = 0):
    return generate_with_witness(size, seed)


def minutes(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def items(text) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


# --- reproducible, right-sized, consistent -------------------------------------------------------

def test_same_seed_gives_the_same_program():
    assert generate_sheets("small", 5) == generate_sheets("small", 5)
    assert generate_sheets("medium", 1) == generated("medium", 1)[0]


def test_different_seeds_give_different_programs():
    assert generate_sheets("small", 1) != generate_sheets("small", 2)


@pytest.mark.parametrize("size", list(SIZES))
def test_sizes(size):
    spec = SIZES[size]
    sheets = generated(size)[0]
    assert list(sheets) == list(CONTRACT_COLUMNS)
    assert len(sheets["Participants"]) == spec.participants
    assert len(sheets["Staff"]) == spec.staff
    assert len(sheets["Rooms"]) == spec.rooms
    days = {r["day"] for r in sheets["StaffAvailability"]}
    assert days == set(DAY_NAMES[: spec.days])
    assert sheets["Pinned"] == []
    assert f'"{DAY_NAMES[spec.days - 1]}"]' in config_text(size)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_reference_exists(size):
    sheets = generated(size)[0]
    staff = {r["staff_id"]: set(items(r["roles"])) for r in sheets["Staff"]}
    assert len(staff) == len(sheets["Staff"])
    people = {r["participant_id"]: r for r in sheets["Participants"]}
    assert len(people) == len(sheets["Participants"])
    rooms = {r["room_id"]: r for r in sheets["Rooms"]}
    assert len(rooms) == len(sheets["Rooms"])
    roles = set().union(*staff.values())
    hosted = {k for r in rooms.values() for k in items(r["kinds"])}
    assert hosted <= set(KINDS)
    tracks_served = set()
    for t in sheets["SessionTypes"]:
        assert t["minutes"] % 30 == 0 and t["minutes"] > 0
        assert t["staff_role"] in roles, t
        assert t["kind"] in hosted, t
        tracks_served |= set(items(t["tracks"]))
    for r in sheets["StaffAvailability"]:
        assert r["staff_id"] in staff
        assert minutes(r["end"]) > minutes(r["start"])
    for p in people.values():
        assert p["track"] in tracks_served
        assert p["primary_therapist"] is None or "therapist" in staff[p["primary_therapist"]]
    for c in sheets["Commitments"]:
        assert c["participant_id"] in people
        assert c["day"] in DAY_NAMES
        assert minutes(c["end"]) > minutes(c["start"])
        assert c["reason"] in ("work", "school", "caregiving", "transport", "other")


def test_unknown_size_names_the_valid_ones():
    with pytest.raises(InputError, match="small, medium, large, xl"):
        generate_sheets("huge", 0)


# --- feasible: the witness week keeps every rule and meets every requirement ----------------------

def check_week(sheets: dict, sessions: list[dict], n_days: int) -> None:
    types = {t["session_type"]: t for t in sheets["SessionTypes"]}
    staff = {s["staff_id"]: s for s in sheets["Staff"]}
    windows = defaultdict(list)
    for w in sheets["StaffAvailability"]:
        windows[w["staff_id"], w["day"]].append((minutes(w["start"]), minutes(w["end"])))
    rooms = {r["room_id"]: r for r in sheets["Rooms"]}
    people = {p["participant_id"]: p for p in sheets["Participants"]}
    commitments = defaultdict(list)
    for c in sheets["Commitments"]:
        commitments[c["participant_id"], c["day"]].append((minutes(c["start"]), minutes(c["end"])))
    busy = defaultdict(list)  # (who, day) -> [(start, end)]
    staff_minutes = defaultdict(int)
    attended = defaultdict(list)  # (pid, day) -> [(start, end, type)]
    for s in sessions:
        t = types[s["session_type"]]
        day, start, end = s["day"], minutes(s["start"]), minutes(s["end"])
        assert day in DAY_NAMES[:n_days] and 8 * 60 <= start and end <= 21 * 60
        assert start % 30 == 0 and end - start == t["minutes"], s  # rule 2
        assert t["staff_role"] in items(staff[s["staff_id"]]["roles"]), s  # rule 3
        assert any(a <= start and end <= b for a, b in windows[s["staff_id"], day]), s
        room = rooms[s["room_id"]]
        assert t["kind"] in items(room["kinds"]), s  # rule 4
        size = len(s["participants"])
        assert room["capacity"] is None or room["capacity"] >= size
        if t["kind"] == "group":  # rule 5
            assert t["min_size"] <= size <= t["max_size"], s
        else:
            assert size == 1, s
        for who in [s["staff_id"], s["room_id"]] + s["participants"]:
            assert all(end <= a or b <= start for a, b in busy[who, day]), (who, s)  # rules 1, 3, 4
            busy[who, day].append((start, end))
        staff_minutes[s["staff_id"], day] += end - start
        staff_minutes[s["staff_id"]] += end - start
        for pid in s["participants"]:
            p = people[pid]
            assert not t["tracks"] or p["track"] in items(t["tracks"]), (pid, s)
            assert set(items(t["tags_required"])) <= set(items(p["tags"]))
            assert t["kind"] != "medication" or p["needs_medication"]
            assert t["kind"] != "family" or p["family_sessions"]
            for a, b in commitments[pid, day]:  # rule 1, with the travel buffer
                assert end <= a - BUFFER or b + BUFFER <= start, (pid, s, (a, b))
            attended[pid, day].append((start, end, s["session_type"]))
    for sid, s in staff.items():  # rule 3: hours
        assert staff_minutes[sid] <= s["max_hours_week"] * 60
        for day in DAY_NAMES:
            assert staff_minutes[sid, day] <= s["max_hours_day"] * 60
    for pid, p in people.items():  # rules 6, 7 and the requirements
        days_min, days_max, dh_min, dh_max, wh_min, wh_max = LEVELS[p["level"]]
        days = [d for d in DAY_NAMES if attended[pid, d]]
        assert days_min <= len(days) <= days_max, pid
        week = 0
        counts = defaultdict(int)
        for d in days:
            day = sorted(attended[pid, d])
            total = sum(b - a for a, b, _ in day)
            assert dh_min * 60 <= total <= dh_max * 60, (pid, d, day)
            assert all(nxt[0] - cur[1] <= MAX_GAP for cur, nxt in zip(day, day[1:], strict=False))
            names = [name for _, _, name in day]
            assert len(names) == len(set(names)), (pid, d)  # daily_max 1 for every type
            week += total
            for name in names:
                counts[name] += 1
        assert wh_min * 60 <= week <= wh_max * 60, pid
        for name, t in types.items():
            needed = t["weekly_min"] or 0
            if (t["kind"] == "medication" and not p["needs_medication"]) or \
                    (t["kind"] == "family" and not p["family_sessions"]):
                needed = 0
            assert counts[name] >= needed, (pid, name)
            assert t["weekly_max"] is None or counts[name] <= t["weekly_max"], (pid, name)


@pytest.mark.parametrize("size,seed", [("small", 0), ("small", 7), ("medium", 0), ("medium", 3),
                                       ("large", 0), ("xl", 0)])
def test_witness_week_is_valid_and_meets_every_requirement(size, seed):
    sheets, witness = generated(size, seed)
    check_week(sheets, witness, SIZES[size].days)


def test_generated_programs_use_the_services_realistically():
    sheets = generated("medium")[0]
    people = sheets["Participants"]
    tracks = {p["track"] for p in people}
    assert {"SUD", "MH", "Dual", "Adolescent"} <= tracks
    assert sum(p["needs_medication"] for p in people) >= len(people) // 5
    assert sum(p["family_sessions"] for p in people) >= len(people) // 10
    reasons = {c["reason"] for c in sheets["Commitments"]}
    assert {"work", "school", "caregiving"} <= reasons
    assert any("prescriber" in s["roles"] for s in sheets["Staff"])
    assert any(r["capacity"] is None for r in sheets["Rooms"])  # telehealth


# --- writing ----------------------------------------------------------------------------------------

def test_write_generated_to_a_folder_and_to_a_path(tmp_path):
    path = write_generated("small", 0, tmp_path / "out")
    assert path == tmp_path / "out" / "program.xlsx"
    assert (tmp_path / "out" / "config.toml").read_text().startswith("# config")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(CONTRACT_COLUMNS)
    for name, columns in CONTRACT_COLUMNS.items():
        assert tuple(c.value for c in wb[name][1]) == columns
    assert wb["Participants"].max_row == 21
    assert write_generated("small", 0, tmp_path / "p.xlsx") == tmp_path / "p.xlsx"
    assert not (tmp_path / "config.toml").exists()


def test_cell_values():
    assert cell_value(True) == "yes" and cell_value(False) == "no"
    assert cell_value(dt.time(9, 5)) == "09:05"
    assert cell_value(["a", "b"]) == "a, b"
    assert cell_value(frozenset({"b", "a"})) == "a, b"
    assert cell_value("") is None and cell_value(None) is None
    assert cell_value(3.0) == 3 and cell_value(2.5) == 2.5


def test_writer_order_blanks_and_csv(tmp_path):
    sheets = {
        "Rooms": [{"kinds": ["group", "family"], "room_id": "R1", "capacity": None, "note": "x"}],
        "Staff": [{"staff_id": "S1", "roles": "counselor", "max_hours_day": 6.0}],
        "Commitments": [{"participant_id": "P1", "day": "Mon", "start": dt.time(8), "end": "=1+1"}],
    }
    path = write_program_workbook(tmp_path / "w.xlsx", sheets)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == list(CONTRACT_COLUMNS)
    rooms = [[c.value for c in row] for row in wb["Rooms"].iter_rows()]
    assert rooms == [["room_id", "capacity", "kinds", "note"], ["R1", None, "group, family", "x"]]
    assert [c.value for c in wb["Staff"][2]] == ["S1", None, "counselor", None, 6]
    commitments = wb["Commitments"]
    assert commitments["C2"].value == "08:00" and commitments["D2"].data_type == "s"  # no formula
    assert wb["Pinned"].max_row == 1
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
    folder = write_program_csv_folder(tmp_path / "csv", sheets)
    with open(folder / "Rooms.csv", newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh)) == [["room_id", "capacity", "kinds", "note"], ["R1", "", "group, family", "x"]]
    with open(folder / "Commitments.csv", newline="", encoding="utf-8") as fh:
        assert list(csv.reader(fh))[1] == ["P1", "Mon", "08:00", "'=1+1", ""]
    assert sorted(f.name for f in folder.iterdir()) == sorted(f"{s}.csv" for s in CONTRACT_COLUMNS)
