"""A lower bound on each term of stage 2's objective, from a smaller model per part (issue 16;
docs/model.md, section 14).

Stage 2 minimises the weighted terms over the weeks that keep stage 1's result: everyone
stage 1 fully met (`met`) stays fully met, and the shortfall units stay at most stage 1's.
Every part below is the least value of one term (or of one participant's terms) over a
*relaxation* of that set of weeks (constraints dropped, never added), so it is at most the
term's value in every week stage 2 may return; the parts add up because the terms do
(per-component bounds summed, as in Cacchiani, Caprara, Roberti and Toth, Computers &
Operations Research 2013):

- `unmet`: stage 1's units when stage 1 proved them (stage 2 keeps them at most that, and
  no week has fewer), else the least units any week can have (each participant alone,
  `upper_bound`).
- `group_sessions`, with staff identity dropped (`_SessionsModel`): an integer count n[o]
  of sessions per group option (at most its qualified available leaders and its fitting
  rooms); for every participant stage 1 fully met, per day and session type, how many
  sessions they attend, with every requirement met and their day and week maxima kept; the
  fixed-charge link aggregated per participant, day and type (no more sessions of a type
  than run that day at options they can attend), the seats per component, day and type,
  at each slot no more sessions than the staff and rooms that could hold them, and at most
  as many sessions in a day as the participant's options that do not overlap. Minimise
  sum n. The participants nobody met are left out (with everyone met, groups also hold
  their minimum size). CP-SAT with its full LP, time-boxed: its optimum or bound, or the
  counting bound over the same participants (`bounds.py`), the larger.
- `staff_balance`: the least peak load of a transport of the work the met participants need
  (each type's weekly minimums, the rest of the group sessions above) to the staff who
  could lead it, within their weekly hours.
- The participant's own terms (routine, time and day preferences, continuity, services per
  day, the higher tier): each participant stage 1 fully met alone, on the options the full
  model gives them (`model.attendable`), with the model's own participant code
  (`participant.add_participant`: rules 1, 6, 7, their pins) and every requirement a hard
  constraint; the other participants, group sizes, rooms and the other staff are dropped,
  and the primary therapist leads whatever they could lead. The least weighted sum of the
  participant's own terms bounds their share of the objective; the least of each term
  alone bounds that term. The others contribute 0 (a week may give them nothing at all).
- `stability` (week to week): 0.

`terms` holds each term's bound; `total` is the weighted sum of `unmet`, each participant's
least weighted own terms (at least the weighted sum of their terms' separate bounds) and the
two program terms. A model stopped by the time limit gives its bound so far (a term not
reached in time, 0), so every number stays a bound; `proven` lists the terms whose models
all ended in optimality.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from iopsched.cpsat.budget import RECKON_BOUND_MODEL, RECKON_BUILD, Budget
from iopsched.cpsat.model import (
    Option,
    RoomClass,
    WeekModel,
    effective_capacity,
    high_tier,
    slots_needed,
)
from iopsched.domain import Participant, Program, Staff, weekly_min_for
from iopsched.schedule import Schedule
from iopsched.solver.bounds import group_components, group_sessions_counted
from iopsched.solver.upper_bound import (
    alone_model,
    options_by_participant,
    pins_by_participant,
    requirements_signature,
)

lsum = cp_model.LinearExpr.sum

# the program's own terms, bounded by the group model and the staff count; every other term
# but `unmet` and `stability` is a participant's own (added by `participant.add_participant`)
PROGRAM_TERMS = ("group_sessions", "staff_balance")
# of the bound's time, the share of the group sessions model (it runs first; the participant
# models have the rest)
GROUP_SHARE = 0.5
# CP-SAT's deterministic time per participant model at most (each is solved in milliseconds)
MODEL_DETERMINISTIC_LIMIT = 2.0


@dataclass(frozen=True)
class TermBounds:
    """Lower bounds of stage 2's objective, term by term (unweighted) and weighted in total."""

    terms: dict[str, int]  # term -> the least its (unweighted) value can be
    total: int  # the least the weighted objective can be (>= the weighted sum of `terms`)
    proven: tuple[str, ...]  # terms whose bound models all ended in optimality
    seconds: float
    participant_models: int = 0  # distinct single-participant models solved
    participants: int = 0  # participants bounded (stage 1 fully met them)
    reckoned: float = 0.0  # deterministic mode: the seconds its work counts for
    details: dict[str, object] = field(default_factory=dict)  # for tests and measurements


