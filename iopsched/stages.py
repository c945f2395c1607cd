"""The lexicographic solve: the requirements first, then the preferences (docs/model.md, 10).

Stage 1 (requirements) decides how many participants can be fully met, then the fewest
shortfall units, on the model of every hard rule and the requirements with no preference
term (`model.build(preferences=False)`):
1. the greedy week (`greedy.construct`), deterministic and fast;
2. the bound (`upper_bound`): each participant the greedy left short is scheduled alone;
   whoever cannot be met alone is unmet in every schedule. When the greedy week meets
   everyone else (and gives those participants their own fewest units), stage 1 is proven;
3. otherwise CP-SAT on the *satisfaction* form: every participant the bound allows is
   required to be fully met (hard), the rest with the fewest shortfall units. Required
   minimums propagate: on packed evening programs this finds a week in seconds where the
   weighted form searched for minutes. A solution proves stage 1 (fully met = the bound);
4. if that form is proven infeasible, or finds nothing in its share of the time, CP-SAT
   on the weighted form (most participants fully met, then fewest units) from the best
   week known, which ends in a proof when its bound meets the week.
Stage 2 (preferences) keeps what stage 1 reached as constraints (whoever stage 1 fully
met stays fully met; no more shortfall units) and minimises the weighted preference terms
(stability, routine, time and day preferences, continuity, services per day, group
sessions, staff balance) from the stage-1 week, polished by the local search.

Time: `Budget` is the command's: wall clock from the start of the command (reading the
workbook) to the written file by default, or a deterministic budget (`--deterministic`).
A stage that ends in a proof hands the rest of the time on.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from iopsched.bounds import counting_bound
from iopsched.capacity_bound import CapacityBound, capacity_bound
from iopsched.domain import Program
from iopsched.greedy import (
    MAX_ITERATIONS,
    STRATEGIES,
    Greedy,
    RuinRecreate,
    construct,
    decisions,
    iteration_seconds,
)
from iopsched.hints import complete_hint
from iopsched.model import UNMET_UNITS, WeekModel, build, unit_kind
from iopsched.schedule import Schedule
from iopsched.upper_bound import RequirementsBound, requirements_bound
from iopsched.values import GreedyValues, HintValues, ScheduleValues, SolverValues, hint_decisions

# CP-SAT's deterministic time against the wall clock on a 2-core laptop falls with the
# model's size (measured, docs/model.md 6): (variables, units per second), interpolated log-log.
DETERMINISTIC_RATE = ((16_000, 0.75), (24_000, 0.72), (60_000, 0.43), (174_000, 0.23), (466_000, 0.11))
# deterministic runs reckon the work outside CP-SAT from the program's size (measured on the
# same machine), so that they take about --time-limit: building a model, per variable; the
# greedy week, per participant and strategy; one participant's bound model
RECKON_BUILD = 2.2e-5
RECKON_GREEDY = 0.006
RECKON_BOUND_MODEL = 0.04
RECKON_CAPACITY = 0.2

# stage 1 may use this share of the time left when it starts (a proof hands the rest on)
REQUIREMENTS_SHARE = 0.85
# of stage 1's CP-SAT time, the share the satisfaction form gets before the weighted form
SATISFACTION_SHARE = 0.85
# programs with more attendance variables than this are searched in neighbourhoods first:
# NEIGHBOURHOOD_SHARE of the participants (between NEIGHBOURHOOD_MIN and _MAX) re-planned at
# once, a quarter of them chosen among those still short, each neighbourhood given at least
# NEIGHBOURHOOD_SECONDS
NEIGHBOURHOOD_MIN_ATTENDANCES = 60_000
NEIGHBOURHOOD_SHARE = 0.35
NEIGHBOURHOOD_MIN = 40
NEIGHBOURHOOD_MAX = 60  # xl: 140 at once met 25 in 20 s and then nothing; 60 met 12 every 10-20 s
NEIGHBOURHOOD_SECONDS = 4.0
NEIGHBOURHOOD_SLICE = 0.15  # ... and at most this share of the time left (when that is more)
NEIGHBOURHOOD_LACKING = 4  # weight of a session of a type a chosen participant still lacks
# of CP-SAT's local search, the share on the greedy week's grid of group start times
GRID_SHARE = 0.5
# week to week: of the local searches' time, the share of the attempt that keeps last week's
# attendances for everyone they still fit
ANCHOR_SHARE = 0.3
# of that, the share of the greedy's local search (ruin and recreate) before CP-SAT's, when
# the greedy left at most MEND_FEW of the participants short
MEND_SHARE = 0.25
MEND_FEW = 0.1
MEND_PATIENCE = 50  # moves without fewer shortfall units before it hands over to CP-SAT


def deterministic_per_second(variables: int) -> float:
    points = DETERMINISTIC_RATE
    v = max(1, variables)
    if v <= points[0][0]:
        return points[0][1]
    (v0, r0), (v1, r1) = next(((a, b) for a, b in zip(points, points[1:], strict=False) if v <= b[0]),
                              points[-2:])
    return r0 * (r1 / r0) ** (math.log(v / v0) / math.log(v1 / v0))


@dataclass
class Budget:
    """The command's time limit, shared by the stages.

    Wall-clock mode (default): `left()` is the limit minus the wall time since the command
    started, minus `reserve` (extracting and writing the schedule). Deterministic mode: CP-SAT
    stops on deterministic time (`deterministic_per_second` of the reckoned seconds), and
    `left()` counts only what was reckoned, so the same input gives the same schedule; the
    wall clock (1.5 x the limit, at least 10 s more) is a guard."""

    limit: float
    deterministic: bool
    started_at: float
    reserve: float = 0.0
    reckoned: float = 0.0  # deterministic mode: seconds reckoned so far
    stopped_by_wall: bool = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def left(self) -> float:
        if self.deterministic:
            return max(0.0, self.limit - self.reckoned)
        return max(0.0, self.limit - self.elapsed() - self.reserve)

    def guard(self) -> float:
        """Wall seconds left before the deterministic mode's guard (a safety net for a very
        slow machine: a run that reaches it may not repeat)."""
        return max(0.1, max(2 * self.limit, self.limit + 20) - self.elapsed())

    def reckon(self, seconds: float) -> None:
        """Deterministic runs: count work outside CP-SAT, estimated from the program's size."""
        if self.deterministic:
            self.reckoned += seconds

    def configure(self, solver: cp_model.CpSolver, seconds: float, variables: int) -> None:
        """Stop the solver after `seconds` of this budget."""
        p = solver.parameters
        seconds = max(0.0, seconds)
        if self.deterministic:
            p.max_deterministic_time = max(0.01, seconds * deterministic_per_second(variables))
            p.max_time_in_seconds = self.guard()
        else:
            p.max_time_in_seconds = max(0.01, seconds)

    def charge(self, solver: cp_model.CpSolver, variables: int, seconds: float) -> None:
        """Reckon what a finished solve used (deterministic mode), at most its allowance."""
        if self.deterministic:
            used = solver.deterministic_time / deterministic_per_second(variables)
            self.reckoned += min(seconds, used)
            if solver.wall_time >= solver.parameters.max_time_in_seconds - 0.05:
                self.stopped_by_wall = True


