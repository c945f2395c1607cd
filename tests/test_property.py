"""Property: every schedule the solver writes validates, whatever the (small, random) program.

Hypothesis draws small programs (staff windows, rooms, a catalogue, participants with
commitments, levels and flags); each is solved briefly and re-checked by the independent
validator. A failing example is shrunk to a minimal program by hypothesis.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iopsched.domain import (
    Commitment,
    Participant,
    Program,
    Room,
    Rules,
    SessionType,
    Staff,
    Window,
)
from iopsched.solver.solve import solve
from iopsched.validate import validate_schedule
from iopsched.workbook.config import BUILTIN_LEVELS

DAYS = (0, 1, 2, 3, 4)
HOURS = st.integers(min_value=8, max_value=20)


@st.composite
def windows(draw, days=DAYS):
    out = []
    for day in draw(st.lists(st.sampled_from(days), min_size=1, max_size=5, unique=True)):
        start = draw(st.integers(min_value=8, max_value=17))
        end = draw(st.integers(min_value=start + 2, max_value=21))
        out.append(Window(day, start * 60, end * 60))
    return tuple(sorted(out, key=lambda w: (w.day, w.start)))


@st.composite
def programs(draw):
    staff = [
        Staff(f"S{i}", frozenset(draw(st.sampled_from([{"counselor"}, {"counselor", "therapist"}, {"therapist"}]))),
              max_hours_day=draw(st.sampled_from([None, 3, 6])), windows=draw(windows()))
        for i in range(draw(st.integers(min_value=2, max_value=4)))
    ]
    staff.append(Staff("MD", frozenset({"prescriber"}), windows=draw(windows())))
    rooms = [
        Room("G1", draw(st.sampled_from([4, 8, 12])), frozenset({"group"})),
        Room("G2", draw(st.sampled_from([None, 6])), frozenset({"group", "individual", "family"})),
        Room("T", None, frozenset({"individual", "family", "medication"})),
    ]
    types = [
        SessionType("Process", "group", 60, "counselor", draw(st.integers(2, 3)), draw(st.integers(4, 10)),
                    weekly_max=draw(st.sampled_from([None, 2, 3]))),
        SessionType("Skills", "group", draw(st.sampled_from([60, 90])), "counselor", 2, 8,
                    tracks=frozenset(draw(st.sampled_from([set(), {"SUD"}])))),
        SessionType("Relapse", "group", 60, "counselor", 2, 8, tags_required=frozenset(
            draw(st.sampled_from([set(), {"women"}])))),
        SessionType("Individual", "individual", 60, "therapist", weekly_min=draw(st.integers(0, 1))),
        SessionType("Meds", "medication", 30, "prescriber", weekly_min=1),
        SessionType("Family", "family", 60, "therapist", weekly_min=1),
    ]
    people = []
    for i in range(draw(st.integers(min_value=2, max_value=6))):
        level = BUILTIN_LEVELS[draw(st.sampled_from(["IOP", "IOP-adolescent"]))]
        commitments = tuple(
            Commitment(day, start * 60, (start + draw(st.integers(1, 9))) * 60, "work")
            for day in draw(st.lists(st.sampled_from(DAYS), max_size=3, unique=True))
            for start in [draw(st.integers(7, 14))]
        )
        people.append(Participant(
            f"P{i}", draw(st.sampled_from(["SUD", "MH"])), level=level.name,
            tags=frozenset(draw(st.sampled_from([set(), {"women"}]))),
            days_min=level.days_min, days_max=level.days_max, day_hours_min=level.day_hours_min,
            day_hours_max=level.day_hours_max, week_hours_min=level.week_hours_min,
            week_hours_max=level.week_hours_max,
            preferred_time=draw(st.sampled_from([None, "morning", "evening"])),
            primary_therapist=draw(st.sampled_from([None, "S0"])) if "therapist" in staff[0].roles else None,
            needs_medication=draw(st.booleans()), family_sessions=draw(st.booleans()),
            commitments=commitments,
        ))
    rules = Rules(levels=dict(BUILTIN_LEVELS), max_gap_minutes=draw(st.sampled_from([0, 30, 60])),
                  travel_buffer_minutes=draw(st.sampled_from([0, 30])),
                  day_services_min=draw(st.sampled_from([None, 3])))
    return Program(rules, tuple(staff), tuple(rooms), tuple(types), tuple(people))


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_every_solver_output_validates(program):
    schedule = solve(program, time_limit=1.0, workers=2, seed=0, deterministic=True)
    assert schedule.summary["status"] in ("OPTIMAL", "FEASIBLE")
    violations = validate_schedule(program, schedule)
    assert violations == [], [v.message for v in violations]
