"""`iopsched validate`: a valid hand-made week passes; each broken rule is caught by its id."""

from __future__ import annotations

import ast
import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from builders import (
    PROGRAM_COLUMNS,
    default_sessions,
    edit_session,
    make_program,
    make_schedule,
    participant,
    program_sheets,
    replace_sessions,
    schedule_sheets,
    session,
    t,
    windows,
    with_participant,
    with_room,
    with_staff,
    with_type,
    write_program_xlsx,
    write_schedule_xlsx,
    write_sheets,
)
from typer.testing import CliRunner

import iopsched.validate as validate_module
from iopsched.cli import app
from iopsched.domain import Commitment, Pinned, Room, Staff, day_name
from iopsched.schedule import Unmet
from iopsched.validate import Violation, validate_schedule

PROGRAM = make_program()
SCHEDULE = make_schedule()


def check(program=PROGRAM, schedule=SCHEDULE) -> list[Violation]:
    return validate_schedule(program, schedule)


def only(violations: list[Violation], rule: str, n: int | None = None) -> list[Violation]:
    """Assert every violation is of `rule` (and there are n of them, or at least one)."""
    assert violations, f"expected {rule} violations, got none"
    assert {v.rule for v in violations} == {rule}, [v.message for v in violations]
    if n is not None:
        assert len(violations) == n, [v.message for v in violations]
    return violations


def add(schedule, *sessions):
    return replace_sessions(schedule, list(schedule.sessions) + list(sessions))


def drop(schedule, sid):
    return replace_sessions(schedule, [s for s in schedule.sessions if s.session_id != sid])


# --- the valid week and hand edits that keep it valid ------------------------------------


def test_valid_week_has_no_violations():
    assert check() == []


def test_validator_never_imports_the_model_or_solver():
    files = sorted(Path(validate_module.__file__).parent.glob("*.py"))
    assert len(files) >= 4  # the package: __init__, index, rules, sheets
    for path in files:
        tree = ast.parse(path.read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m and (m.split(".")[-1] in ("model", "solve") or m.startswith(
            ("ortools", "iopsched.cpsat", "iopsched.solver", "iopsched.heuristic")))}, path.name


def test_importing_and_running_the_validator_loads_no_model_solver_or_search():
    # in a fresh interpreter: what `import iopsched.validate` and a validation bring in
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import iopsched.validate as v\n"
        "from builders import make_program, make_schedule\n"
        "assert v.validate_schedule(make_program(), make_schedule()) == []\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True,
                          text=True, check=True)
    loaded = set(done.stdout.split())
    assert "iopsched.validate" in loaded
    forbidden = ("ortools", "iopsched.cpsat.model", "iopsched.solver.solve", "iopsched.heuristic", "iopsched.cpsat.extract",
                 "iopsched.solver.stage_requirements", "iopsched.solver.stage_preferences", "iopsched.solver.upper_bound",
                 "iopsched.solver.capacity_bound", "iopsched.cpsat.budget", "iopsched.cpsat.hints")
    assert not {m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)}


def test_swap_participants_between_parallel_identical_groups_stays_valid():
    s = edit_session(SCHEDULE, "S11", participants=("P01", "P03"))
    s = edit_session(s, "S12", participants=("P02", "P04"))
    assert check(schedule=s) == []


def test_move_a_session_to_another_free_slot_stays_valid():
    s = edit_session(SCHEDULE, "I2", day="Tue", start="08:00")  # P01: Tue 08:00-12:00
    assert check(schedule=s) == []


def test_gap_of_exactly_max_gap_minutes_is_fine():
    assert check(schedule=edit_session(SCHEDULE, "I2", start="12:30")) == []


def test_session_touching_the_travel_buffer_is_fine():
    # P03 has school Thu 13:30; the buffer starts 13:00, exactly when I4 ends
    assert check(schedule=edit_session(SCHEDULE, "I4", room_id="TH")) == []