@dataclass
class SearchSettings:
    workers: int
    seed: int
    log: bool = False
    interrupted: threading.Event = field(default_factory=threading.Event)
    # the solver now running, so that Ctrl-C can stop it
    current: list = field(default_factory=list)


@dataclass
class Requirements:
    """What stage 1 reached."""

    schedule: Schedule  # the stage-1 week (sessions only)
    met: frozenset[str]  # participants fully met
    units: int  # shortfall units
    bound: RequirementsBound
    upper_bound_fully_met: int  # no schedule fully meets more participants
    lower_bound_units: int  # no schedule has fewer shortfall units (with the most fully met)
    method: str  # greedy | cp-sat | cp-sat weighted | none
    seconds: float  # from the start of the command to the end of stage 1
    found_seconds: float | None = None  # ... to the stage-1 week (None: not the end of the stage)
    cp_status: str = ""
    interrupted: bool = False
    build_seconds: float = 0.0  # from the start of the command to the stage-1 model
    build_cost: float = 0.0  # building the stage-1 model took this long
    wm: WeekModel | None = None  # the stage-1 model
    capacity: CapacityBound | None = None  # the rooms' and leaders' bound (when it was needed)
    greedy_seconds: float = 0.0  # ... to the greedy week
    greedy_units: int = 0  # the greedy week's shortfall units

    @property
    def proven(self) -> bool:
        """No schedule fully meets more participants (the stage's first and main question)."""
        return len(self.met) >= self.upper_bound_fully_met

    @property
    def units_proven(self) -> bool:
        """... and no schedule meeting as many has fewer shortfall units."""
        return self.proven and self.units <= self.lower_bound_units

    @property
    def status(self) -> str:
        return "OPTIMAL" if self.proven else "FEASIBLE"


@dataclass
class Progress:
    elapsed: float
    objective: float
    bound: float
    gap: float
    solutions: int
    fully_met: int
    participants: int
    phase: str = "search"  # "requirements" (stage 1), "local search", then "search" (stage 2)
    fully_met_bound: int | None = None  # no schedule fully meets more (stage 1's bound)


def gap_of(objective: float | None, bound: float) -> float:
    if objective is None:
        return float("nan")
    return abs(objective - bound) / max(1.0, abs(objective))


