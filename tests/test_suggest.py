"""Suggestions: a change derived from the data of each unmet participant, kept only when a re-solve
shows it lets them meet their requirements without costing anyone else theirs.

One case re-solves for real (a planted cause: the only prescriber works when the participant
never can); the others drive `suggest` with a stand-in solver returning hand-made weeks, so the
ranking, the acceptance rule and the wording are checked without spending solver time.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from builders import (
    make_program,
    make_schedule,
    session,
    t,
    windows,
    with_participant,
    with_staff,
)

from iopsched.analysis.requirements import shortfalls
from iopsched.domain import Commitment, Room, SessionType, blocked
from iopsched.schedule import Schedule
from iopsched.solver.suggest import Suggestion, accepted, candidates, names, suggest
from iopsched.validate import validate_schedule

LIMIT = 3.0


def _no_solve(program):
    raise AssertionError("no re-solve expected")


# --- a real re-solve ---------------------------------------------------------------------------


def test_prescriber_out_of_reach_gets_verified_prescriber_hours():
    # P01 needs medication management, but the only prescriber (M1) works Wed 09:00-13:00,
    # exactly when P01 works (Wed 08:00-17:00): the weekly visit can never be booked.
    program = with_participant(make_program(), "P01", needs_medication=True)
    program = with_staff(program, "M1", windows=windows(["Wed"], "09:00", "13:00"))
    schedule = make_schedule()  # the default valid week: everything else is met
    assert [(s.participant_id, s.requirement) for s in shortfalls(program, schedule)] == [
        ("P01", "Medication Management")]

    found = suggest(program, schedule, time_limit=LIMIT, max_candidates=2)

    assert found, "a prescriber-hours suggestion was expected"
    first = found[0]
    assert isinstance(first, Suggestion) and first.verified
    assert first.participants == ("P01",)
    assert first.change.startswith("StaffAvailability: M1 ")
    assert "prescriber hours for M1" in first.text and "Medication Management" in first.text
    assert first.text.endswith("lets P01 meet their minimum")
    # the added hours lie where P01 is free (outside work and its travel buffer)
    m1 = first.program.staff_by_id()["M1"]
    added = [w for w in m1.windows if w not in program.staff_by_id()["M1"].windows]
    assert len(added) == 1
    p01 = program.participant_by_id()["P01"]
    w = added[0]
    assert blocked(p01, w.day, w.start, w.end, program.rules.travel_buffer_minutes) is None
    # the re-solved week is valid, meets everyone, and books P01's visit with M1
    assert validate_schedule(first.program, first.schedule) == []
    assert shortfalls(first.program, first.schedule) == []
    visits = [s for s in first.schedule.sessions_of("P01")
              if s.session_type == "Medication Management"]
    assert visits and all(s.staff_id == "M1" for s in visits)
    # nothing else changed in the program
    assert first.program.participants == program.participants
    assert first.program.rooms == program.rooms


# --- stand-in solver cases ---------------------------------------------------------------------


def _tracked_types() -> tuple[SessionType, ...]:
    """Three one-hour groups per track; SUD and MH participants never share a group."""
    return tuple(
        SessionType(f"{track} {name}", "group", 60, "counselor", 2, size, tracks=frozenset({track}))
        for track, size in (("SUD", 10), ("MH", 8))
        for name in ("Process", "Skills", "Relapse")
    )


def _one_room_program():
    return make_program(days=("Mon", "Tue", "Thu"), open="09:00", close="12:00",
                        rooms=[Room("R1", 10, frozenset({"group"}))],
                        session_types=_tracked_types())


def _sud_sessions():
    out = []
    for day in ("Mon", "Tue", "Thu"):
        out += [
            session(f"{day}1", "SUD Process", day, "09:00", "C1", "R1", ("P01", "P02")),
            session(f"{day}2", "SUD Skills", day, "10:00", "C1", "R1", ("P01", "P02")),
            session(f"{day}3", "SUD Relapse", day, "11:00", "C2", "R1", ("P01", "P02")),
        ]
    return out


def _mh_sessions(room: str):
    out = []
    for day in ("Mon", "Tue", "Thu"):
        out += [
            session(f"{day}4", "MH Process", day, "09:00", "C3", room, ("P03", "P04")),
            session(f"{day}5", "MH Skills", day, "10:00", "C3", room, ("P03", "P04")),
            session(f"{day}6", "MH Relapse", day, "11:00", "T1", room, ("P03", "P04")),
        ]
    return out


def _feasible(sessions) -> Schedule:
    s = make_schedule(sessions)
    s.summary["status"] = "FEASIBLE"  # not proven optimal: the unchanged program is re-solved too
    return s


def test_busy_room_suggests_a_room_of_the_group_size():
    # the only group room runs SUD groups all morning; MH participants cannot join them and a
    # counselor is free every hour: the room is the bottleneck
    program = _one_room_program()
    schedule = _feasible(_sud_sessions())
    calls = []

    def fake(changed):
        calls.append(changed)
        if len(changed.rooms) == 1:
            return schedule  # the unchanged program: no better
        (new,) = [r for r in changed.rooms if r.room_id not in program.room_by_id()]
        return make_schedule(_sud_sessions() + _mh_sessions(new.room_id))

    found = suggest(program, schedule, solve_fn=fake)

    assert len(found) == 1
    s = found[0]
    assert s.verified and s.participants == ("P03", "P04")
    assert s.change == "Rooms: NEW1 capacity 8 group"  # the MH groups' max_size
    assert s.text == "adding a group room seating 8 (NEW1) lets P03 and P04 meet their minimum"
    assert s.program.rooms[-1] == Room("NEW1", 8, frozenset({"group"}))
    assert len(calls) == 2  # the unchanged program once, then the one candidate
    assert validate_schedule(s.program, s.schedule) == []


def test_change_that_costs_someone_their_minimum_is_dropped():
    program = _one_room_program()
    schedule = _feasible(_sud_sessions())

    def fake(changed):
        if len(changed.rooms) == 1:
            return schedule
        # P03 and P04 are met, but P02 loses Thursday
        sessions = [replace(s, participants=("P01",)) if s.day == 3 and "SUD" in s.session_type
                    else s for s in _sud_sessions()]
        return make_schedule(sessions + _mh_sessions("NEW1"))

    assert suggest(program, schedule, solve_fn=fake) == []


def test_no_credit_when_the_unchanged_program_already_meets_them():
    # a re-solve of the unchanged program meets P03 and P04 (the first solve stopped early):
    # no change is credited for them and no candidate is tried
    program = _one_room_program()
    schedule = _feasible(_sud_sessions())
    calls = []

    def fake(changed):
        calls.append(changed)
        return make_schedule(_sud_sessions() + _mh_sessions("R1"))

    assert suggest(program, schedule, solve_fn=fake) == []
    assert len(calls) == 1


def test_candidates_ranked_room_first_and_staff_hours_only_where_new():
    program = _one_room_program()
    found, unverified = candidates(program, _feasible(_sud_sessions()))
    assert unverified == []
    # every counselor already works 09:00-12:00: only the room is a change worth a re-solve
    assert [c.change for c in found] == ["Rooms: NEW1 capacity 8 group"]
    assert found[0].helped == ("P03", "P04")


def test_own_time_cause_asks_about_another_day_unverified():
    # P02 works Mon-Thu until 19:00 (free 19:30-21:00, 1.5 h) and Fri 09:00-17:00: only Friday
    # holds 2 h, and no program change gives them 3 days
    work = tuple(Commitment(day, t("08:00"), t("19:00"), "work") for day in range(4))
    work += (Commitment(4, t("09:00"), t("17:00"), "work"),)
    program = with_participant(make_program(), "P02", commitments=work)
    sessions = [replace(s, participants=tuple(p for p in s.participants if p != "P02"))
                for s in make_schedule().sessions if s.participants != ("P02",)]
    schedule = make_schedule(sessions)
    requirements = {s.requirement for s in shortfalls(program, schedule)}
    assert {"days", "week_hours", "Individual Therapy"} <= requirements

    # the stand-in solver gains nothing: staff candidates are all rejected
    found = suggest(program, schedule, solve_fn=lambda changed: schedule, max_candidates=3)

    assert len(found) == 1
    s = found[0]
    assert not s.verified and s.participants == ("P02",) and s.program is None
    assert s.change == "participant availability"
    assert s.text.startswith("ask P02 about another day: no program change helps, their free time "
                             "holds 2 h on only 1 day (Fri) and they need 3")
    assert "closest: Mon (1.5 h fit; work Mon 08:00-19:00)" in s.text


def test_nothing_unmet_nothing_suggested():
    assert suggest(make_program(), make_schedule(), solve_fn=_no_solve) == []


def test_max_candidates_zero_solves_nothing():
    program = with_participant(make_program(), "P01", needs_medication=True)
    program = with_staff(program, "M1", windows=windows(["Wed"], "09:00", "13:00"))
    assert suggest(program, make_schedule(), max_candidates=0, solve_fn=_no_solve) == []


def test_staff_hours_extend_the_nearest_shift():
    # M2 works Mon 13:00-14:00 next to P01's Monday block; M1 has fewer hours but works Wed only
    program = with_participant(make_program(), "P01", needs_medication=True)
    program = with_staff(program, "M1", windows=windows(["Wed"], "09:00", "10:00"))
    m2 = replace(program.staff_by_id()["M1"], staff_id="M2",
                 windows=windows(["Mon"], "13:30", "14:00")
                 + windows(["Tue", "Thu"], "08:00", "17:00"))
    program = replace(program, staff=(*program.staff, m2))
    found, _ = candidates(program, make_schedule())
    first = found[0]
    assert first.key == ("staff", "M2", 0)
    assert first.what == ("adding prescriber hours for M2 on Mon 13:00-13:30 "
                          "(a Medication Management session)")
    assert first.change == "StaffAvailability: M2 Mon 13:00-14:00 (extends 13:30-14:00)"
    mon = [w for w in first.program.staff_by_id()["M2"].windows if w.day == 0]
    assert [(w.start, w.end) for w in mon] == [(t("13:00"), t("14:00"))]


@pytest.mark.parametrize(("ids", "text"), [
    ((), ""), (("P17",), "P17"), (("P17", "P22"), "P17 and P22"),
    (("P03", "P17", "P22"), "P03, P17 and P22"),
])
def test_names(ids, text):
    assert names(ids) == text


def test_accepted_rule():
    before = {"P01", "P02"}
    assert accepted(before, {"P01", "P02", "P03"}, ["P03", "P04"]) == ("P03",)
    assert accepted(before, {"P01", "P03"}, ["P03"]) == ()  # P02 lost their minimum
    assert accepted(before, {"P01", "P02", "P03"}, ["P03"], already_met={"P03"}) == ()