def test_medication_for_a_flagged_participant_is_valid():
    program = with_participant(PROGRAM, "P01", needs_medication=True)
    s = add(SCHEDULE, session("M1", "Medication Management", "Tue", "12:00", "M1", "TH", ["P01"]))
    assert check(program, s) == []


# --- rule 1 ------------------------------------------------------------------------------


def test_rule1_session_inside_a_commitment():
    program = with_participant(PROGRAM, "P02", commitments=(Commitment(1, t("07:00"), t("08:30"),
                                                                       "caregiving"),))
    s = edit_session(SCHEDULE, "I3", start="08:00")  # P02's individual: Tue 08:00-09:00
    (v,) = only(check(program, s), "rule1", 1)
    assert (v.participant_id, v.session_id, v.day) == ("P02", "I3", "Tue")
    assert "Tue 08:00-09:00" in v.message and "caregiving Tue 07:00-08:30" in v.message
    assert v.message.startswith("rule 1: P02 attends I3 Individual Therapy")


def test_rule1_session_only_in_the_travel_buffer():
    program = with_participant(PROGRAM, "P02", commitments=(Commitment(1, t("06:00"), t("07:45"),
                                                                       "work"),))
    s = edit_session(SCHEDULE, "I3", start="08:00")
    (v,) = only(check(program, s), "rule1", 1)
    assert "travel buffer" in v.message and "+30 min" in v.message


def test_rule1_travel_buffer_comes_from_the_rules():
    program = make_program(travel_buffer_minutes=10,
                           participants=[*PROGRAM.participants[:1],
                                         participant("P02", commitments=(Commitment(
                                             1, t("06:00"), t("07:45")),)), *PROGRAM.participants[2:]])
    assert check(program, edit_session(SCHEDULE, "I3", start="08:00")) == []


@pytest.mark.parametrize(("dates", "bad_days"), [
    ({"start_date": dt.date(2026, 3, 3)}, {"Mon"}),  # admitted on Tuesday: Tuesday counts
    ({"end_date": dt.date(2026, 3, 3)}, {"Thu"}),  # discharged on Tuesday: Tuesday counts
    ({"start_date": dt.date(2026, 3, 3), "end_date": dt.date(2026, 3, 4)}, {"Mon", "Thu"}),
    ({"end_date": dt.date(2026, 2, 27)}, {"Mon", "Tue", "Thu"}),  # discharged the week before
])
def test_rule1_session_outside_the_participants_program_dates(dates, bad_days):
    program = replace(with_participant(PROGRAM, "P02", **dates), week_start=dt.date(2026, 3, 2))
    vs = only(check(program), "rule1")
    assert {v.participant_id for v in vs} == {"P02"} and {v.day for v in vs} == bad_days
    assert all("outside their time in the program" in v.message for v in vs)
    assert len(vs) == sum(1 for s in SCHEDULE.sessions if "P02" in s.participants and day_name(s.day) in bad_days)


def test_rule1_program_dates_count_only_when_the_week_is_known():
    assert check(with_participant(PROGRAM, "P02", end_date=dt.date(2026, 2, 27))) == []


def test_the_validator_does_not_lean_on_the_helpers_the_model_prunes_with(monkeypatch):
    # a bug in domain's helpers would let the model offer what a rule forbids; the validator
    # must still see it, so here they say yes to everything
    import iopsched.domain as domain

    monkeypatch.setattr(domain, "blocked", lambda *a, **k: None)
    monkeypatch.setattr(domain, "eligible", lambda *a, **k: True)
    monkeypatch.setattr(domain, "weekly_min_for", lambda p, t: 0)
    monkeypatch.setattr(domain.Staff, "available", lambda *a, **k: True)
    monkeypatch.setattr(domain.Participant, "in_program", lambda *a, **k: True)
    work = (Commitment(1, t("07:00"), t("08:30"), "work"),)
    program = with_participant(PROGRAM, "P02", commitments=work)
    only(check(program, edit_session(SCHEDULE, "I3", start="08:00")), "rule1", 1)  # commitment
    program = replace(with_participant(PROGRAM, "P02", end_date=dt.date(2026, 3, 3)),
                      week_start=dt.date(2026, 3, 2))
    only(check(program), "rule1")  # after discharge
    tuesday = windows(["Mon", "Wed", "Thu", "Fri"], "08:00", "17:00") + windows(["Tue"], "08:00", "11:30")
    only(check(with_staff(PROGRAM, "C2", windows=tuesday)), "rule3", 1)  # outside availability
    only(check(schedule=edit_session(SCHEDULE, "S14", session_type="SUD Education")), "rule5", 2)
    (v,) = [v for v in check(schedule=drop(SCHEDULE, "I2")) if v.rule == "requirement"]
    assert v.participant_id == "P01" and "Individual Therapy" in v.message  # its weekly minimum