# --- stage 1 ---------------------------------------------------------------------------------


def requirements_stage(program: Program, budget: Budget, settings: SearchSettings, *,
                       previous: Schedule | None = None,
                       report: Callable[[Progress], None] | None = None,
                       extract: Callable[[WeekModel, object], list]) -> Requirements:
    """Stage 1: the most participants fully met, then the fewest shortfall units (proven
    where the bound is reached). `extract(wm, values)` turns model values into sessions."""
    n = len(program.participants)
    everyone = frozenset(p.participant_id for p in program.participants)
    before = budget.elapsed()
    wm = build(program, preferences=False)
    built = budget.elapsed()
    budget.reckon(RECKON_BUILD * len(wm.model.proto.variables))
    g = construct(wm, previous, STRATEGIES[:1])
    strategies = 1
    if len(g.unmet_ids()) <= MEND_FEW * n:  # a loose program: the other strategies may do better
        g = construct(wm, previous, STRATEGIES, first=g)
        strategies = len(STRATEGIES)
    budget.reckon(RECKON_GREEDY * n * strategies)
    greedy = (budget.elapsed(), g.shortfall_units())
    # the bound: whoever the greedy week met can be met; the others are scheduled alone
    bound = requirements_bound(program, wm, only=set(g.unmet_ids()))
    budget.reckon(RECKON_BOUND_MODEL * bound.models)
    state = _Best(wm, g, everyone, budget.elapsed())
    ub, lb_units = bound.fully_met_max, bound.units_min
    # ... and what the rooms and leaders can serve at all, when the greedy week falls short
    capacity = None
    if len(state.met) < ub:
        capacity = capacity_bound(program, wm, {pid for pid in everyone if bound.meetable(pid)})
        budget.reckon(RECKON_CAPACITY)
        ub = min(ub, capacity.fully_met_max)

    def progress(met: int) -> None:
        if report:
            report(Progress(budget.elapsed(), 0, 0, 0.0, 0, met, n, phase="requirements", fully_met_bound=ub))

    def reached() -> bool:
        return len(state.met) >= ub and state.units <= lb_units

    progress(len(state.met))
    _add_bound(wm, bound)
    cp_status = ""
    share = budget.left() * REQUIREMENTS_SHARE
    stage_left = budget.left() - share  # what stage 1 leaves for stage 2
    state.started = budget.elapsed()
    if previous is not None and not settings.interrupted.is_set():
        # (a0) week to week: last week's attendances kept for everyone they still fit, unless
        # the greedy week (which starts from last week) already keeps them and meets the bound
        cp_status = _anchored(wm, previous, state, bound, budget, settings,
                              share * SATISFACTION_SHARE * ANCHOR_SHARE, progress, reached())
    if not reached() and not settings.interrupted.is_set():
        # (a) the local searches: the greedy's, then CP-SAT's on the required form
        if not reached() and not settings.interrupted.is_set():
            cp_status = _mend_and_search(wm, g, bound, state, budget, settings,
                                         share * SATISFACTION_SHARE - (budget.elapsed() - state.started),
                                         progress, ub)
        # (b) a complete search from the best week so far, for the rest of the share: the fewest
        # units with everyone meetable fully met once that is reached, else the weighted form
        if not reached() and not settings.interrupted.is_set():
            seconds = max(0.0, budget.left() - stage_left)
            require = len(state.met) >= ub
            result = _complete(wm, state, bound, budget, settings, seconds, progress, require)
            if result is not None:
                cp_status, met_bound, units_bound = result
                ub = min(ub, met_bound)
                if require or len(state.met) >= ub:
                    lb_units = max(lb_units, units_bound)
    return Requirements(
        schedule=Schedule(sessions=extract(wm, state.values)), met=state.met, units=state.units, bound=bound,
        upper_bound_fully_met=ub, lower_bound_units=lb_units, method=state.method,
        seconds=budget.elapsed(), found_seconds=state.found, cp_status=cp_status,
        interrupted=settings.interrupted.is_set(), build_seconds=built, greedy_seconds=greedy[0],
        greedy_units=greedy[1], build_cost=built - before, wm=wm, capacity=capacity)


