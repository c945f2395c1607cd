"""How many participants any schedule can fully meet: an upper bound from each one's own week.

Each participant is scheduled alone, on a model that keeps every rule of their own week
(rules 1, 6 and 7: their commitments widened by the travel buffer, opening hours, their
maxima, compact days) and the program's resources as far as one participant sees them
(a qualified leader available and a fitting room for every session; a group only where at
least `min_size` participants could ever attend it), with their requirements as soft
minimums. Everyone else is left out, so each single-participant model is a relaxation of
the week: its optimum is the fewest shortfall units any schedule can give that participant.
Hence
- a participant whose own optimum is above 0 is unmet in every schedule (their own data
  proves it: the reason the Unmet sheet gives them is about their time, not capacity);
- the number of participants whose own optimum is 0 bounds how many any schedule meets;
- the sum of the optima bounds the shortfall units of every schedule.
Stage 1 of the solve (iopsched.solver.stage_requirements) is proven when it reaches both.

Participants with the same possible sessions, minimums and maxima share one model.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from iopsched.cpsat.model import (
    Option,
    RoomClass,
    WeekModel,
    attendable,
    build_options,
    room_classes,
)
from iopsched.cpsat.participant import add_participant
from iopsched.domain import Participant, Program, weekly_min_for

# CP-SAT's deterministic time per participant model (each is solved in milliseconds; the cap
# only guards a pathological input, and a model stopped by it counts as meetable)
MODEL_DETERMINISTIC_LIMIT = 2.0


@dataclass(frozen=True)
class ParticipantBound:
    participant_id: str
    min_units: int  # fewest shortfall units any schedule can give this participant
    proven: bool  # the single-participant model was solved to optimality

    @property
    def meetable(self) -> bool:
        """Might some schedule meet every requirement of this participant?"""
        return self.min_units == 0


@dataclass(frozen=True)
class RequirementsBound:
    """The bound on stage 1 of the solve: participants fully met and shortfall units."""

    participants: dict[str, ParticipantBound]
    seconds: float
    models: int  # distinct single-participant models solved

    @property
    def fully_met_max(self) -> int:
        return sum(1 for b in self.participants.values() if b.meetable)

    @property
    def units_min(self) -> int:
        return sum(b.min_units for b in self.participants.values())

    @property
    def hopeless(self) -> frozenset[str]:
        """Participants whose own data proves them unmet in every schedule."""
        return frozenset(pid for pid, b in self.participants.items() if not b.meetable)

    def meetable(self, participant_id: str) -> bool:
        b = self.participants.get(participant_id)
        return b is None or b.meetable


def requirements_bound(program: Program, wm: WeekModel | None = None,
                       only: set[str] | None = None) -> RequirementsBound:
    """The bound, from one small model per distinct participant (see the module docstring).

    `wm`: a model of the week, whose options and attendance variables are reused.
    `only`: the participants to schedule alone; the others are known to be meetable (a
    week meeting them was found), so their own optimum is 0."""
    t0 = time.monotonic()
    _options, _classes, by_p = options_by_participant(program, wm)
    pinned_to = pins_by_participant(program)

    solved: dict[tuple, tuple[int, bool]] = {}
    out: dict[str, ParticipantBound] = {}
    for p in program.participants:
        pid = p.participant_id
        if only is not None and pid not in only:
            out[pid] = ParticipantBound(pid, 0, True)
            continue
        opts = sorted(by_p.get(pid, []), key=lambda o: o.index)
        key = requirements_signature(program, p, opts, pinned_to.get(pid, set()))
        if key not in solved:
            solved[key] = _solve_alone(program, p, opts, pinned_to.get(pid, set()))
        units, proven = solved[key]
        out[pid] = ParticipantBound(pid, units, proven)
    return RequirementsBound(out, time.monotonic() - t0, len(solved))


def options_by_participant(program: Program, wm: WeekModel | None = None
                           ) -> tuple[list[Option], list[RoomClass], dict[str, list[Option]]]:
    """The week's options, room classes and each participant's attendable options: those of
    `wm` (its attendance variables) when given, else built from the program."""
    if wm is None:
        classes = room_classes(program)
        options = build_options(program, classes)
        pairs = [(p.participant_id, o) for p, o in attendable(program, options)]
    else:
        options, classes = wm.options, wm.classes
        pairs = [(pid, options[oi]) for pid, oi in wm.a]
    by_p: dict[str, list[Option]] = defaultdict(list)
    for pid, o in pairs:
        by_p[pid].append(o)
    return options, classes, by_p


def pins_by_participant(program: Program) -> dict[str, set[tuple[str, int, int]]]:
    """participant id -> the (session type, day, start) of the Pinned sessions naming them."""
    pinned_to: dict[str, set[tuple[str, int, int]]] = defaultdict(set)
    for pin in program.pinned:
        for pid in pin.participants:
            pinned_to[pid].add((pin.session_type, pin.day, pin.start))
    return pinned_to


def requirements_signature(program: Program, p: Participant, opts: list[Option], pins: set) -> tuple:
    """Participants with equal signatures have equal single-participant requirement models."""
    return (tuple(o.index for o in opts), p.days_min, p.days_max, p.day_hours_min, p.day_hours_max,
            p.week_hours_min, p.week_hours_max,
            tuple(weekly_min_for(p, t) for t in program.session_types), tuple(sorted(pins)))


def alone_model(program: Program, p: Participant, opts: list[Option], pins: set, *, preferences: bool,
                terms: Iterable[str] = ()) -> WeekModel:
    """The week of p alone: an attendance variable per option, their pins kept (rule 8), and
    the model's own participant part (rules 1, 6, 7, the requirements as soft minimums, with
    `preferences` their preference terms, the primary therapist then leading whatever they
    could lead). `terms`: the objective terms collected (in `wm.terms`) from the start."""
    m = cp_model.CpModel()
    wm = WeekModel(program, m, opts, [], slot_minutes=program.rules.slot_minutes,
                   grid_open=program.rules.open)
    wm.terms = {name: [] for name in terms}
    by_day: dict[tuple[str, int], list[Option]] = defaultdict(list)
    pid = p.participant_id
    for o in opts:
        wm.a[pid, o.index] = m.new_bool_var(f"a_{o.index}")
        by_day[pid, o.day].append(o)
        if (o.stype.name, o.day, o.start) in pins:
            m.add(wm.a[pid, o.index] == 1)  # rule 8: a pinned session of theirs
        if preferences and p.primary_therapist in o.staff:
            # leaders relaxed: the primary therapist leads whatever they could lead
            wm.y[o.index, p.primary_therapist] = m.new_bool_var(f"y_{o.index}")
    add_participant(wm, p, by_day, preferences=preferences)
    return wm


def _solve_alone(program: Program, p: Participant, opts: list[Option], pins: set) -> tuple[int, bool]:
    """(fewest shortfall units, proven) for p scheduled alone."""
    wm = alone_model(program, p, opts, pins, preferences=False)
    m, pid = wm.model, p.participant_id
    units = wm.terms.get("unmet", [])
    if not units:
        return 0, True
    # first the question that is nearly always yes: can every requirement be met?
    met = m.new_bool_var("met")
    for _req, _day, var in wm.shortfalls[pid]:
        m.add(var == 0).only_enforce_if(met)
    m.add_assumptions([met])
    status = _solver().solve(m)
    if status == cp_model.OPTIMAL:
        return 0, True
    m.clear_assumptions()
    m.minimize(sum(units))
    solver = _solver()
    status = solver.solve(m)
    if status == cp_model.OPTIMAL:
        return round(solver.objective_value), True
    if status == cp_model.FEASIBLE:
        return max(0, int(solver.best_objective_bound + 0.999)), False
    return 0, False  # not solved in time (or a pinned session they cannot keep): counted as meetable


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = 1
    p.max_deterministic_time = MODEL_DETERMINISTIC_LIMIT
    p.catch_sigint_signal = False
    p.cp_model_presolve = False  # the model is tiny: presolve took as long as the search (measured)
    return solver