def test_rule5_tracks_match_case_insensitively():
    program = with_type(PROGRAM, "SUD Education", tracks=frozenset({"sud", "DUAL"}))
    s = edit_session(SCHEDULE, "S11", session_type="SUD Education")  # P01, P02: track SUD
    assert check(program, s) == []


def test_rule1_participant_double_booked():
    s = edit_session(SCHEDULE, "I1", start="09:00")  # P04: Process Group S12 and I1 at 09:00
    (v,) = only(check(schedule=s), "rule1", 1)
    assert v.participant_id == "P04" and "overlap" in v.message


def test_unknown_participant_is_a_consistency_violation():
    s = edit_session(SCHEDULE, "S13", participants=("P01", "P02", "P03", "P04", "P99"))
    (v,) = only(check(schedule=s), "consistency", 1)
    assert v.participant_id == "P99"


# --- rule 2 ------------------------------------------------------------------------------


def test_rule2_start_off_the_grid():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "I2", start="12:15")), "rule2", 1)
    assert "grid" in v.message and "12:15-13:15" in v.message


def test_rule2_wrong_duration():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "I2", end="12:30")), "rule2", 1)
    assert "lasts 30 min" in v.message


def test_rule2_outside_opening_hours():
    (v,) = only(check(program=make_program(open="08:30")), "rule2", 1)
    assert v.session_id == "I1" and "opening hours 08:30-21:00" in v.message


def test_rule2_closed_day():
    vs = only(check(program=make_program(days=["Mon", "Tue", "Wed", "Fri"])), "rule2", 5)
    assert {v.day for v in vs} == {"Thu"}


def test_rule2_unknown_session_type_and_wrong_kind():
    s = edit_session(SCHEDULE, "S14", session_type="Yoga")
    assert any(v.rule == "rule2" and "Yoga" in v.message for v in check(schedule=s))
    (v,) = only(check(schedule=edit_session(SCHEDULE, "I2", kind="group")), "rule2", 1)
    assert "kind 'group'" in v.message


# --- rule 3 ------------------------------------------------------------------------------


def test_rule3_leader_lacks_the_role():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "I2", staff_id="C1")), "rule3", 1)
    assert v.staff_id == "C1" and "therapist" in v.message


def test_rule3_leader_outside_availability():
    day = windows(["Mon", "Wed", "Thu", "Fri"], "08:00", "17:00") + windows(["Tue"], "08:00", "11:30")
    (v,) = only(check(program=with_staff(PROGRAM, "C2", windows=day)), "rule3", 1)
    assert (v.session_id, v.staff_id, v.day) == ("S24", "C2", "Tue")
    assert "Tue 08:00-11:30" in v.message


def test_rule3_availability_must_be_one_window():
    split = windows(["Mon", "Tue", "Wed", "Thu", "Fri"], "08:00", "11:30") \
        + windows(["Mon", "Tue", "Wed", "Thu", "Fri"], "11:30", "17:00")
    only(check(program=with_staff(PROGRAM, "C2", windows=split)), "rule3", 3)