def term_bounds(program: Program, *, met: Iterable[str], unmet_units: int, units_proven: bool,
                units_lower_bound: int = 0, previous: Schedule | None = None, time_limit: float = 10.0,
                seed: int = 0, deterministic: bool = False, wm: WeekModel | None = None,
                stop: Callable[[], bool] | None = None) -> TermBounds:
    """The bound of every term given stage 1's result (see the module docstring).

    `met`: the participants stage 1 fully met; `unmet_units` its shortfall units,
    `units_proven` whether no week meeting as many has fewer, `units_lower_bound` the least
    any week has. `time_limit`: seconds for everything (deterministic: reckoned, so that
    the same input gives the same bound). `wm`: a model of the same program whose options
    and attendance variables are reused (else they are built). `previous`: last week's
    schedule (the `stability` term, bounded by 0). `stop()` true (Ctrl-C) ends it between two
    models, with the bounds found so far."""
    t0 = time.monotonic()
    stopped = stop or (lambda: False)
    budget = Budget(max(0.0, time_limit), deterministic, t0)
    weights = dict(program.rules.weights)
    met_ids = frozenset(met)
    options, classes, by_p = options_by_participant(program, wm if wm is not None and wm.program is program
                                                    else None)
    pins = pins_by_participant(program)

    bounds: dict[str, int] = dict.fromkeys(weights, 0)
    proven: set[str] = set()
    # unmet: stage 2 keeps stage 1's units at most; no week has fewer than the least
    bounds["unmet"] = unmet_units if units_proven else units_lower_bound
    if units_proven:
        proven.add("unmet")
    if previous is None:
        proven.add("stability")  # no such term without last week: exactly 0

    people = [p for p in program.participants if p.participant_id in met_ids]
    # the group sessions first (the larger part where anything is known), for at most
    # GROUP_SHARE of the time: a proof hands the rest on to the participants
    t_groups = time.monotonic()
    groups = _group_bound(program, options, classes, [] if stopped() else people, by_p, budget, seed,
                          GROUP_SHARE)
    bounds["group_sessions"] = groups.sessions
    bounds["staff_balance"] = _staff_bound(program, options, classes, people, groups.sessions, seed)
    if groups.proven:
        proven |= {"group_sessions", "staff_balance"}
    t_own = time.monotonic()
    own = _participant_bounds(program, people, by_p, pins, weights, budget, seed, stopped)
    bounds.update(own.terms)
    proven |= own.proven

    total = weights.get("unmet", 0) * bounds["unmet"] + own.weighted + sum(
        weights.get(t, 0) * bounds[t] for t in PROGRAM_TERMS)
    total = max(total, sum(weights.get(t, 0) * v for t, v in bounds.items()))
    return TermBounds(bounds, total, tuple(t for t in weights if t in proven), time.monotonic() - t0,
                      own.models, len(people), budget.reckoned,
                      {"participant_terms": own.weighted, "participants_done": own.done,
                       "participant_seconds": round(time.monotonic() - t_own, 3),
                       "group_seconds": round(t_own - t_groups, 3), "group_model": groups.model_bound,
                       "group_counted": groups.counted, "group_status": groups.status})


# --- each participant alone --------------------------------------------------------------


@dataclass
class _Own:
    terms: dict[str, int]  # term -> the sum of each participant's least value of it
    weighted: int  # the sum of each participant's least weighted sum of their own terms
    proven: set[str]
    models: int
    done: int  # participants bounded before the time ran out


def _participant_bounds(program: Program, people: list[Participant], by_p: dict[str, list[Option]],
                        pins: dict[str, set], weights: dict[str, int], budget: Budget, seed: int,
                        stopped: Callable[[], bool]) -> _Own:
    """Each participant alone, for the rest of the budget: their least weighted own terms
    and the least of each own term. Participants not reached in time contribute 0."""
    own = _Own({}, 0, set(), 0, 0)
    solved: dict[tuple, tuple[int, dict[str, int], set[str]]] = {}
    complete = True
    until = budget.limit
    unproven: set[str] = set()
    # the most constrained first (fewest options): the likeliest to have a positive bound
    # when the time runs out before everyone is bounded
    for p in sorted(people, key=lambda p: len(by_p.get(p.participant_id, []))):
        if budget.clock() >= until or stopped():
            complete = False
            break
        pid = p.participant_id
        opts = sorted(by_p.get(pid, []), key=lambda o: o.index)
        key = _signature(program, p, opts, pins.get(pid, set()))
        if key not in solved:
            solved[key] = _alone(program, p, opts, pins.get(pid, set()), weights, budget, until, seed)
            own.models += 1
        weighted, terms, open_terms = solved[key]
        own.weighted += weighted
        for term, value in terms.items():
            own.terms[term] = own.terms.get(term, 0) + value
        unproven |= open_terms
        own.done += 1
    own.terms = dict.fromkeys(_own_terms(weights), 0) | own.terms
    if complete:
        own.proven = {t for t in own.terms if t not in unproven}
    return own