def _anchored(wm: WeekModel, previous: Schedule, state: _Best, bound: RequirementsBound, budget: Budget,
              settings: SearchSettings, seconds: float, progress, reached: bool) -> str:
    """Week to week: every continuing participant whose sessions of last week can all still
    run keeps exactly those (their attendance is fixed); the others (new participants, and
    whoever the input changed) are placed around them, everyone the bound allows fully met.
    A small model, solved by CP-SAT's complete search: most weeks change only where the
    input did. Returns CP-SAT's status."""
    by_key = {(o.stype.name, o.day, o.start): o for o in wm.options}
    last: dict[str, set[int]] = {}
    for s in previous.sessions:
        o = by_key.get((s.session_type, s.day, s.start))
        for pid in s.participants:
            if pid in wm.met:
                last.setdefault(pid, set()).add(o.index if o is not None else -1)
    anchored = {pid: opts for pid, opts in last.items()
                if -1 not in opts and all((pid, oi) in wm.a for oi in opts)}
    if not anchored:
        return ""
    kept = all(state.values.value(wm.a[pid, oi]) for pid, opts in anchored.items() for oi in opts)
    if reached and kept:
        return ""  # the best week keeps them all (it may add sessions: stage 2 weighs those)
    domains = wm.model.proto.variables
    fixed = []  # (variable index, value)
    for (pid, oi), var in wm.a.items():
        if pid in anchored:
            fixed.append((var.index, int(oi in anchored[pid])))
    forced = [wm.met[pid].index for pid in wm.met if bound.meetable(pid)]
    hint_decisions(wm, state.values)
    saved = {i: (domains[i].domain[0], domains[i].domain[1]) for i, _v in fixed}
    for i, v in fixed:
        domains[i].domain[0] = v
        domains[i].domain[1] = v
    for i in forced:
        domains[i].domain[0] = 1
    try:
        solver, status = _run(wm, budget, settings, seconds, _MetCallback(wm, progress, stop_at=len(forced)))
    finally:
        for i, (lo, hi) in saved.items():
            domains[i].domain[0] = lo
            domains[i].domain[1] = hi
        for i in forced:
            domains[i].domain[0] = 0
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        met, units = _met_of(solver, wm)
        # as good as the best week for the requirements, and closer to last week: it wins
        state.offer(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat (last week kept)",
                    ties=True)
    return solver.status_name(status)


class _Best:
    """The best stage-1 week so far: most participants fully met, then fewest units."""

    def __init__(self, wm: WeekModel, g: Greedy, everyone: frozenset[str], now: float):
        self.wm, self.everyone = wm, everyone
        self.lock = threading.Lock()
        self.method = ""
        self.started = now  # when the search after the greedy began
        self.offer_greedy(g, now)

    def offer_greedy(self, g: Greedy, now: float, method: str = "greedy") -> bool:
        met = self.everyone - set(g.unmet_ids())
        return self.offer(GreedyValues(self.wm, *decisions(g)), met, g.shortfall_units(), now, method)

    def offer(self, values, met: frozenset[str], units: int, now: float, method: str,
              ties: bool = False) -> bool:
        """Keep this week if it is better (`ties`: or as good) for the requirements."""
        with self.lock:
            new, old = (len(met), -units), (len(self.met), -self.units) if self.method else None
            if old is not None and (new < old or (new == old and not ties)):
                return False
            self.values, self.met, self.units, self.found, self.method = values, met, units, now, method
            return True


def _mend_and_search(wm: WeekModel, g: Greedy, bound: RequirementsBound, state: _Best, budget: Budget,
                     settings: SearchSettings, seconds: float, progress, target: int) -> str:
    """Meet everyone the bound allows: first the greedy's local search (ruin and recreate),
    when the greedy left only a few participants short, then CP-SAT's local search
    (feasibility jump and violation local search, on every core) on the required form, where
    every participant the bound allows must be fully met. The first suits loose programs, the
    second packed ones (measured, docs/model.md 10). Returns CP-SAT's status ('' if it did
    not run). `target`: no schedule fully meets more participants (the bounds)."""
    hopeless = frozenset(pid for pid in state.everyone if not bound.meetable(pid))
    n = len(state.everyone)

    def done() -> bool:
        return len(state.met) >= target or settings.interrupted.is_set()

    short = len(set(g.unmet_ids()) - hopeless)
    few = short <= max(2, MEND_FEW * n)
    rr = RuinRecreate(g, settings.seed)
    rr.hopeless = hopeless

    def improved() -> None:
        if state.offer_greedy(g, budget.elapsed(), "local search"):
            progress(len(state.met))

    rr.on_better = improved
    cost = iteration_seconds(n)
    if few and not budget.deterministic:
        # side by side: CP-SAT's local search on one core, ruin and recreate on the other;
        # the first to meet everyone the bound allows stops the other
        result: dict[str, str] = {}
        thread = threading.Thread(
            target=lambda: result.update(status=_cp_sat_search(wm, state, hopeless, budget, settings, seconds,
                                                               progress, target, done, workers=1)),
            name="cp-sat-stage1", daemon=True)
        thread.start()
        rr.stop = lambda: done() or not thread.is_alive()
        rr.run(MAX_ITERATIONS * 10, patience=MEND_PATIENCE)
        while thread.is_alive():
            if done():
                for solver in list(settings.current):
                    solver.stop_search()
            thread.join(0.05)
        return result.get("status", "")
    rr_seconds = seconds * MEND_SHARE if few else 0.0
    if rr_seconds > 0:  # deterministic: in turn, a reckoned number of moves first
        rr.stop = done
        rr.run(max(1, int(rr_seconds / cost)), patience=MEND_PATIENCE)
        budget.reckoned += rr.iterations * cost
        rr_seconds = rr.iterations * cost
    if done():
        return ""
    return _cp_sat_search(wm, state, hopeless, budget, settings, seconds - rr_seconds, progress, target, done)