def test_rule3_no_leader_and_unknown_leader():
    only(check(schedule=edit_session(SCHEDULE, "I2", staff_id="")), "rule3", 1)
    only(check(schedule=edit_session(SCHEDULE, "I2", staff_id="T9")), "rule3", 1)


def test_rule3_leader_double_booked():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "S12", staff_id="C1")), "rule3", 1)
    assert v.staff_id == "C1" and "S11" in v.message and "S12" in v.message


def test_rule3_staff_over_max_hours_day():
    vs = only(check(program=with_staff(PROGRAM, "C1", max_hours_day=1.5)), "rule3", 3)
    assert {v.day for v in vs} == {"Mon", "Tue", "Thu"} and "2 h" in vs[0].message


def test_rule3_staff_over_max_hours_week():
    (v,) = only(check(program=with_staff(PROGRAM, "C1", max_hours_week=5)), "rule3", 1)
    assert "6 h this week" in v.message


# --- rule 4 ------------------------------------------------------------------------------


def test_rule4_wrong_room_kind():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "I2", room_id="R1")), "rule4", 1)
    assert v.room_id == "R1" and "individual" in v.message


def test_rule4_over_full_room():
    vs = only(check(program=with_room(PROGRAM, "R1", capacity=3)), "rule4", 3)
    assert all(v.session_id.endswith("3") for v in vs) and "seats 3" in vs[0].message


def test_rule4_room_double_booked():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "S12", room_id="R1")), "rule4", 1)
    assert v.room_id == "R1"


def test_rule4_telehealth_room_double_booked():
    s = edit_session(SCHEDULE, "I2", room_id="TH")
    s = edit_session(s, "I3", day="Mon", staff_id="T2", room_id="TH")  # P02's individual
    (v,) = only(check(schedule=s), "rule4", 1)
    assert v.room_id == "TH"


def test_rule4_unknown_room():
    only(check(schedule=edit_session(SCHEDULE, "I2", room_id="X9")), "rule4", 1)


# --- rule 5 ------------------------------------------------------------------------------


def test_rule5_group_below_min():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "S11", participants=("P01",))), "rule5", 1)
    assert "1 participants" in v.message and "2-10" in v.message


def test_rule5_group_above_max():
    only(check(program=with_type(PROGRAM, "Skills Group", max_size=3)), "rule5", 3)


def test_rule5_non_group_holds_one():
    s = edit_session(SCHEDULE, "I2", participants=("P01", "P02"))
    (v,) = only(check(schedule=s), "rule5", 1)
    assert "exactly 1" in v.message


def test_rule5_ineligible_track():
    vs = only(check(schedule=edit_session(SCHEDULE, "S14", session_type="SUD Education")),
              "rule5", 2)
    assert {v.participant_id for v in vs} == {"P03", "P04"} and "track MH" in vs[0].message


def test_rule5_missing_tag():
    vs = only(check(schedule=edit_session(SCHEDULE, "S14", session_type="Women's Group")),
              "rule5", 2)
    assert {v.participant_id for v in vs} == {"P02", "P03"} and "women" in vs[0].message


def test_rule5_medication_for_a_participant_not_flagged():
    s = add(SCHEDULE, session("M1", "Medication Management", "Tue", "12:00", "M1", "TH", ["P01"]))
    (v,) = only(check(schedule=s), "rule5", 1)
    assert "needs_medication" in v.message


def test_rule5_family_for_a_participant_not_flagged():
    s = add(SCHEDULE, session("F1", "Family Session", "Tue", "12:00", "T2", "TH", ["P01"]))
    (v,) = only(check(schedule=s), "rule5", 1)
    assert "family_sessions" in v.message


# --- rule 6 ------------------------------------------------------------------------------


def test_rule6_days_max():
    (v,) = only(check(program=with_participant(PROGRAM, "P01", days_max=2)), "rule6", 1)
    assert "3 days" in v.message and "days_max is 2" in v.message


def test_rule6_day_hours_max():
    (v,) = only(check(program=with_participant(PROGRAM, "P01", day_hours_max=3.5)), "rule6", 1)
    assert v.day == "Mon" and "4 h on Mon" in v.message