def _own_terms(weights: dict[str, int]) -> list[str]:
    return [t for t, w in weights.items() if w and t not in (*PROGRAM_TERMS, "unmet", "stability")]


def _signature(program: Program, p: Participant, opts: list[Option], pins: set) -> tuple:
    """Participants with equal signatures have equal single-participant models: the same
    requirements (`upper_bound`) and the same preferences."""
    return (*requirements_signature(program, p, opts, pins), p.preferred_time, tuple(sorted(p.preferred_days)),
            p.primary_therapist, high_tier(program.rules, p))


def _alone(program: Program, p: Participant, opts: list[Option], pins: set, weights: dict[str, int],
           budget: Budget, until: float, seed: int) -> tuple[int, dict[str, int], set[str]]:
    """(least weighted sum of p's own terms, least of each own term, the terms not proven)
    for p alone with every requirement met."""
    pid = p.participant_id
    wm = alone_model(program, p, opts, pins, preferences=True, terms=weights)
    m = wm.model
    for _req, _day, var in wm.shortfalls.get(pid, []):
        m.add(var == 0)  # stage 1 fully met them: stage 2 keeps it
    terms = {t: wm.terms.get(t, []) for t in _own_terms(weights)}
    terms = {t: exprs for t, exprs in terms.items() if exprs}
    if not terms:
        return 0, {}, set()
    budget.reckon(RECKON_BOUND_MODEL)
    # first the question that is nearly always yes: can p's week have none of their terms?
    # (with every term at 0 the search is mostly propagation: about 3 times faster than the
    # optimisation, measured on classic medium)
    zero = m.new_bool_var("zero")
    for exprs in terms.values():
        m.add(lsum(exprs) == 0).only_enforce_if(zero)
    m.add_assumptions([zero])
    status, solver = _solve_small(m, budget, until, seed)
    if status == cp_model.OPTIMAL:
        return 0, dict.fromkeys(terms, 0), set()
    m.clear_assumptions()
    m.minimize(sum(weights[t] * lsum(exprs) for t, exprs in terms.items()))
    status, solver = _solve_small(m, budget, until, seed)
    weighted = _least(status, solver)
    if weighted is None:  # not solved in time, or (never expected) infeasible: nothing is claimed
        return 0, {}, set(terms)
    values = {t: round(sum(solver.value(e) for e in exprs)) for t, exprs in terms.items()}
    least: dict[str, int] = {}
    open_terms: set[str] = set() if status == cp_model.OPTIMAL else set(terms)
    for t, exprs in terms.items():
        if values[t] == 0 or weighted == 0:
            least[t] = 0  # the week found has none of it
            continue
        m.minimize(lsum(exprs))
        status_t, solver_t = _solve_small(m, budget, until, seed)
        least[t] = _least(status_t, solver_t) or 0
        if status_t != cp_model.OPTIMAL:
            open_terms.add(t)
    return weighted, least, open_terms


def _least(status: cp_model.CpSolverStatus, solver: cp_model.CpSolver) -> int | None:
    """The least value of a minimisation the solve proves: its optimum, or the bound of a
    search stopped by its limit (rounded up, at least 0); None when it found nothing."""
    if status == cp_model.OPTIMAL:
        return round(solver.objective_value)
    if status == cp_model.FEASIBLE:
        return max(0, math.ceil(solver.best_objective_bound - 1e-6))
    return None


def _solve_small(m: cp_model.CpModel, budget: Budget, until: float,
                 seed: int) -> tuple[cp_model.CpSolverStatus, cp_model.CpSolver]:
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = 1
    prm.random_seed = seed
    prm.catch_sigint_signal = False
    prm.cp_model_presolve = False  # tiny models: presolve took as long as the search (upper_bound)
    variables = len(m.proto.variables)
    seconds = max(0.0, until - budget.clock())
    budget.configure(solver, seconds, variables)
    prm.max_deterministic_time = min(prm.max_deterministic_time or MODEL_DETERMINISTIC_LIMIT,
                                     MODEL_DETERMINISTIC_LIMIT)
    status = solver.solve(m)
    budget.charge(solver, variables, seconds)
    return status, solver