def _cp_sat_search(wm: WeekModel, state: _Best, hopeless: frozenset[str], budget: Budget,
                   settings: SearchSettings, seconds: float, progress, target: int, done,
                   workers: int | None = None) -> str:
    """CP-SAT's local search on the required form: a large program in neighbourhoods first;
    then on the greedy week's grid of group start times (a smaller model, and a week whose
    groups keep a routine), then on every start time. Returns CP-SAT's last status."""
    start_wall, start_reckoned = budget.elapsed(), budget.reckoned

    def left() -> float:
        used = budget.reckoned - start_reckoned if budget.deterministic else budget.elapsed() - start_wall
        return max(0.0, seconds - used)

    required = [pid for pid in wm.met if pid not in hopeless]
    grid = _grid_closed(wm, state.values)
    status = ""
    meetable = len(state.everyone) - len(hopeless)
    # a large program, or one whose rooms or leaders cannot serve everyone it could meet
    # (then requiring everyone is infeasible): neighbourhoods, which meet a few more at a time
    if len(wm.a) > NEIGHBOURHOOD_MIN_ATTENDANCES or target < meetable:
        status = _neighbourhoods(wm, state, hopeless, budget, settings, left(), progress, target, grid,
                                 workers=workers)
        grid = []
        if target < meetable:
            return status  # requiring everyone meetable would be infeasible
    parts = [grid, []] if grid else [[]]
    for closed in parts:
        if done():
            break
        part = left() * GRID_SHARE if closed else left()
        status = _local_search(wm, state, required, closed, part, budget, settings, progress, target,
                               workers=workers)
    return status