def test_rule6_week_hours_max():
    (v,) = only(check(program=with_participant(PROGRAM, "P01", week_hours_max=9.5)), "rule6", 1)
    assert "10 h this week" in v.message


def test_rule6_weekly_max():
    only(check(program=with_type(PROGRAM, "Skills Group", weekly_max=2)), "rule6", 4)


def test_rule6_daily_max():
    s = add(SCHEDULE, session("X1", "Skills Group", "Mon", "08:00", "C1", "R1", ["P02", "P03"]))
    vs = only(check(schedule=s), "rule6", 2)
    assert {v.participant_id for v in vs} == {"P02", "P03"} and "daily_max is 1" in vs[0].message


def test_rule6_hours_count_only_types_that_count():
    program = with_type(PROGRAM, "Individual Therapy", counts_toward_hours=False)
    program = with_participant(program, "P01", day_hours_max=3, week_hours_max=9)
    assert check(program) == []


# --- rule 7 ------------------------------------------------------------------------------


def test_rule7_gap_too_long():
    (v,) = only(check(schedule=edit_session(SCHEDULE, "I2", start="13:00")), "rule7", 1)
    assert "60 min" in v.message and "max_gap_minutes is 30" in v.message


def test_rule7_max_gap_comes_from_the_rules():
    program = make_program(max_gap_minutes=60)
    assert check(program, edit_session(SCHEDULE, "I2", start="13:00")) == []


# --- rule 8 ------------------------------------------------------------------------------

PIN = Pinned("Individual Therapy", 0, t("12:00"), "T1", "O1", ("P01",), row=2)


def test_rule8_pinned_session_in_place_is_valid():
    assert check(make_program(pinned=[PIN]), edit_session(SCHEDULE, "I2", pinned=True)) == []


def test_rule8_pinned_session_moved():
    s = edit_session(SCHEDULE, "I2", pinned=True, start="12:30")
    vs = only(check(make_program(pinned=[PIN]), s), "rule8", 2)
    assert "Pinned row 2" in vs[0].message and "matches no row" in vs[1].message


def test_rule8_pinned_session_not_marked_pinned():
    (v,) = only(check(make_program(pinned=[PIN])), "rule8", 1)
    assert "not marked pinned" in v.message


def test_rule8_pinned_participant_missing():
    pin = Pinned("Process Group", 0, t("09:00"), "C1", "R1", ("P01", "P03"))
    (v,) = only(check(make_program(pinned=[pin]), edit_session(SCHEDULE, "S11", pinned=True)),
                "rule8", 1)
    assert v.participant_id == "P03"


# --- requirements and the Unmet sheet ----------------------------------------------------

MISSING_INDIVIDUAL = Unmet("P01", "Individual Therapy", 1, 0, "no therapist free")


def test_unlisted_shortfall_is_a_requirement_violation():
    s = drop(SCHEDULE, "I2")
    s.summary["participants_fully_met"] = 3
    (v,) = only(check(schedule=s), "requirement", 1)
    assert v.participant_id == "P01" and "Individual Therapy" in v.message


def test_listed_shortfall_is_valid():
    s = make_schedule([x for x in default_sessions() if x.session_id != "I2"],
                      unmet=[MISSING_INDIVIDUAL])
    assert check(schedule=s) == []


def test_day_hours_shortfall_matches_its_day():
    program = with_participant(PROGRAM, "P01", day_hours_min=3.5)
    listed = [Unmet("P01", "day_hours", 3.5, 3, "", day=1)]
    (v,) = only(check(program, make_schedule(unmet=listed)), "requirement", 1)
    assert v.day == "Thu"
    listed.append(Unmet("P01", "day_hours", 3.5, 3, "", day=3))
    assert check(program, make_schedule(unmet=listed)) == []


