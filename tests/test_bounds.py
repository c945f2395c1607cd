"""The counting bound (iopsched.solver.bounds): a lower bound of every schedule's objective.

Checked three ways: counted by hand on a week where it binds (it proves the schedule
optimal, which CP-SAT's own bound does not), never above an optimum CP-SAT proves on small
programs, and never above the best week found on the bundled sample.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from builders import make_program, participant, windows

from iopsched.cpsat.model import build
from iopsched.domain import Commitment, Room, SessionType, Staff
from iopsched.solver.bounds import CountingBound, counting_bound
from iopsched.solver.solve import solve
from iopsched.validate import validate_schedule
from iopsched.workbook.config import load_config
from iopsched.workbook.reader import read_program

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "program.xlsx"
GROUPS = (
    SessionType("Process Group", "group", 60, "counselor", 2, 10),
    SessionType("Skills Group", "group", 60, "counselor", 2, 10),
    SessionType("Relapse Prevention", "group", 60, "counselor", 2, 10),
)


def two_shifts():
    """P01-P03 work afternoons, P04-P06 mornings (Mon, Tue): no group can hold both trios.
    Everyone needs 2 days of 2 hours: 4 group sessions each."""
    def person(pid: str, busy: tuple[int, int]):
        return participant(pid, days_min=2, days_max=2, day_hours_min=2, day_hours_max=4, week_hours_min=4,
                           week_hours_max=8, commitments=tuple(Commitment(d, *busy, "work") for d in (0, 1)))
    people = tuple(person(f"P0{i}", (12 * 60, 17 * 60)) for i in (1, 2, 3)) + tuple(
        person(f"P0{i}", (8 * 60, 12 * 60 + 30)) for i in (4, 5, 6))
    staff = (Staff("C1", frozenset({"counselor"}), windows=windows([0, 1], "08:00", "17:00")),
             Staff("C2", frozenset({"counselor"}), windows=windows([0, 1], "08:00", "17:00")))
    rooms = (Room("R1", 10, frozenset({"group"})),)
    return make_program(staff=staff, rooms=rooms, session_types=GROUPS, participants=people,
                        days=("Mon", "Tue"), open="08:00", close="17:00")


def test_counted_by_hand_where_seats_alone_say_too_little():
    # Seats alone: 6 people x 4 sessions / 10 seats = 3 sessions. Counted per component (the
    # morning trio, the afternoon trio) and per participant (4 distinct sessions each): 8.
    # The busiest of the 2 counselors leads at least 8 h / 2 = 4 h = 8 slots.
    # Bound: 2 x 8 + 1 x 8 = 24.
    wm = build(two_shifts())
    assert counting_bound(wm) == CountingBound(bound=24, group_sessions=8, staff_balance=8)


def test_the_bound_proves_the_week_optimal():
    program = two_shifts()
    schedule = solve(program, time_limit=5, workers=2, seed=0, deterministic=True)
    s = schedule.summary
    assert validate_schedule(program, schedule) == []
    assert s["objective"] == 24 and s["counting_bound"] == 24 and s["best_bound"] == 24
    assert s["status"] == "OPTIMAL" and s["gap"] == 0
    assert s["cp_sat_bound"] <= 24


def test_without_the_unmet_weight_nothing_is_claimed():
    # a week with shortfalls then costs nothing extra, so no count of a full week binds it
    program = two_shifts()
    program = replace(program, rules=replace(program.rules, weights=dict(program.rules.weights, unmet=0)))
    assert counting_bound(build(program)).bound == 0


@pytest.mark.parametrize("people", [3, 4])
def test_never_above_an_optimum_cp_sat_proves(people):
    # small weeks CP-SAT solves to proven optimality on its own (the afternoon trio: 12; with
    # one morning participant alone, who cannot make a group: 16012): the bound stays below
    program = two_shifts()
    program = replace(program, participants=program.participants[:people])
    schedule = solve(program, time_limit=20, workers=2, seed=0, deterministic=True)
    s = schedule.summary
    assert s["cp_sat_bound"] == s["objective"], "CP-SAT did not prove this week optimal"
    assert s["counting_bound"] <= s["objective"]


def test_never_above_the_best_sample_week_found():
    # the best week known for the sample scores 76 (60 s, 2026-12-01); the bound is 49
    program, _ = read_program(SAMPLE, load_config(None))
    bound = counting_bound(build(program)).bound
    schedule = solve(program, time_limit=5, workers=2, seed=0, deterministic=True)
    assert 0 < bound <= schedule.summary["objective"]
    assert schedule.summary["best_bound"] >= bound
