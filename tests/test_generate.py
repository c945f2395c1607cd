"""The program generator and the program writer.

Generated programs are reproducible, have the scale table's sizes, reference only ids
that exist, and are feasible: the witness week the generator plans alongside is
checked here, rule by rule (SCHEDULING.md), without the solver.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections import defaultdict
from functools import cache

import openpyxl
import pytest

from iopsched.domain import DAY_NAMES, KINDS
from iopsched.errors import InputError
from iopsched.generate.kinds import band_use
from iopsched.generate.programs import (
    SIZES,
    Generated,
    config_text,
    generate,
    generate_sheets,
    generate_with_witness,
    write_generated,
)
from iopsched.schedule import Schedule, Session
from iopsched.validate import validate_schedule
from iopsched.workbook.config import load_config
from iopsched.workbook.program_writer import (
    CONTRACT_COLUMNS,
    cell_value,
    write_program_csv_folder,
    write_program_workbook,
)
from iopsched.workbook.reader import read_program

LEVELS = {"IOP": (3, 5, 2, 4, 9, 19), "IOP-adolescent": (3, 5, 2, 4, 6, 19)}  # config defaults
LIMITS = ("days_min", "days_max", "day_hours_min", "day_hours_max", "week_hours_min",
          "week_hours_max")
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
        assert day in DAY_NAMES[:n_days] and start >= 8 * 60 and end <= 21 * 60
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
        limits = dict(zip(LIMITS, LEVELS[p["level"]], strict=True))
        limits |= {k: p[k] for k in LIMITS if p.get(k) is not None}  # the row's overrides
        days_min, days_max, dh_min, dh_max, wh_min, wh_max = limits.values()
        days = [d for d in DAY_NAMES if attended[pid, d]]
        assert days_min <= len(days) <= days_max, pid
        week = 0
        counts = defaultdict(int)
        for d in days:
            day = sorted(attended[pid, d])
            total = sum(b - a for a, b, name in day if types[name]["counts_toward_hours"])
            assert dh_min * 60 <= total <= dh_max * 60, (pid, d, day)
            assert all(nxt[0] - cur[1] <= MAX_GAP for cur, nxt in itertools.pairwise(day))
            names = [name for _, _, name in day]
            assert len(names) == len(set(names)), (pid, d)  # daily_max 1 for every type
            week += total
            for name in names:
                counts[name] += 1
        assert wh_min * 60 <= week <= wh_max * 60, pid
        for name, t in types.items():
            needed = t["weekly_min"] or 0
            if (t["kind"] == "medication" and not p["needs_medication"]) or \
                    (t["kind"] == "family" and not p["family_sessions"]) or \
                    (t["tracks"] and p["track"] not in items(t["tracks"])) or \
                    not set(items(t["tags_required"])) <= set(items(p["tags"])):
                needed = 0  # not eligible: no weekly minimum
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


# --- kinds: the regimes coordinators have (iopsched.generate.kinds) --------------------------------

NEW_KINDS = ("mix", "evening", "adolescent", "prescriber", "planted")
OPEN, CLOSE = 8 * 60, 21 * 60


@cache
def made(kind: str, size: str, seed: int = 1) -> Generated:
    return generate(size, seed, kind)


@cache
def program_of(kind: str, size: str, seed: int = 1):
    """The generated program as the reader reads it (a folder of CSV files and its config)."""
    import tempfile
    from pathlib import Path

    sheets = made(kind, size, seed).sheets
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_program_csv_folder(Path(tmp) / "program", sheets)
        (Path(tmp) / "config.toml").write_text(config_text(size))
        program, warnings = read_program(folder, load_config(Path(tmp) / "config.toml"))
    assert warnings == []
    return program


def as_schedule(witness: list[dict]) -> Schedule:
    return Schedule(sessions=[
        Session(f"W{i:04d}", s["session_type"], s["kind"], DAY_NAMES.index(s["day"]),
                minutes(s["start"]), minutes(s["end"]), s["staff_id"], s["room_id"],
                tuple(s["participants"]))
        for i, s in enumerate(witness)])


def test_classic_is_the_default_and_unchanged_by_the_kind_argument():
    assert generate_sheets("small", 3, kind="classic") == generate_sheets("small", 3)
    assert generate("medium", 1).witness == generated("medium", 1)[1]
    assert generate("small", 0).planted == {}


def test_unknown_kind_names_the_valid_ones():
    with pytest.raises(InputError, match="classic, mix, evening, adolescent, prescriber, planted"):
        generate_sheets("small", 0, kind="weekend")


@pytest.mark.parametrize("kind", NEW_KINDS)
def test_kinds_are_reproducible_and_seeded(kind):
    assert generate_sheets("small", 4, kind=kind) == generate_sheets("small", 4, kind=kind)
    assert generate("medium", 1, kind).sheets == made(kind, "medium").sheets
    assert generate_sheets("small", 5, kind=kind) != generate_sheets("small", 6, kind=kind)


@pytest.mark.parametrize("kind,size", [(k, s) for k in NEW_KINDS for s in ("small", "medium")]
                         + [("planted", "large"), ("evening", "large")])
def test_kind_witness_is_valid_and_meets_everyone_not_planted(kind, size):
    g = made(kind, size)
    spec = SIZES[size]
    assert len(g.sheets["Participants"]) == spec.participants
    assert len(g.sheets["Staff"]) == spec.staff
    assert list(g.sheets) == list(CONTRACT_COLUMNS)
    program = program_of(kind, size)
    violations = validate_schedule(program, as_schedule(g.witness))
    others = [v.message for v in violations
              if v.rule != "requirement" or v.participant_id not in g.planted]
    assert others == []
    assert {v.participant_id for v in violations} == set(g.planted)
    met = [p for p in g.sheets["Participants"] if p["participant_id"] not in g.planted]
    check_week(g.sheets | {"Participants": met}, g.witness, spec.days)  # and this file's own check


def week_shape(witness: list[dict]) -> dict[str, dict[str, list[tuple[int, int, str]]]]:
    days: dict = defaultdict(lambda: defaultdict(list))
    for s in witness:
        for pid in s["participants"]:
            days[pid][s["day"]].append((minutes(s["start"]), minutes(s["end"]), s["kind"]))
    return days


@pytest.mark.parametrize("kind,size", [(k, s) for k in NEW_KINDS for s in ("small", "medium")]
                         + [("planted", "large")])
def test_kind_witness_is_tight_and_varied(kind, size):
    g = made(kind, size)
    use = band_use(g.sheets, g.witness, SIZES[size].days)
    assert max(use.values()) >= 0.70, use  # the busiest band's group rooms
    weeks = week_shape(g.witness)
    patterns = {tuple(sorted(days)) for days in weeks.values()}
    assert len(patterns) >= len(weeks) // 5  # not cohorts sharing three days
    lengths = {len(days) for days in weeks.values()}
    assert {3, 4} <= lengths and lengths <= {2, 3, 4, 5}
    for days in weeks.values():  # every attended day holds >= 2 h of counted sessions
        for items in days.values():
            assert sum(b - a for a, b, k in items if k != "medication") >= 120
    staff = g.sheets["Staff"]
    load = defaultdict(int)
    for s in g.witness:
        load[s["staff_id"]] += minutes(s["end"]) - minutes(s["start"])
    for s in staff:  # maxima close to the witness load, not lavish
        if "prescriber" not in s["roles"]:
            assert s["max_hours_week"] <= load[s["staff_id"]] / 60 * 1.1 + 4
    if size != "small":
        groups = [len(s["participants"]) for s in g.witness if s["kind"] == "group"]
        assert sum(groups) / len(groups) >= 6.5


def weekday_work_ends(sheets) -> dict[str, list[str]]:
    ends = defaultdict(list)
    for c in sheets["Commitments"]:
        if c["reason"] == "work" and c["day"] in DAY_NAMES[:5]:
            ends[c["participant_id"]].append(c["end"])
    return ends


@pytest.mark.parametrize("size", ["small", "medium"])
def test_evening_kind_is_mostly_day_shift_workers(size):
    sheets = made("evening", size).sheets
    workers = [pid for pid, ends in weekday_work_ends(sheets).items()
               if len(ends) >= 4 and all("15:30" <= e <= "17:30" for e in ends)]
    assert 0.6 <= len(workers) / len(sheets["Participants"]) <= 0.8


@pytest.mark.parametrize("size", ["small", "medium"])
def test_mix_kind_has_day_and_evening_tracks(size):
    g = made("mix", size)
    n = len(g.sheets["Participants"])
    workers = [pid for pid, ends in weekday_work_ends(g.sheets).items()
               if len(ends) >= 4 and all("15:30" <= e <= "17:30" for e in ends)]
    assert 0.35 <= len(workers) / n <= 0.55
    starts = defaultdict(list)
    for s in g.witness:
        for pid in s["participants"]:
            starts[pid].append(minutes(s["start"]))
    mornings = sum(1 for v in starts.values() if max(v) < 14 * 60)
    assert 0.25 <= mornings / n <= 0.55  # the day track (some parents also come evenings)
    names = {t["session_type"]: t for t in g.sheets["SessionTypes"]}
    assert names["Process Group"]["minutes"] == 90 and names["Process Group"]["weekly_min"] == 2
    assert names["Medication Management"]["counts_toward_hours"] is False


@pytest.mark.parametrize("size", ["small", "medium"])
def test_adolescent_kind_is_half_teens_after_school(size):
    g = made("adolescent", size)
    people = g.sheets["Participants"]
    teens = [p for p in people if p["track"] == "Adolescent"]
    assert abs(len(teens) - len(people) / 2) <= 1
    assert all(p["level"] == "IOP-adolescent" for p in teens)
    ids = {p["participant_id"] for p in teens}
    school = defaultdict(set)
    for c in g.sheets["Commitments"]:
        if c["participant_id"] in ids and c["reason"] == "school":
            school[c["participant_id"]].add((c["day"], c["start"], c["end"]))
    assert all(school[pid] == {(d, "08:00", "15:00") for d in DAY_NAMES[:5]} for pid in ids)
    for s in g.witness:
        if s["kind"] == "group" and ids & set(s["participants"]):
            assert s["session_type"].startswith("Teen") and minutes(s["start"]) >= 15 * 60 + 30


@pytest.mark.parametrize("size", ["small", "medium"])
def test_prescriber_kind_has_one_prescriber_on_one_day(size):
    g = made("prescriber", size)
    prescribers = [s["staff_id"] for s in g.sheets["Staff"] if "prescriber" in s["roles"]]
    assert len(prescribers) == 1
    windows = [w for w in g.sheets["StaffAvailability"] if w["staff_id"] == prescribers[0]]
    assert len(windows) == 1
    people = g.sheets["Participants"]
    flagged = {p["participant_id"] for p in people if p["needs_medication"]}
    assert 0.35 <= len(flagged) / len(people) <= 0.45
    visits = [s for s in g.witness if s["kind"] == "medication"]
    assert sorted(pid for s in visits for pid in s["participants"]) == sorted(flagged)
    assert {s["day"] for s in visits} == {windows[0]["day"]}


# planted participants: why no schedule can meet them, from their own row and commitments

def free_windows_of(sheets, pid: str, day: str) -> list[tuple[int, int]]:
    blocked = sorted((minutes(c["start"]) - BUFFER, minutes(c["end"]) + BUFFER)
                     for c in sheets["Commitments"]
                     if c["participant_id"] == pid and c["day"] == day)
    out, cur = [], OPEN
    for a, b in blocked:
        if a > cur:
            out.append((cur, min(a, CLOSE)))
        cur = max(cur, b)
    if cur < CLOSE:
        out.append((cur, CLOSE))
    return [(a, b) for a, b in out if b > a]


def why_unmeetable(sheets, pid: str, n_days: int) -> set[str]:
    """Every requirement of pid that no schedule can meet, proved from pid's row, commitments
    and the staff windows alone (a chain of sessions cannot cross a commitment: it is at least
    30 minutes plus a buffer on each side, longer than max_gap_minutes)."""
    p = next(p for p in sheets["Participants"] if p["participant_id"] == pid)
    level = dict(zip(LIMITS, LEVELS[p["level"]], strict=True))
    level |= {k: p[k] for k in LIMITS if p.get(k) is not None}
    open_days = DAY_NAMES[:n_days]
    longest = {d: max((b - a for a, b in free_windows_of(sheets, pid, d)), default=0)
               for d in open_days}
    usable = [d for d in open_days if longest[d] >= level["day_hours_min"] * 60]
    out = set()
    if len(usable) < level["days_min"]:
        out.add("days")
    if level["days_min"] > n_days:
        out.add("days_min")
    best = sorted((min(longest[d], level["day_hours_max"] * 60) for d in usable), reverse=True)
    if sum(best[: level["days_max"]]) < level["week_hours_min"] * 60:
        out.add("week_hours")
    roles = {s["staff_id"]: items(s["roles"]) for s in sheets["Staff"]}
    for flag, role, length in (("needs_medication", "prescriber", 30),
                               ("family_sessions", "family_therapist", 60)):
        if not p[flag]:
            continue
        windows = [w for w in sheets["StaffAvailability"] if role in roles[w["staff_id"]]]
        if not any(max(a, minutes(w["start"])) + length <= min(b, minutes(w["end"]))
                   for w in windows for a, b in free_windows_of(sheets, pid, w["day"])):
            out.add(role)
    return out


PROOF = {"works_all_day": "days", "two_free_days": "days", "no_prescriber_time": "prescriber",
         "no_family_therapist_time": "family_therapist", "days_min_above_open_days": "days_min",
         "week_hours_above_max": "week_hours"}


@pytest.mark.parametrize("size", ["small", "medium", "large"])
def test_planted_participants_cannot_be_met_and_differ(size):
    g = made("planted", size)
    n = len(g.sheets["Participants"])
    assert len(g.planted) == max(2, round(0.08 * n))
    assert len(set(g.planted.values())) == min(len(g.planted), len(PROOF))
    for pid, reason in g.planted.items():
        assert PROOF[reason] in why_unmeetable(g.sheets, pid, SIZES[size].days), (pid, reason)
        assert all(pid not in s["participants"] for s in g.witness)
    others = [p["participant_id"] for p in g.sheets["Participants"]
              if p["participant_id"] not in g.planted]
    assert all(why_unmeetable(g.sheets, pid, SIZES[size].days) == set() for pid in others)


def test_planted_ids_are_written_beside_the_program(tmp_path):
    import json

    write_generated("small", 1, tmp_path / "out", kind="planted")
    assert json.loads((tmp_path / "out" / "planted.json").read_text()) == made("planted", "small").planted
    write_generated("small", 1, tmp_path / "mix", kind="mix")
    assert not (tmp_path / "mix" / "planted.json").exists()


# --rooms

def test_fewer_rooms_keep_the_biggest_group_rooms_in_proportion_and_drop_the_witness():
    full = made("mix", "medium")
    g = generate("medium", 1, "mix", rooms=3)
    assert g.witness is None and g.sheets["Participants"] == full.sheets["Participants"]
    rooms = g.sheets["Rooms"]
    assert len(rooms) == 3
    group = sorted((r for r in full.sheets["Rooms"] if "group" in r["kinds"]),
                   key=lambda r: -r["capacity"])
    assert [r for r in rooms if "group" in r["kinds"]] == group[:1]
    assert {r["capacity"] is None for r in rooms} == {True, False}  # telehealth and an office


def test_more_rooms_keep_the_witness_valid():
    g = generate("small", 1, "evening", rooms=6)
    assert len(g.sheets["Rooms"]) == 6 and len({r["room_id"] for r in g.sheets["Rooms"]}) == 6
    assert g.witness == made("evening", "small").witness
    check_week(g.sheets, g.witness, SIZES["small"].days)


def test_cli_generate_kind_and_rooms(tmp_path):
    from typer.testing import CliRunner

    from iopsched.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["generate", "--size", "small", "--kind", "weekend", "-o",
                                 str(tmp_path / "x")])
    assert result.exit_code == 2  # Typer refuses a value that is not one of the choices
    out = " ".join(result.output.replace("│", " ").split())
    assert "'weekend' is not one of 'classic', 'mix', 'evening', 'adolescent', 'prescriber'" in out
    result = runner.invoke(app, ["generate", "--size", "small", "--kind", "prescriber", "--seed",
                                 "1", "--rooms", "4", "-o", str(tmp_path / "p.xlsx")])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert wb["Rooms"].max_row == 5
    assert "--kind" in runner.invoke(app, ["generate", "--help"]).output
