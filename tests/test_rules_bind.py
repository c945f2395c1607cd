"""Every hard rule binds: a model without it gives a week the validator rejects for it.

For each rule of SCHEDULING.md (and each part of a rule with several) a hand-made program
where the requirements can be met only by breaking the rule: the model with every rule
(`cpsat.rules.HARD_RULES`) leaves somebody short and the validator accepts its week; the same model
with that rule's function dropped meets everyone by breaking the rule, and the validator says
so. The model is solved here directly (CP-SAT, one worker, a fixed seed) and extracted:
`solve()` re-checks its own week with the validator and the greedy week keeps every rule on
its own, so going through `solve()` would hide a dropped rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import pytest
from builders import make_program, participant, t, windows
from ortools.sat.python import cp_model

from iopsched.cpsat import model, rules
from iopsched.cpsat.extract import extract
from iopsched.domain import Commitment, Pinned, Room, SessionType, Staff
from iopsched.schedule import Schedule
from iopsched.validate import hard_rule_violations

MON, TUE = 0, 1


def person(pid: str, track: str = "X", **kw):
    """A participant with no requirement and generous maxima unless given."""
    values = dict(days_min=0, days_max=5, day_hours_min=0, day_hours_max=8, week_hours_min=0,
                  week_hours_max=40)
    return participant(pid, track, **(values | kw))


def group(name: str, role: str = "counselor", min_size: int = 1, max_size: int = 10, **kw):
    return SessionType(name, "group", 60, role, min_size, max_size, **kw)


def staff(sid: str, role: str = "counselor", days=(MON, TUE), start="09:00", end="12:00", **kw):
    return Staff(sid, frozenset({role}), windows=windows(days, start, end), **kw)


def room(rid: str, capacity: int | None = 10, kind: str = "group"):
    return Room(rid, capacity, frozenset({kind}))


def program(types, people, staff_=None, rooms=None, days=("Mon",), open="09:00", close="10:00",
            **rules):
    """A tiny program: one hour on Monday unless told, two counselors, two group rooms."""
    return make_program(
        session_types=types, participants=people,
        staff=staff_ if staff_ is not None else (staff("S1"), staff("S2")),
        rooms=rooms if rooms is not None else (room("R1"), room("R2")),
        days=days, open=open, close=close, **rules)


# --- one program per rule (part): the requirements can be met only by breaking it ------------


def overlap():
    """P1 needs A and B, and the day holds one hour."""
    return program((group("A", weekly_min=1), group("B", weekly_min=1)), (person("P1"),))


def commitment():
    """P1 works through the only hour."""
    work = (Commitment(MON, t("09:00"), t("10:00"), "work"),)
    return program((group("A", weekly_min=1),), (person("P1", commitments=work),))


def discharged():
    """P1 was discharged the Friday before the week."""
    p = program((group("A", weekly_min=1),), (person("P1", end_date=dt.date(2026, 11, 27)),))
    return replace(p, week_start=dt.date(2026, 11, 30))


def open_days():
    """Open on Monday only, and P1 needs two days (staff are there on Tuesday too)."""
    return program((group("A", weekly_min=2),), (person("P1"),))


def qualified():
    """A needs a counselor and the only staff member is a therapist."""
    return program((group("A", weekly_min=1),), (person("P1"),), staff_=(staff("S1", "therapist"),))


def available():
    """The only counselor works on Tuesday; the program opens on Monday."""
    return program((group("A", weekly_min=1),), (person("P1"),), staff_=(staff("S1", days=(TUE,)),))


def leader_overlap():
    """One counselor, two groups for two tracks in the same hour."""
    return program((group("A", weekly_min=1, tracks=frozenset({"X"})),
                    group("B", weekly_min=1, tracks=frozenset({"Y"}))),
                   (person("P1", "X"), person("P2", "Y")), staff_=(staff("S1"),))


def staff_day_max():
    """P1 needs A and B on Monday; the only counselor may lead one hour a day."""
    return program((group("A", weekly_min=1), group("B", weekly_min=1)), (person("P1"),),
                   staff_=(staff("S1", max_hours_day=1),), close="11:00")


def staff_week_max():
    """P1 needs A twice (once a day); the only counselor may lead one hour a week."""
    return program((group("A", weekly_min=2),), (person("P1"),), staff_=(staff("S1", max_hours_week=1),),
                   days=("Mon", "Tue"))


def room_kind():
    """The only room is an office."""
    return program((group("A", weekly_min=1),), (person("P1"),), rooms=(room("O1", 10, "individual"),))


def room_overlap():
    """One room, two groups for two tracks in the same hour."""
    return program((group("A", weekly_min=1, tracks=frozenset({"X"})),
                    group("B", weekly_min=1, tracks=frozenset({"Y"}))),
                   (person("P1", "X"), person("P2", "Y")), rooms=(room("R1"),))


def capacity():
    """Three need A, one hour, one room seating two."""
    return program((group("A", weekly_min=1),), tuple(person(f"P{i}") for i in (1, 2, 3)),
                   staff_=(staff("S1"),), rooms=(room("R1", 2),))


def max_size():
    """Three need A, one hour, one leader, groups of at most two (telehealth: unlimited seats)."""
    return program((group("A", max_size=2, weekly_min=1),), tuple(person(f"P{i}") for i in (1, 2, 3)),
                   staff_=(staff("S1"),), rooms=(room("TH", None),))


def min_size():
    """A needs two; P2 could join but then has no time left for B, which only P2 may take."""
    return program((group("A", min_size=2), group("B", weekly_min=1, tracks=frozenset({"Y"}))),
                   (person("P1", "X", week_hours_min=1), person("P2", "Y", week_hours_max=1)),
                   close="11:00")


def eligibility():
    """P1 needs an hour and the only group is for another track."""
    return program((group("A", tracks=frozenset({"Y"})),), (person("P1", "X", week_hours_min=1),))


def day_hours():
    """P1 needs two hours and may spend one a day, on the one open day."""
    return program((group("A"), group("B")), (person("P1", week_hours_min=2, day_hours_max=1),),
                   close="11:00")


def week_hours():
    """P1 needs two hours and may spend one a week."""
    return program((group("A"),), (person("P1", week_hours_min=2, week_hours_max=1),),
                   days=("Mon", "Tue"))


def days_max():
    """P1 needs two days and may come on one."""
    return program((group("A"),), (person("P1", days_min=2, days_max=1),), days=("Mon", "Tue"))


def type_daily_max():
    """P1 needs two sessions of A and Monday is the only day (A: once a day)."""
    return program((group("A", weekly_min=2),), (person("P1"),), close="11:00")


def type_weekly_max():
    """P1 needs two hours and A, the only group, runs for them once a week."""
    return program((group("A", weekly_max=1),), (person("P1", week_hours_min=2),),
                   days=("Mon", "Tue"))


def compact_day():
    """P1 needs A (leader there at 09:00) and B (leader there at 11:00) on the one open day."""
    return program((group("A", "a", weekly_min=1), group("B", "b", weekly_min=1)), (person("P1"),),
                   staff_=(staff("SA", "a", end="10:00"), staff("SB", "b", start="11:00")),
                   close="12:00")


# co-led types (issue 19): A is led by a counselor beside a peer specialist ("peer")


def co_led(name: str = "A", **kw):
    return group(name, co_leader_role="peer", **kw)


def co_leader_qualified():
    """A needs a peer beside its counselor, and both staff members are counselors."""
    return program((co_led(weekly_min=1),), (person("P1"),))


def co_leader_available():
    """The only peer works on Tuesday; the program opens on Monday."""
    return program((co_led(weekly_min=1),), (person("P1"),),
                   staff_=(staff("S1"), staff("S2"), staff("SP", "peer", days=(TUE,))))


def co_leader_overlap():
    """Two counselors and one peer; two co-led groups for two tracks in the same hour."""
    return program((co_led("A", weekly_min=1, tracks=frozenset({"X"})),
                    co_led("B", weekly_min=1, tracks=frozenset({"Y"}))),
                   (person("P1", "X"), person("P2", "Y")),
                   staff_=(staff("S1"), staff("S2"), staff("SP", "peer")))


def co_leader_day_max():
    """P1 needs A and B on Monday, both co-led; the only peer may work one hour a day."""
    return program((co_led("A", weekly_min=1), co_led("B", weekly_min=1)), (person("P1"),),
                   staff_=(staff("S1"), staff("SP", "peer", max_hours_day=1)), close="11:00")


def pinned():
    """A is pinned for P1 on Monday at 09:00, and P1 has the time for one hour: B, which P1 needs."""
    return program((group("A"), group("B", weekly_min=1)), (person("P1", week_hours_max=1),),
                   close="11:00", pinned=(Pinned("A", MON, t("09:00"), "S1", "R1", ("P1",)),))


@dataclass(frozen=True)
class Case:
    program: object  # () -> Program
    drop: tuple[str, ...]  # HARD_RULES entries dropped
    rule: str  # what the validator then reports
    words: str  # ... in a message of that rule


CASES = {
    "rule1 participant overlap": Case(overlap, ("rule1_participant_overlap",), "rule1", "which overlap"),
    "rule1 commitment": Case(commitment, ("rule1_dates_and_commitments",), "rule1", "overlaps work"),
    "rule1 program dates": Case(discharged, ("rule1_dates_and_commitments",), "rule1",
                                "outside their time in the program"),
    "rule2 open days": Case(open_days, ("rule2_open_days",), "rule2", "not an open day"),
    "rule3 leader qualified": Case(qualified, ("rule3_leader_qualified",), "rule3", "lacks the role"),
    "rule3 staff availability": Case(available, ("rule3_leader_available",), "rule3",
                                     "outside their availability"),
    "rule3 leader overlap": Case(leader_overlap, ("rule3_leader_overlap",), "rule3", "which overlap"),
    "rule3 staff daily max": Case(staff_day_max, ("rule3_staff_hours",), "rule3", "max_hours_day"),
    "rule3 staff weekly max": Case(staff_week_max, ("rule3_staff_hours",), "rule3", "max_hours_week"),
    "rule3 co-leader qualified": Case(co_leader_qualified, ("rule3_co_leader_qualified",), "rule3",
                                      "lacks the role 'peer'"),
    "rule3 co-leader availability": Case(co_leader_available, ("rule3_co_leader_available",), "rule3",
                                         "co-led by SP outside their availability"),
    "rule3 co-leader overlap": Case(co_leader_overlap, ("rule3_leader_overlap",), "rule3",
                                    "SP co-leads"),
    "rule3 co-leader daily max": Case(co_leader_day_max, ("rule3_staff_hours",), "rule3",
                                      "SP co-leads 2 h on Mon"),
    "rule4 room kind": Case(room_kind, ("rule4_room_fits",), "rule4", "hosts only"),
    "rule4 room overlap": Case(room_overlap, ("rule4_room_overlap",), "rule4", "at once"),
    "rule4 capacity": Case(capacity, ("rule4_capacity",), "rule4", "which seats 2"),
    "rule5 max_size": Case(max_size, ("rule5_max_size",), "rule5", "holds 1-2"),
    "rule5 min_size": Case(min_size, ("rule5_sizes",), "rule5", "holds 2-10"),
    "rule5 eligibility": Case(eligibility, ("rule5_eligible",), "rule5", "track X"),
    "rule6 day hours": Case(day_hours, ("rule6_day_maxima",), "rule6", "day_hours_max"),
    "rule6 week hours": Case(week_hours, ("rule6_week_maxima",), "rule6", "week_hours_max"),
    "rule6 days": Case(days_max, ("rule6_week_maxima",), "rule6", "days_max"),
    "rule6 type per day": Case(type_daily_max, ("rule6_day_maxima",), "rule6", "daily_max"),
    "rule6 type per week": Case(type_weekly_max, ("rule6_week_maxima",), "rule6", "weekly_max"),
    "rule7 compact day": Case(compact_day, ("rule7_compact_day",), "rule7", "max_gap_minutes"),
    "rule8 pinned session": Case(pinned, ("rule8_pins",), "rule8", "pinned A"),
}
# filters that only prune what a constraint forbids anyway: dropping one alone changes nothing
IMPLIED = {"rule3_leader_day_max", "rule3_co_leader_day_max", "rule6_attendable_maxima"}


def solve_model(program, drop: tuple[str, ...] = ()) -> tuple[Schedule, float]:
    """Stage 1's model (every hard rule but `drop`, the requirements) solved to optimality, and
    its week as a Schedule; with the objective (0: everyone fully met)."""
    names = {name for name, _scope, _fn in rules.HARD_RULES}
    assert set(drop) <= names, set(drop) - names
    kept = tuple(entry for entry in rules.HARD_RULES if entry[0] not in drop)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rules, "HARD_RULES", kept)
        wm = model.build(program, preferences=False)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = 10
    assert solver.solve(wm.model) == cp_model.OPTIMAL
    return Schedule(sessions=extract(wm, solver), unmet=[], summary={}), solver.objective_value


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dropped", [False, True], ids=["kept", "dropped"])
def test_the_rule_binds(name, dropped):
    case = CASES[name]
    prog = case.program()
    schedule, objective = solve_model(prog, case.drop if dropped else ())
    violations = hard_rule_violations(prog, schedule)
    if not dropped:
        assert violations == [], [v.message for v in violations]
        assert objective > 0  # somebody is short: the rule is what stands in the way
        return
    assert objective == 0  # everyone met ...
    messages = [v.message for v in violations if v.rule == case.rule]
    assert any(case.words in m for m in messages), [v.message for v in violations]  # ... by breaking it


def test_every_rule_of_the_model_is_bound_by_a_case():
    dropped = {name for case in CASES.values() for name in case.drop}
    assert dropped | IMPLIED == {name for name, _scope, _fn in rules.HARD_RULES}
    assert {case.rule for case in CASES.values()} == {f"rule{i}" for i in range(1, 9)}


def test_an_implied_filter_only_prunes():
    """Without rule3_leader_day_max the staff hours constraint still keeps the maximum."""
    prog = program((group("A", weekly_min=1),), (person("P1"),), staff_=(staff("S1", max_hours_day=0.5),))
    for drop in ((), ("rule3_leader_day_max",)):
        schedule, objective = solve_model(prog, drop)
        assert hard_rule_violations(prog, schedule) == [] and objective > 0