def test_days_and_week_hours_shortfalls():
    program = with_participant(PROGRAM, "P01", days_min=4, week_hours_min=12)
    vs = only(check(program, make_schedule(fully_met=3)), "requirement", 2)
    assert {("days" in v.message, "week_hours" in v.message) for v in vs} == {(True, False),
                                                                              (False, True)}
    unmet = [Unmet("P01", "days", 4, 3, ""), Unmet("P01", "week_hours", 12, 10, "")]
    assert check(program, make_schedule(unmet=unmet)) == []


@pytest.mark.parametrize("row, words", [
    (Unmet("P02", "week_hours", 9, 8, ""), "is met"),  # P02 has 10 h
    (replace(MISSING_INDIVIDUAL, scheduled=1), "says scheduled 1"),
    (replace(MISSING_INDIVIDUAL, required=2), "says required 2"),
    (Unmet("P01", "day_hours", 2, 0, "", day=2), "not an attended day"),
    (Unmet("P01", "Family Session", 1, 0, ""), "no weekly minimum"),
    (Unmet("P01", "Yoga", 1, 0, ""), "not days, day_hours, week_hours or a session type"),
    (Unmet("P99", "days", 3, 0, ""), "not on sheet Participants"),
])
def test_an_unmet_row_that_lies(row, words):
    lies_about_the_real_shortfall = row.requirement == MISSING_INDIVIDUAL.requirement
    unmet = [row] if lies_about_the_real_shortfall else [MISSING_INDIVIDUAL, row]
    s = make_schedule([x for x in default_sessions() if x.session_id != "I2"], unmet=unmet,
                      fully_met=3)
    (v,) = only(check(schedule=s), "consistency", 1)
    assert words in v.message


def test_an_unmet_row_listed_twice():
    s = make_schedule([x for x in default_sessions() if x.session_id != "I2"],
                      unmet=[MISSING_INDIVIDUAL, MISSING_INDIVIDUAL])
    (v,) = only(check(schedule=s), "consistency", 1)
    assert "twice" in v.message


# --- consistency of the workbook --------------------------------------------------------


@pytest.mark.parametrize("key, value", [("sessions", 15), ("participants", 5),
                                        ("participants_fully_met", "3"), ("sessions", "many")])
def test_wrong_summary_count(key, value):
    s = make_schedule()
    s.summary[key] = value
    (v,) = only(check(schedule=s), "consistency", 1)
    assert key in v.message


@pytest.mark.parametrize("value", [16, 16.0, "16", " 16 ", None, ""])
def test_summary_numbers_compare_numerically(value):
    s = make_schedule()
    s.summary["sessions"] = value
    assert check(schedule=s) == []


def test_wrong_size_column():
    s = make_schedule()
    s.declared_sizes = {"S13": 3, "S14": 4}
    (v,) = only(check(schedule=s), "consistency", 1)
    assert v.session_id == "S13" and "size 3" in v.message


def test_participant_listed_twice_in_a_session():
    s = edit_session(SCHEDULE, "S11", participants=("P01", "P02", "P01"))
    (v,) = only(check(schedule=s), "consistency", 1)
    assert v.participant_id == "P01"


def test_violations_come_in_a_fixed_order():
    s = edit_session(SCHEDULE, "I2", start="13:15", room_id="R1")
    s.summary["sessions"] = 3
    vs = check(schedule=s)
    assert [v.rule for v in vs] == ["rule2", "rule4", "rule7", "consistency"]
    assert vs == check(schedule=s)


def test_messages_never_hold_participant_names():
    s = edit_session(SCHEDULE, "S11", participants=("P01",))
    s = edit_session(s, "S14", session_type="Women's Group")
    program = with_participant(PROGRAM, "P01", days_max=1, day_hours_max=1)
    vs = check(program, s)
    assert len(vs) > 4
    names = [p.name for p in PROGRAM.participants]
    assert all(n and n not in v.message for v in vs for n in names)


# --- speed ---------------------------------------------------------------------------------