# --- group sessions: staff identity relaxed ------------------------------------------------


@dataclass(frozen=True)
class _Groups:
    sessions: int  # the bound
    proven: bool  # the model was solved to optimality
    model_bound: int
    counted: int
    status: str


def _group_bound(program: Program, options: list[Option], classes: list[RoomClass],
                 people: list[Participant], by_p: dict[str, list[Option]], budget: Budget, seed: int,
                 share: float) -> _Groups:
    """The fewest group sessions any week meeting `people` runs (see the module docstring):
    the larger of the counting bound over them and the optimum (or CP-SAT's bound) of the
    sessions model."""
    pairs = [(p.participant_id, o.index) for p in people for o in by_p.get(p.participant_id, [])]
    counted = group_sessions_counted(program, options, classes, pairs, people) or 0
    if not people or budget.left() <= 0.05:
        return _Groups(counted, False, 0, counted, "not run")
    sm = _SessionsModel(program, options, classes)
    sm.components({p.participant_id: by_p.get(p.participant_id, []) for p in people})
    for p in people:
        sm.participant(p, by_p.get(p.participant_id, []))
    sm.resources(everyone=len(people) == len(program.participants))
    if not sm.n:
        return _Groups(counted, True, 0, counted, "no groups")
    m = sm.m
    m.minimize(lsum(list(sm.n.values())))
    variables = len(m.proto.variables)
    budget.reckon(RECKON_BUILD * variables)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = 1
    prm.random_seed = seed
    prm.catch_sigint_signal = False
    # the LP of every constraint: without it CP-SAT's bound stayed below the counting bound
    # after 10 s (sample, mix small 1); with it both were solved in 1-3 s
    prm.linearization_level = 2
    seconds = max(0.0, budget.limit * share - budget.clock())
    budget.configure(solver, seconds, variables)
    status = solver.solve(m)
    budget.charge(solver, variables, seconds)
    found = _least(status, solver) or 0
    return _Groups(max(found, counted), status == cp_model.OPTIMAL, found, counted,
                   solver.status_name(status))