def _neighbourhoods(wm: WeekModel, state: _Best, hopeless: frozenset[str], budget: Budget,
                    settings: SearchSettings, seconds: float, progress, target: int, closed: list[int],
                    workers: int | None = None) -> str:
    """CP-SAT's local search on neighbourhoods of a large program: some participants still
    short (the `chosen`) and those whose sessions fall in the times they are free are
    re-planned, the chosen and whoever of the others was fully met required fully met;
    everyone else keeps their week (their attendance fixed). After a neighbourhood that finds
    nothing, it is tried again with group sessions at any start time (the first try keeps
    the greedy week's grid, `closed`); after both, fewer participants are chosen (others next
    time) and the neighbourhood grows."""
    n = len(state.everyone)
    size = min(NEIGHBOURHOOD_MAX, max(NEIGHBOURHOOD_MIN, int(NEIGHBOURHOOD_SHARE * n)))
    start_wall, start_reckoned = budget.elapsed(), budget.reckoned
    status = ""
    take = max(1, size // 4)
    failures = 0

    def used() -> float:
        return budget.reckoned - start_reckoned if budget.deterministic else budget.elapsed() - start_wall

    while used() < seconds - 0.5 and not settings.interrupted.is_set() and len(state.met) < target:
        short = sorted(pid for pid in wm.met if pid not in hopeless and pid not in state.met)
        if not short:
            break
        k = min(len(short), take)
        offset = (failures // 2 * k) % len(short)
        chosen = (short[offset:] + short[:offset])[:k]
        free = _neighbourhood(wm, state, chosen, size)
        fixed = [(var.index, state.values.value(var)) for (pid, _oi), var in wm.a.items() if pid not in free]
        required = [pid for pid in free if pid in state.met or pid in chosen]
        before = len(state.met)
        left = seconds - used()
        part = min(left, max(NEIGHBOURHOOD_SECONDS, NEIGHBOURHOOD_SLICE * left))
        status = _local_search(wm, state, required, closed if failures % 2 == 0 else [], part, budget,
                               settings, progress, min(target, before + len(chosen)), fixed=fixed,
                               workers=workers)
        if len(state.met) <= before:
            failures += 1
            if failures % 2 == 0:
                take = max(1, take // 2)
                size = min(n, int(size * 1.3))
        elif failures % 2:
            failures += 1  # the next neighbourhood starts on the grid again
    return status


def _neighbourhood(wm: WeekModel, state: _Best, short: list[str], size: int) -> set[str]:
    """The participants still short, and up to `size` in all with the most sessions in the
    (day, slot)s where those participants could attend something; a session of a type one
    of them still lacks (a prescriber's visits, say) counts more."""
    from iopsched.domain import weekly_min_for

    free = set(short)
    people = wm.program.participant_by_id()
    reach: set[tuple[int, int]] = set()
    have: dict[str, dict[int, int]] = {pid: {} for pid in free}
    by_p: dict[str, list[int]] = {}
    for (pid, oi), var in wm.a.items():
        o = wm.options[oi]
        if pid in free:
            reach.update((o.day, o.slot + k) for k in range(o.length))
            if state.values.value(var):
                have[pid][o.type_index] = have[pid].get(o.type_index, 0) + 1
        elif state.values.value(var):
            by_p.setdefault(pid, []).append(oi)
    lacking = {ti for pid in free for ti, t in enumerate(wm.program.session_types)
               if have[pid].get(ti, 0) < weekly_min_for(people[pid], t)}

    def score(ois: list[int]) -> int:
        return sum((1 + NEIGHBOURHOOD_LACKING * (wm.options[oi].type_index in lacking))
                   for oi in ois if (wm.options[oi].day, wm.options[oi].slot) in reach)

    scores = {pid: score(ois) for pid, ois in by_p.items()}
    for pid in sorted(scores, key=lambda x: (-scores[x], x)):
        if len(free) >= size or scores[pid] == 0:
            break
        free.add(pid)
    return free


def _grid_closed(wm: WeekModel, values) -> list[int]:
    """Leader variables of group options starting at a time of day no group of the week starts."""
    starts = {o.start for o in wm.options if o.stype.is_group
              and any(values.value(wm.y[o.index, s]) for s in o.staff)}
    if not starts:
        return []
    return [wm.y[o.index, s].index for o in wm.options
            if o.stype.is_group and o.start not in starts for s in o.staff]


def _local_search(wm: WeekModel, state: _Best, required: list[str], closed: list[int], seconds: float,
                  budget: Budget, settings: SearchSettings, progress, target: int,
                  fixed: list[tuple[int, int]] = (), workers: int | None = None) -> str:
    """CP-SAT's local search with every `required` participant fully met (hard), the `closed`
    leader variables at 0 and the `fixed` (variable index, value) pairs fixed; it stops at
    the first week meeting `target` participants."""
    domains = wm.model.proto.variables
    forced = [wm.met[pid].index for pid in required]
    hint_decisions(wm, state.values)  # the best week so far: most of it holds
    for i in forced:
        domains[i].domain[0] = 1
    for i in closed:
        domains[i].domain[1] = 0
    for i, v in fixed:
        domains[i].domain[0] = v
        domains[i].domain[1] = v
    try:
        solver, status = _run(wm, budget, settings, seconds, _MetCallback(wm, progress, stop_at=target),
                              local_search=True, workers=workers)
    finally:
        for i, _v in fixed:
            domains[i].domain[0] = 0
            domains[i].domain[1] = 1
        for i in forced:
            domains[i].domain[0] = 0
        for i in closed:
            domains[i].domain[1] = 1
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        met, units = _met_of(solver, wm)
        state.offer(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat")
    return solver.status_name(status)


class _MetCallback(cp_model.CpSolverSolutionCallback):
    """Reports participants fully met; with `stop_at`, stops the search once that many are."""

    def __init__(self, wm: WeekModel, progress, stop_at: int | None = None):
        super().__init__()
        self.wm, self.progress, self.stop_at = wm, progress, stop_at

    def on_solution_callback(self) -> None:
        met = sum(1 for v in self.wm.met.values() if self.value(v))
        self.progress(met)
        if self.stop_at is not None and met >= self.stop_at:
            self.stop_search()


def _run(wm: WeekModel, budget: Budget, settings: SearchSettings, seconds: float, callback=None, *,
         workers: int | None = None, local_search: bool = False,
         subsolvers: tuple[str, ...] = ()) -> tuple[cp_model.CpSolver, int]:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers = settings.workers if workers is None else workers
    if local_search:
        p.use_ls_only = True  # feasibility jump / violation local search: finds packed weeks fast
    p.random_seed = settings.seed
    p.log_search_progress = settings.log
    p.catch_sigint_signal = False
    # light presolve: the model is aggregated already; probing took longer than the search
    p.cp_model_probing_level = 0
    p.symmetry_level = 0
    p.max_presolve_iterations = 1
    # interleaved search: CP-SAT's portfolio (LNS around the hint, full searches) on few cores,
    # repeatable on a deterministic budget
    p.interleave_search = True
    p.subsolvers.extend(subsolvers)
    variables = len(wm.model.proto.variables)
    budget.configure(solver, seconds, variables)
    settings.current.append(solver)
    try:
        status = solver.solve(wm.model, callback) if callback is not None else solver.solve(wm.model)
    finally:
        settings.current.remove(solver)
    budget.charge(solver, variables, seconds)
    return solver, status


def _met_of(solver, wm: WeekModel) -> tuple[frozenset[str], int]:

    met = frozenset(pid for pid, v in wm.met.items() if solver.value(v))
    units = sum(UNMET_UNITS[unit_kind(req)] * solver.value(var)
                for shorts in wm.shortfalls.values() for req, _day, var in shorts)
    return met, units


def _add_bound(wm: WeekModel, bound: RequirementsBound) -> None:
    """The bound as constraints: nobody it proves unmet is met, and the shortfall units are at
    least its sum (so that CP-SAT's own bound starts there and a week reaching it is proven)."""
    m = wm.model
    for pid, met in wm.met.items():
        if not bound.meetable(pid):
            m.add(met == 0)
    units = [UNMET_UNITS[unit_kind(req)] * var for shorts in wm.shortfalls.values() for req, _day, var in shorts]
    if units and bound.units_min > 0:
        m.add(sum(units) >= bound.units_min)


def _complete(wm: WeekModel, state: _Best, bound: RequirementsBound, budget: Budget, settings: SearchSettings,
              seconds: float, progress, require: bool) -> tuple[str, int, int] | None:
    """CP-SAT's complete search (every core) from the best week so far: with `require`, everyone
    the bound allows must be fully met and the units are minimised; otherwise the weighted form
    (most fully met, then fewest units). (status, bound on fully met, bound on units) or None
    when it found nothing."""
    domains = wm.model.proto.variables
    required = [wm.met[pid].index for pid in wm.met if bound.meetable(pid)] if require else []
    for i in required:
        domains[i].domain[0] = 1
    try:
        hint_decisions(wm, state.values)
        start = budget.elapsed()
        complete_hint(wm, seconds=min(10.0, max(0.1, seconds / 4)))  # LNS starts from a complete week
        if not budget.deterministic:
            seconds = max(0.0, seconds - (budget.elapsed() - start))
        solver, status = _run(wm, budget, settings, seconds, _MetCallback(wm, progress))
    finally:
        for i in required:
            domains[i].domain[0] = 0
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    met, units = _met_of(solver, wm)
    state.offer(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat")
    scale = wm.requirements_scale
    # objective = scale * (participants not fully met) + units, with 0 <= units < scale
    best = solver.best_objective_bound
    not_met_at_least = max(0, math.ceil((best - (scale - 1)) / scale - 1e-9))
    units_bound = max(0, math.ceil(best - 1e-9) - scale * not_met_at_least)
    if status == cp_model.OPTIMAL:
        units_bound = units
    return solver.status_name(status), len(wm.met) - not_met_at_least, units_bound


# --- stage 2 ---------------------------------------------------------------------------------

# Full searches beside CP-SAT's LNS workers in deterministic runs (docs/model.md, 6). The LP
# search gives the only bound worth reporting, but on a large model one of its tasks runs for
# a minute and, in the interleaved search, holds every other worker back: small models only.
SUBSOLVERS = ("default_lp", "no_lp")
LP_MAX_VARIABLES = 40_000
# of the time stage 2 has, the share of the local search's polish (the rest is CP-SAT's)
POLISH_SHARE = 0.3


@dataclass
class Preferences:
    """What stage 2 reached: the final week and its objective, term by term."""

    wm: WeekModel  # the model the week's values belong to
    values: object  # a solver or hint values: .value(expr)
    objective: float
    terms: dict[str, int]  # objective term -> unweighted value
    status: str  # OPTIMAL | FEASIBLE (of stage 2: the preferences given stage 1's result)
    cp_sat_bound: float
    solutions: int
    polish_iterations: int
    first_all_met: float | None
    seconds: float  # CP-SAT's wall time
    ran: bool  # CP-SAT ran
    counting_bound: float  # iopsched.bounds (0 unless stage 1 met everyone)
    skipped: bool = False  # no time was left for stage 2: the stage-1 week as it is


# stage 2 is skipped (the stage-1 week is the result) when the time left is below this many
# times the stage-1 model's build (the full model takes about 1.3 times as long) plus a second
STAGE_TWO_COST = 1.6


class _StageTwoCallback(cp_model.CpSolverSolutionCallback):
    def __init__(self, wm: WeekModel, report, budget: Budget, n: int, floor: float):
        super().__init__()
        self.wm, self.report, self.budget, self.n, self.floor = wm, report, budget, n, floor
        self.solutions = 0
        self.first_all_met: float | None = None

    def on_solution_callback(self) -> None:
        self.solutions += 1
        met = sum(1 for shorts in self.wm.shortfalls.values() if all(self.value(v) == 0 for _, _, v in shorts))
        if met == self.n and self.first_all_met is None:
            self.first_all_met = self.budget.elapsed()
        if self.report:
            obj, bound = self.objective_value, max(self.floor, self.best_objective_bound)
            self.report(Progress(self.budget.elapsed(), obj, bound, gap_of(obj, bound), self.solutions, met, self.n))


def preferences_stage(program: Program, req: Requirements, budget: Budget, settings: SearchSettings, *,
                      previous: Schedule | None = None, freeze: str | None = None,
                      report: Callable[[Progress], None] | None = None) -> Preferences | None:
    """Stage 2: the weighted preferences, keeping stage 1's result (whoever it fully met stays
    fully met, no more shortfall units), from the stage-1 week polished by the local search.
    None: --freeze made the model infeasible."""
    from iopsched.greedy import POLISH_SECONDS, hint_week

    n = len(program.participants)
    if not budget.deterministic and budget.left() < STAGE_TWO_COST * req.build_cost + 1.0:
        return _stage_one_week(program, req, previous)
    wm = build(program, previous, freeze)
    m = wm.model
    budget.reckon(RECKON_BUILD * len(m.proto.variables))
    # keep what stage 1 reached
    for pid in req.met:
        for _req, _day, var in wm.shortfalls.get(pid, []):
            m.add(var == 0)
    if wm.terms.get("unmet"):
        m.add(sum(wm.terms["unmet"]) <= req.units)
    # the counting bound (iopsched.bounds) holds for weeks meeting everyone
    floor = float(counting_bound(wm)["bound"]) if len(req.met) == n else 0.0

    # the stage-1 week, polished by the local search (its moves keep stage 1's result)
    g = Greedy(wm)
    if previous is not None:
        g.remember(previous)
    g.place_pinned()
    g.load(req.schedule.sessions)

    def better() -> None:
        if report:
            obj = g.objective()
            report(Progress(budget.elapsed(), obj, floor, gap_of(obj, floor), 0, n - len(g.unmet_ids()), n,
                            phase="local search"))

    rr = RuinRecreate(g, settings.seed, None, better)
    rr.protect = req.met
    polish_seconds = budget.left() * POLISH_SHARE
    cost = iteration_seconds(n, POLISH_SECONDS)
    if budget.deterministic:
        rr.stop = settings.interrupted.is_set
        rr.polish(max(0, int(polish_seconds / cost)))
        budget.reckoned += rr.iterations * cost
    else:
        deadline = budget.elapsed() + polish_seconds
        rr.stop = lambda: settings.interrupted.is_set() or budget.elapsed() >= deadline
        rr.polish(MAX_ITERATIONS * 10)
    complete, _ = hint_week(g)
    if not complete:  # the polished week does not hold on the full model: the stage-1 week
        hint_decisions(wm, ScheduleValues(wm, req.schedule))
        complete_hint(wm)
    if wm.frozen:  # --freeze: keep last week's assignments that can still run
        m.add_bool_and(wm.frozen)

    n_vars = len(m.proto.variables)
    cb = _StageTwoCallback(wm, report, budget, n, floor)
    ran = not settings.interrupted.is_set() and budget.left() > 0.05
    solver = cp_model.CpSolver()
    status = cp_model.UNKNOWN
    if ran:
        extra = SUBSOLVERS if n_vars <= LP_MAX_VARIABLES else tuple(x for x in SUBSOLVERS if x != "default_lp")
        solver, status = _run(wm, budget, settings, budget.left(), cb, subsolvers=extra)
    if wm.frozen and status == cp_model.INFEASIBLE:
        return None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values, name, objective = solver, solver.status_name(status), solver.objective_value
        bound = solver.best_objective_bound
    else:
        values = HintValues(wm)
        name, objective, bound = "FEASIBLE", values.objective_value, 0.0
    terms = {term: int(sum(values.value(e) for e in exprs)) if exprs else 0 for term, exprs in wm.terms.items()}
    return Preferences(wm, values, objective, terms, name, bound, cb.solutions, rr.iterations, cb.first_all_met,
                       solver.wall_time if ran else 0.0, ran, floor)


def _stage_one_week(program: Program, req: Requirements, previous: Schedule | None) -> Preferences:
    """The stage-1 week as the result, its objective counted term by term (by the greedy's
    count, equal to the model's)."""
    g = Greedy(req.wm)
    if previous is not None:
        g.remember(previous)
    g.place_pinned()
    g.load(req.schedule.sessions)
    terms = g.terms()
    weights = program.rules.weights
    objective = float(sum(weights.get(t, 0) * v for t, v in terms.items()))
    values = GreedyValues(req.wm, *decisions(g))
    return Preferences(req.wm, values, objective, terms, "FEASIBLE", 0.0, 0, 0, None, 0.0, False, 0.0,
                       skipped=True)