def test_validates_a_400_participant_week_quickly():
    n_groups = 40
    staff = [Staff(f"C{g}", frozenset({"counselor"}), windows=windows(["Mon", "Tue", "Thu"],
                                                                    "08:00", "17:00"))
             for g in range(n_groups)]
    rooms = [Room(f"R{g}", 12, frozenset({"group"})) for g in range(n_groups)]
    people = [participant(f"P{i:03d}", commitments=(Commitment(4, t("08:00"), t("17:00")),))
              for i in range(10 * n_groups)]
    program = with_type(make_program(staff=staff, rooms=rooms, participants=people),
                        "Individual Therapy", weekly_min=0)
    sessions = []
    for g in range(n_groups):
        members = [f"P{i:03d}" for i in range(10 * g, 10 * g + 10)]
        for day in ("Mon", "Tue", "Thu"):
            for k, (name, start) in enumerate((("Process Group", "09:00"),
                                               ("Skills Group", "10:00"),
                                               ("Relapse Prevention", "11:00"))):
                sessions.append(session(f"G{g}{day}{k}", name, day, start, f"C{g}", f"R{g}",
                                        members))
    schedule = make_schedule(sessions, participants=len(people))
    t0 = time.perf_counter()
    assert validate_schedule(program, schedule) == []
    assert time.perf_counter() - t0 < 2.0
    broken = edit_session(schedule, "G0Mon0", room_id="R1")
    assert [v.rule for v in validate_schedule(program, broken)] == ["rule4"]


# --- end to end through files and the CLI ---------------------------------------------------

runner = CliRunner()


@pytest.fixture
def files(tmp_path):
    prog = write_program_xlsx(PROGRAM, tmp_path / "program.xlsx")
    sched = write_schedule_xlsx(SCHEDULE, tmp_path / "schedule.xlsx")
    return tmp_path, prog, sched


def run(*args):
    return runner.invoke(app, ["validate", *map(str, args)])


def test_cli_valid_schedule_exits_0(files):
    _, prog, sched = files
    r = run(prog, sched)
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1] == "VALID: 16 sessions, 4 participants, 0 violations"


def test_cli_invalid_schedule_exits_1_and_keeps_names_out(files):
    tmp, prog, _ = files
    s = edit_session(SCHEDULE, "I2", start="13:00", staff_id="C1")
    sched = write_schedule_xlsx(s, tmp / "bad.xlsx")
    r = run(prog, sched)
    assert r.exit_code == 1, r.output
    lines = r.stdout.strip().splitlines()
    assert lines[-1] == "INVALID: 2 violations (rule3: 1, rule7: 1)"
    assert lines[0].startswith("rule 3: I2 Individual Therapy Mon 13:00-14:00")
    assert not any(p.name in r.output for p in PROGRAM.participants)


def test_cli_json_report(files):
    tmp, prog, _ = files
    sheets = schedule_sheets(SCHEDULE)
    sheets["Sessions"][0]["size"] = 7
    sched = write_sheets(sheets, tmp / "bad.xlsx")
    r = run(prog, sched, "--json")
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert set(report) >= {"valid", "violations", "counts"} and report["valid"] is False
    assert report["counts"]["consistency"] == 1 and report["counts"]["rule1"] == 0
    (v,) = report["violations"]
    assert v["rule"] == "consistency" and v["session_id"] == "S11"
    assert set(v) == {"rule", "message", "participant_id", "session_id", "staff_id", "room_id",
                      "day"}
    ok = json.loads(run(prog, files[2], "--json").stdout)
    assert ok["valid"] is True and ok["violations"] == [] and sum(ok["counts"].values()) == 0


def test_cli_attendance_columns_must_agree_with_sessions(files):
    tmp, prog, _ = files
    sheets = schedule_sheets(SCHEDULE)
    row = next(r for r in sheets["Attendance"] if r["session_id"] == "I2")
    row["start"], row["room_id"] = "13:00", "O9"
    r = run(prog, write_sheets(sheets, tmp / "bad.xlsx"), "--json")
    (v,) = json.loads(r.stdout)["violations"]
    assert v["rule"] == "consistency" and v["participant_id"] == "P01"
    assert "start 13:00 (Sessions: 12:00)" in v["message"] and "room_id O9" in v["message"]