class _SessionsModel:
    """Group sessions with staff identity relaxed: n[o] sessions of each group option, and,
    for each participant and day, how many sessions of each type they attend (the
    fixed-charge link aggregated per participant, day and type: no more than the sessions
    of that type run that day at options they can attend)."""

    def __init__(self, program: Program, options: list[Option], classes: list[RoomClass]):
        self.program, self.options, self.classes = program, options, classes
        self.S = program.rules.slot_minutes
        self.m = cp_model.CpModel()
        self.n: dict[int, cp_model.IntVar] = {}
        # (component, day, type) -> group attendances; a component: participants some group
        # option could hold together (no session mixes two), as in `bounds.py`
        self.seats: dict[tuple[str, int, int], list] = defaultdict(list)
        self.component: dict[int, str] = {}  # group option -> its component
        pinned: dict[int, int] = defaultdict(int)
        by_key = {(o.stype.name, o.day, o.start): o for o in options}
        for pin in program.pinned:
            o = by_key.get((pin.session_type, pin.day, pin.start))
            if o is not None and o.stype.is_group:
                pinned[o.index] += 1
        self.pinned = pinned
        for oi in pinned:
            self.sessions(options[oi])

    def sessions(self, o: Option) -> cp_model.IntVar:
        """n[o]: at most the option's leaders (co-leaders) and rooms, at least its pins."""
        if o.index not in self.n:
            rooms = sum(len(self.classes[ci].rooms) for ci in o.classes)
            most = min(len(o.staff), rooms, len(o.co_staff) if o.stype.co_led else rooms)
            self.n[o.index] = self.m.new_int_var(min(self.pinned.get(o.index, 0), most), most, f"n_{o.index}")
        return self.n[o.index]

    def components(self, pairs: dict[str, list[Option]]) -> None:
        """Participants linked by a group option they could both attend; each group option
        belongs to the component of its possible attendees."""
        root, first = group_components(self.options, pairs,
                                       [(pid, o.index) for pid in sorted(pairs) for o in pairs[pid]])
        self.component = {oi: root(pid) for oi, pid in first.items()}

    def participant(self, p: Participant, opts: list[Option]) -> None:
        """p's week by days and session types: every requirement met, the day and week
        maxima kept, group sessions only where some run at an option p can attend."""
        m, S, types = self.m, self.S, self.program.session_types
        pid = p.participant_id
        week_slots, week_counts, attends = [], defaultdict(list), []
        day_opts: dict[int, list[Option]] = defaultdict(list)
        for o in opts:
            day_opts[o.day].append(o)
        for day, here in sorted(day_opts.items()):
            att = m.new_bool_var(f"att_{pid}_{day}")
            per_type: dict[int, list[Option]] = defaultdict(list)
            for o in here:
                per_type[o.type_index].append(o)
            counts, slots = [], []
            for ti, at_type in sorted(per_type.items()):
                t = types[ti]
                c = m.new_int_var(0, t.daily_max, f"c_{pid}_{day}_{ti}")
                m.add(c <= t.daily_max * att)
                if t.is_group:
                    # the fixed charge, per day and type: sessions p attends are distinct sessions
                    m.add(c <= lsum([self.sessions(o) for o in at_type]))
                    self.seats[self.component[at_type[0].index], day, ti].append(c)
                if t.counts_toward_hours:
                    slots.append((c, t.minutes // S))
                counts.append(c)
                week_counts[ti].append(c)
            m.add(att <= lsum(counts))  # attended iff some session that day
            # one session at a time: no more than the most of p's options that do not overlap
            m.add(lsum(counts) <= _disjoint(here))
            day_slots = cp_model.LinearExpr.weighted_sum([c for c, _ in slots], [k for _, k in slots])
            m.add(day_slots >= slots_needed(p.day_hours_min, S) * att)
            m.add(day_slots * S <= int(p.day_hours_max * 60))
            week_slots += slots
            attends.append(att)
        if not attends:
            return
        m.add(lsum(attends) >= p.days_min)
        m.add(lsum(attends) <= p.days_max)
        week = cp_model.LinearExpr.weighted_sum([c for c, _ in week_slots], [k for _, k in week_slots])
        m.add(week >= slots_needed(p.week_hours_min, S))
        m.add(week * S <= int(p.week_hours_max * 60))
        for ti, t in enumerate(types):
            cs = week_counts.get(ti, [])
            if weekly_min_for(p, t):
                m.add(lsum(cs) >= weekly_min_for(p, t))
            if t.weekly_max is not None and cs:
                m.add(lsum(cs) <= t.weekly_max)

    def resources(self, everyone: bool) -> None:
        """Seats each day; at each slot, no more sessions than staff and rooms that could hold
        them; with `everyone` in the model, no session below its type's minimum size."""
        m, options, classes = self.m, self.options, self.classes
        capacity: dict[tuple[str, int, int], list] = defaultdict(list)
        sessions_of: dict[tuple[str, int, int], list] = defaultdict(list)
        busy_at: dict[tuple[int, int], list] = defaultdict(list)
        staff_at: dict[tuple[int, int], set[str]] = defaultdict(set)
        rooms_at: dict[tuple[int, int], set[str]] = defaultdict(set)
        held_at: dict[tuple[int, int], list] = defaultdict(list)
        for oi, n in self.n.items():
            o = options[oi]
            seats = max(effective_capacity(classes[ci], o.stype) for ci in o.classes)
            if oi in self.component:
                capacity[self.component[oi], o.day, o.type_index].append(seats * n)
                sessions_of[self.component[oi], o.day, o.type_index].append(n)
            for k in range(o.length):
                at = (o.day, o.slot + k)
                busy_at[at].append(2 * n if o.stype.co_led else n)
                held_at[at].append(n)
                staff_at[at].update(o.staff, o.co_staff)
                rooms_at[at].update(r.room_id for ci in o.classes for r in classes[ci].rooms)
        for key, attendances in self.seats.items():
            m.add(lsum(attendances) <= lsum(capacity.get(key, [])))
        if everyone:  # (else the participants left out may fill a group)
            for key, ns in sessions_of.items():
                m.add(lsum(self.seats.get(key, [])) >= self.program.session_types[key[2]].min_size * lsum(ns))
        for at, ns in busy_at.items():
            if len(ns) > 1:  # rule 3: a staff member leads one session at a time
                m.add(lsum(ns) <= len(staff_at[at]))
        for at, ns in held_at.items():
            if len(ns) > 1:  # rule 4: a room holds one session at a time
                m.add(lsum(ns) <= len(rooms_at[at]))


def _disjoint(opts: list[Option]) -> int:
    """The most options of one day that do not overlap (earliest end first)."""
    count, free_from = 0, -1
    for o in sorted(opts, key=lambda o: (o.slot + o.length, o.slot)):
        if o.slot >= free_from:
            count += 1
            free_from = o.slot + o.length
    return count


# --- staff balance -------------------------------------------------------------------------


def _staff_bound(program: Program, options: list[Option], classes: list[RoomClass],
                 people: list[Participant], groups: int, seed: int) -> int:
    """The busiest leader's load (slots) at least: the least peak of a transport of the work
    the met participants need to the staff who could lead it, each staff member carrying at
    most their weekly hours (and window minutes).

    The work: each session type's weekly minimum for every met participant (a service holds
    one participant; a group type at least the most any one of them needs, and its seats'
    share), each led by someone who leads an option of the type (and co-led by someone who
    co-leads one); the rest of the `groups` sessions at least the shortest group type long,
    led by anyone who leads a group option. The real week's leaders are one such transport."""
    S = program.rules.slot_minutes
    types = program.session_types
    leaders: dict[int, set[str]] = defaultdict(set)  # type -> staff who lead an option of it
    co_leaders: dict[int, set[str]] = defaultdict(set)
    seats: dict[int, int] = defaultdict(int)  # type -> the most seats of a session of it
    for o in options:
        leaders[o.type_index].update(o.staff)
        co_leaders[o.type_index].update(o.co_staff)
        if o.stype.is_group:
            seats[o.type_index] = max([seats[o.type_index]] + [effective_capacity(classes[ci], o.stype)
                                                               for ci in o.classes])
    work: list[tuple[int, frozenset[str]]] = []  # (minutes, who may carry them)
    counted_groups = 0
    for ti, t in enumerate(types):
        needs = [weekly_min_for(p, t) for p in people]
        if not any(needs) or not leaders.get(ti):
            continue
        if t.is_group:
            sessions = max(max(needs), math.ceil(sum(needs) / max(1, seats[ti])))
            counted_groups += sessions
        else:
            sessions = sum(needs)
        work.append((sessions * t.minutes, frozenset(leaders[ti])))
        if t.co_led and co_leaders.get(ti):
            work.append((sessions * t.minutes, frozenset(co_leaders[ti])))
    group_leaders = frozenset(s for ti, t in enumerate(types) if t.is_group for s in leaders.get(ti, ()))
    shortest = min((t.minutes for ti, t in enumerate(types) if t.is_group and leaders.get(ti)), default=0)
    if groups > counted_groups and group_leaders:
        work.append(((groups - counted_groups) * shortest, group_leaders))
    work = [(minutes, who) for minutes, who in work if minutes]
    if not work:
        return 0
    staff = sorted({s for _m, who in work for s in who})
    by_id = {s.staff_id: s for s in program.staff}
    m = cp_model.CpModel()
    total = sum(minutes for minutes, _who in work)
    peak = m.new_int_var(0, math.ceil(total / S), "peak")
    carried: dict[str, list] = defaultdict(list)
    for k, (minutes, who) in enumerate(work):
        parts = []
        for sid in sorted(who):
            x = m.new_int_var(0, minutes, f"x_{k}_{sid}")
            parts.append(x)
            carried[sid].append(x)
        m.add(lsum(parts) >= minutes)
    for sid in staff:
        load = lsum(carried[sid])
        m.add(peak * S >= load)
        most = _most_minutes(by_id[sid]) if sid in by_id else None
        if most is not None:
            m.add(load <= most)
    m.minimize(peak)
    solver = cp_model.CpSolver()
    prm = solver.parameters
    prm.num_workers = 1
    prm.random_seed = seed
    prm.catch_sigint_signal = False
    prm.max_deterministic_time = MODEL_DETERMINISTIC_LIMIT
    status = solver.solve(m)
    return _least(status, solver) or 0  # (infeasible: the hours cannot carry the work; nothing is claimed)


def _most_minutes(s: Staff) -> int | None:
    """A staff member's weekly minutes at most: their weekly maximum, and their windows (each
    day's at most the daily maximum)."""
    by_day: dict[int, int] = defaultdict(int)
    for w in s.windows:
        by_day[w.day] += w.end - w.start
    if s.max_hours_day is not None:
        by_day = {d: min(v, int(s.max_hours_day * 60)) for d, v in by_day.items()}
    most = sum(by_day.values()) if s.windows else None
    if s.max_hours_week is not None:
        week = int(s.max_hours_week * 60)
        most = week if most is None else min(most, week)
    return most