def test_cli_hand_written_unmet_sheet_and_summary(files):
    tmp, prog, _ = files
    s = make_schedule([x for x in default_sessions() if x.session_id != "I2"],
                      unmet=[MISSING_INDIVIDUAL])
    r = run(prog, write_schedule_xlsx(s, tmp / "unmet.xlsx"))
    assert r.exit_code == 0, r.output
    sheets = schedule_sheets(s)
    sheets["Unmet"] = []
    r = run(prog, write_sheets(sheets, tmp / "unlisted.xlsx"))
    assert r.exit_code == 1 and "requirement: P01" in r.stdout


def test_cli_config_is_used(files):
    tmp, prog, sched = files
    config = tmp / "wide.toml"
    config.write_text('days = ["Mon", "Tue", "Wed", "Fri"]\n')
    r = run(prog, sched, "--config", config)
    assert r.exit_code == 1
    assert "INVALID: 5 violations (rule2: 5)" in r.stdout


def test_cli_reads_pinned_sheet(files):
    tmp, _, _ = files
    program = make_program(pinned=[PIN])
    prog = write_program_xlsx(program, tmp / "pinned.xlsx")
    assert program_sheets(program)["Pinned"]
    sched = write_schedule_xlsx(edit_session(SCHEDULE, "I2", pinned=True), tmp / "s.xlsx")
    assert run(prog, sched).exit_code == 0
    r = run(prog, tmp / "schedule.xlsx")
    assert r.exit_code == 1 and "rule 8" in r.stdout


@pytest.mark.parametrize("which", ["program", "schedule"])
def test_cli_unreadable_file_exits_2(files, which):
    tmp, prog, sched = files
    empty = tmp / "empty.xlsx"
    empty.write_bytes(b"")
    r = run(empty, sched) if which == "program" else run(prog, empty)
    assert r.exit_code == 2
    assert "empty" in r.output


def test_cli_schedule_without_sessions_sheet_exits_2(files):
    tmp, prog, _ = files
    r = run(prog, write_sheets({"Summary": [{"key": "status", "value": "OPTIMAL"}]},
                               tmp / "nosessions.xlsx"))
    assert r.exit_code == 2 and "Sessions" in r.output


def test_cli_week_of_checks_admission_and_discharge_dates(tmp_path):
    # P01 attends Monday, Tuesday and Thursday but is admitted on Wednesday 2026-03-04 of the
    # week of 2026-03-02. Without --week-of the dates cannot be checked; with it, P01's
    # Monday and Tuesday sessions are rule 1 violations (one per session), and the week
    # after is valid again (a typo'd date is an input error, exit 2).
    rows = program_sheets(PROGRAM)
    for row in rows["Participants"]:
        row["start_date"] = "2026-03-04" if row["participant_id"] == "P01" else None
    columns = dict(PROGRAM_COLUMNS, Participants=(*PROGRAM_COLUMNS["Participants"], "start_date"))
    prog = write_sheets(rows, tmp_path / "program.xlsx", columns)
    sched = write_schedule_xlsx(SCHEDULE, tmp_path / "schedule.xlsx")
    assert run(prog, sched).exit_code == 0
    r = run(prog, sched, "--week-of", "2026-03-05")
    assert r.exit_code == 1, r.output
    lines = r.stdout.strip().splitlines()
    monday_tuesday = [s for s in SCHEDULE.sessions if "P01" in s.participants and s.day in (0, 1)]
    assert lines[-1] == f"INVALID: {len(monday_tuesday)} violations (rule1: {len(monday_tuesday)})"
    assert all("P01" in line and "outside their time in the program (2026-03-04 to …)" in line
               for line in lines[:-1])
    assert run(prog, sched, "--week-of", "2026-03-09").exit_code == 0
    bad = run(prog, sched, "--week-of", "03/09/2026")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
