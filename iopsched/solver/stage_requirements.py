"""Stage 1 of the solve: the requirements (docs/model.md, 10).

The most participants fully met, then the fewest shortfall units, on the model of every
hard rule and the requirements with no preference term (`model.build(preferences=False)`):
1. the greedy week (`heuristic.construct`), deterministic and fast;
2. the bounds: each participant the greedy left short is scheduled alone (`upper_bound`),
   and what the rooms and leaders can serve at all is counted (`capacity_bound`). A week
   that reaches them is proven;
3. with `--previous`, last week's attendances kept for everyone they still fit and only the
   others placed (a small model, CP-SAT's complete search); when that is infeasible, the
   changed participants and their nearest neighbours re-planned, the most of them back in
   last week's week;
4. ruin and recreate on the greedy week when only a few are short, beside CP-SAT's local
   search (feasibility jump, violation local search) on the *required* form, where everyone
   the bound allows must be fully met: on the greedy week's grid of group start times, then
   in neighbourhoods (some participants still short and those sharing their times
   re-planned, everyone else kept); a large program, or one whose rooms or leaders cannot
   serve everyone, in neighbourhoods first, with the whole of the stage's share;
5. once everyone the bound allows is met, the participants still short re-planned one at a
   time with their neighbours for fewer units; then CP-SAT's complete search from the best
   week for the rest of the stage's share: the fewest units once everyone the bound allows
   is met, else the weighted form (most fully met, then fewest units), whose own bound may
   prove a lower count.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from iopsched.analysis.requirements import shortfalls
from iopsched.cpsat.budget import (
    RECKON_BOUND_MODEL,
    RECKON_BUILD,
    RECKON_CAPACITY,
    RECKON_GREEDY,
    Budget,
    SearchSettings,
    StoppingCallback,
    run_cp_sat,
)
from iopsched.cpsat.hints import complete_hint
from iopsched.cpsat.model import WeekModel, build, unit_terms
from iopsched.cpsat.values import Decisions, GreedyValues, SolverValues, hint_decisions
from iopsched.domain import Program, weekly_min_for
from iopsched.heuristic import (
    MAX_ITERATIONS,
    STRATEGIES,
    Greedy,
    RuinRecreate,
    construct,
    decisions,
    iteration_seconds,
)
from iopsched.schedule import Schedule
from iopsched.solver.capacity_bound import CapacityBound, capacity_bound
from iopsched.solver.continuity import last_weeks
from iopsched.solver.progress import Progress
from iopsched.solver.upper_bound import RequirementsBound, requirements_bound

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
ATTEMPT_SECONDS = 0.25  # the least one neighbourhood search counts against its phase's share
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
# once everyone the bound allows is met, the share of the rest of stage 1 for re-planning the
# participants still short one at a time, each with this many sharing their times at first
UNITS_SHARE = 0.6
UNITS_NEIGHBOURS = 12
# week to week, when not every continuing week can be kept: re-plan the changed participants
# and at first this many others (doubled while that is infeasible)
ANCHOR_NEIGHBOURS = 8



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
    week_to_week: str = ""  # with --previous: what stage 1 kept of last week
    # admissions (issue 19): each participant in care's shortfall units may not rise above these
    unit_caps: dict[str, int] = field(default_factory=dict)

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
    cp_status, week_to_week = "", ""
    share = budget.left() * REQUIREMENTS_SHARE
    stage_left = budget.left() - share  # what stage 1 leaves for stage 2
    started = budget.clock()
    if previous is not None and not settings.interrupted.is_set():
        # (a0) week to week: last week's attendances kept for everyone they still fit, unless
        # the greedy week (which starts from last week) already keeps them and meets the bound
        cp_status, week_to_week = _anchored(wm, previous, state, bound, budget, settings,
                                            share * SATISFACTION_SHARE * ANCHOR_SHARE, progress, reached())
    if not reached() and not settings.interrupted.is_set():
        # (a) the local searches: the greedy's, then CP-SAT's on the required form
        # a large program's complete search on the whole model found nothing in the seconds
        # left to it (adolescent, prescriber large at 30 s): its share goes to the neighbourhoods
        cp_status = _mend_and_search(wm, g, bound, state, budget, settings,
                                     share * (1.0 if _large(wm) else SATISFACTION_SHARE)
                                     - (budget.clock() - started),
                                     progress, ub)
        # (b) a complete search from the best week so far, for the rest of the share: the fewest
        # units with everyone meetable fully met once that is reached, else the weighted form
        if not reached() and not settings.interrupted.is_set():
            seconds = max(0.0, budget.left() - stage_left)
            require = len(state.met) >= ub
            if require:  # everyone meetable is met: the others' shortfall, a few at a time
                start = budget.clock()
                _fewer_units(wm, state, budget, settings, seconds * UNITS_SHARE, progress, lb_units)
                seconds = max(0.0, seconds - (budget.clock() - start))
            if not reached() and not settings.interrupted.is_set() and seconds > 1.0:
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
        greedy_units=greedy[1], build_cost=built - before, wm=wm, capacity=capacity, week_to_week=week_to_week)


def _anchored(wm: WeekModel, previous: Schedule, state: _Best, bound: RequirementsBound, budget: Budget,
              settings: SearchSettings, seconds: float, progress, reached: bool) -> tuple[str, str]:
    """Week to week: every continuing participant whose sessions of last week can all still
    run keeps exactly those (their attendance is fixed); the others (new participants, and
    whoever the input changed) are placed around them, everyone the bound allows fully met.
    A small model, solved by CP-SAT's complete search: most weeks change only where the
    input did. Returns CP-SAT's status and what was kept (the Summary's `previous.stage1`)."""
    # last week's week is kept for whoever it still fits and (if they can be met) meets
    short = {x.participant_id for x in shortfalls(wm.program, previous) if bound.meetable(x.participant_id)}
    anchored = {pid: opts for pid, opts in last_weeks(wm, previous).items() if pid in wm.met and pid not in short}
    if not anchored:
        return "", "no week of last week can run again"
    kept = all(state.values.value(wm.a[pid, oi]) for pid, opts in anchored.items() for oi in opts)
    if reached and kept:  # the best week keeps them all (it may add sessions: stage 2 weighs those)
        return "", f"{len(anchored)} weeks kept, by the first week"
    domains = wm.model.proto.variables
    fixed = []  # (variable index, value)
    for (pid, oi), var in wm.a.items():
        if pid in anchored:
            fixed.append((var.index, int(oi in anchored[pid])))
    forced = [wm.met[pid].index for pid in wm.met if bound.meetable(pid)]
    start = budget.clock()
    hint_decisions(wm, state.values)
    saved = {i: (domains[i].domain[0], domains[i].domain[1]) for i, _v in fixed}
    for i, v in fixed:
        domains[i].domain[0] = v
        domains[i].domain[1] = v
    for i in forced:
        domains[i].domain[0] = 1
    try:
        solver, status = run_cp_sat(wm, budget, settings, seconds, _MetCallback(wm, progress, stop_at=len(forced)))
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
        return solver.status_name(status), f"{len(anchored)} weeks kept"
    if status == cp_model.INFEASIBLE:
        # the changed participants do not fit around everyone else's week: keep as many
        # weeks as the requirements allow (adolescent, medium: 59 of 59 changed without)
        used = budget.clock() - start
        return _anchored_most(wm, anchored, forced, state, budget, settings, max(0.0, seconds - used), progress)
    return solver.status_name(status), f"not decided in time ({solver.status_name(status)})"


def _anchored_most(wm: WeekModel, anchored: dict[str, set[int]], forced: list[int], state: _Best,
                   budget: Budget, settings: SearchSettings, seconds: float, progress) -> tuple[str, str]:
    """Week to week, when the changed participants do not fit around everyone else's week:
    the changed ones and their nearest neighbours (those whose last week lies where the
    changed ones could attend, `_neighbourhood`) are re-planned, everyone else keeps last
    week; everyone the bound allows fully met (hard), then the fewest shortfall units, then
    the most of the re-planned continuing participants back in exactly last week's week (a
    `keep` literal each). When that is infeasible, or its fewest moves are not proven the
    fewest of all, the neighbourhood doubles while time is left. Solved on a copy of the
    model. Returns CP-SAT's last status and what was kept."""
    start = budget.clock()
    changed = sorted(pid for pid in wm.met if pid not in anchored)
    size = max(ANCHOR_NEIGHBOURS, 2 * len(changed))
    status, note = "", "not decided in time"
    best: tuple[int, int, str] | None = None  # the fewest moved so far, of how many, proven how
    while not settings.interrupted.is_set():
        used = budget.clock() - start
        left = seconds - used
        if left < 0.2:
            break
        free = _neighbourhood(wm, state, changed, size, weeks=anchored)
        if len(free) < min(size, len(wm.met)):  # nobody else shares their times: everyone
            free = set(wm.met)
        everyone = len(free) >= len(wm.met)
        m = wm.model.clone()
        copy = replace(wm, model=m)
        keep = {pid: m.new_bool_var(f"keep_{pid}") for pid in sorted(anchored) if pid in free}
        domains = m.proto.variables
        for (pid, oi), a in wm.a.items():
            if pid in keep:
                m.add_implication(keep[pid], m.get_bool_var_from_proto_index(a.index)
                                  if oi in anchored[pid] else ~m.get_bool_var_from_proto_index(a.index))
            elif pid in anchored:  # kept: last week's attendance, fixed
                domains[a.index].domain[0] = domains[a.index].domain[1] = int(oi in anchored[pid])
        units = sum(unit_terms(wm, lambda v, m=m: m.get_int_var_from_proto_index(v.index)))
        m.proto.clear_objective()
        m.minimize((len(keep) + 1) * units + sum(1 - k for k in keep.values()))
        hint_decisions(copy, state.values)
        for i in forced:
            domains[i].domain[0] = 1
        part = left if everyone else min(left, max(1.0, left / 3))
        solver, cp_status = run_cp_sat(copy, budget, settings, part, _MetCallback(wm, progress))
        status = solver.status_name(cp_status)
        if cp_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            moved = len(keep) - sum(solver.value(k) for k in keep.values())
            # keeping every week was infeasible, so one move is the fewest there can be
            fewest = moved == 1 or (everyone and cp_status == cp_model.OPTIMAL)
            if best is None or moved < best[0]:
                met, units = _met_of(solver, wm)
                state.offer(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat (most weeks kept)",
                            ties=True)
                best = (moved, len(keep), "the fewest in that neighbourhood" if cp_status == cp_model.OPTIMAL else "")
            if fewest:  # (a larger neighbourhood that moved as many proves the earlier week)
                best = (best[0], best[1], "the fewest possible")
            note = (f"{len(anchored) - best[0]} of {len(anchored)} weeks kept: {best[0]} of the {best[1]} "
                    f"re-planned around {len(changed)} changed had to move" + (f" ({best[2]})" if best[2] else ""))
            if fewest or everyone or cp_status != cp_model.OPTIMAL:
                break
            # the fewest in this neighbourhood: a larger one may move fewer (while time is left)
        if everyone:
            break
        size *= 2
    return status, note


class _Best:
    """The best stage-1 week so far: most participants fully met, then fewest units."""

    values: Decisions  # set by the first offer (the greedy week, in __init__)

    def __init__(self, wm: WeekModel, g: Greedy, everyone: frozenset[str], now: float):
        self.wm, self.everyone = wm, everyone
        self.lock = threading.Lock()
        self.method = ""
        self.met: frozenset[str] = frozenset()
        self.units = 0
        self.found = 0.0
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
                settings.stop_running()
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
    groups keep a routine), then in neighbourhoods (a few more participants at a time, at any
    start time after a failure). Returns CP-SAT's last status."""
    start = budget.clock()

    def left() -> float:
        used = budget.clock() - start
        return max(0.0, seconds - used)

    required = [pid for pid in wm.met if pid not in hopeless]
    grid = _grid_closed(wm, state.values)
    status = ""
    meetable = len(state.everyone) - len(hopeless)
    # a large program, or one whose rooms or leaders cannot serve everyone it could meet
    # (then requiring everyone is infeasible): neighbourhoods, which meet a few more at a time
    if _large(wm) or target < meetable:
        status = _neighbourhoods(wm, state, hopeless, budget, settings, left(), progress, target, grid,
                                 workers=workers)
        grid = []
        if target < meetable:
            return status  # requiring everyone meetable would be infeasible
    # the whole model on the greedy week's grid; what that leaves short, in neighbourhoods
    # (the whole model at every start time instead stayed at the greedy week on 3 of 18
    # medium programs, deterministic 10 s: planted seed 1 46/55, adolescent seed 3 54/60;
    # neighbourhoods met all 18, docs/model.md 10)
    if left() > 0.5:  # (after large neighbourhoods little is left: loading the model alone takes 2 s)
        status = _local_search(wm, state, required, grid, left() * GRID_SHARE if grid else left(), budget,
                               settings, progress, target, workers=workers)
    if not done() and left() > 0.5:
        status = _neighbourhoods(wm, state, hopeless, budget, settings, left(), progress, target, grid,
                                 workers=workers)
    return status


def _large(wm: WeekModel) -> bool:
    """A program searched in neighbourhoods first (the whole model is too big to search)."""
    return len(wm.a) > NEIGHBOURHOOD_MIN_ATTENDANCES


def _neighbourhoods(wm: WeekModel, state: _Best, hopeless: frozenset[str], budget: Budget,
                    settings: SearchSettings, seconds: float, progress, target: int, closed: list[int],
                    workers: int | None = None) -> str:
    """CP-SAT's local search on neighbourhoods of a large program: some participants still
    short (the `chosen`) and those whose sessions fall in the times they are free are
    re-planned, the chosen and whoever of the others was fully met required fully met;
    everyone else keeps their week (their attendance fixed). After a neighbourhood that finds
    nothing, it is tried again with group sessions at any start time (the first try keeps
    the greedy week's grid, `closed`) and only those already met required, the objective
    meeting what it can of the chosen, and the neighbourhoods after one that met more that
    way are tried that way too; after both fail, fewer participants are chosen (others next
    time) and the neighbourhood grows."""
    n = len(state.everyone)
    size = min(NEIGHBOURHOOD_MAX, max(NEIGHBOURHOOD_MIN, int(NEIGHBOURHOOD_SHARE * n)))
    status = ""
    take = max(1, size // 4)
    failures = 0
    spent = 0.0  # seconds charged to the neighbourhoods (at least ATTEMPT_SECONDS each)
    while spent < seconds - 0.5 and not settings.interrupted.is_set() and len(state.met) < target:
        attempt = budget.clock()
        short = sorted(pid for pid in wm.met if pid not in hopeless and pid not in state.met)
        if not short:
            break
        k = min(len(short), take)
        offset = (failures // 2 * k) % len(short)
        chosen = (short[offset:] + short[:offset])[:k]
        free = _neighbourhood(wm, state, chosen, size)
        fixed = [(var.index, state.values.value(var)) for (pid, _oi), var in wm.a.items() if pid not in free]
        # first try: every chosen participant required, on the grid; after a failure, the
        # same neighbourhood at any start time with only those already met required and the
        # objective (most fully met) doing the rest, so that some of the chosen can be met
        # where all of them cannot (adolescent, large: 106 -> 120 fully met in 30 s)
        first = failures % 2 == 0
        required = [pid for pid in free if pid in state.met or (first and pid in chosen)]
        before = len(state.met)
        left = seconds - spent
        part = min(left, max(NEIGHBOURHOOD_SECONDS, NEIGHBOURHOOD_SLICE * left))
        status = _local_search(wm, state, required, closed if first else [], part, budget,
                               settings, progress, min(target, before + len(chosen)), fixed=fixed,
                               workers=workers, complete=not first)
        # an attempt counts at least ATTEMPT_SECONDS: one that CP-SAT settles at once (no
        # week, in about no deterministic time) would otherwise repeat without end when
        # --deterministic (a small program whose short participants no neighbourhood can meet)
        spent += max(ATTEMPT_SECONDS, budget.clock() - attempt)
        if len(state.met) <= before:
            failures += 1
            if failures % 2 == 0:
                take = max(1, take // 2)
                size = min(n, int(size * 1.3))
        # after a second try that met more, the next neighbourhood is tried the same way: the
        # first try (every chosen required, on the grid) had failed there and mostly fails again
        # (adolescent large: 4 s of 8 per neighbourhood spent on first tries that found nothing)
    return status


def _fewer_units(wm: WeekModel, state: _Best, budget: Budget, settings: SearchSettings, seconds: float,
                 progress, floor: int) -> None:
    """Once everyone the bound allows is fully met: the participants still short (those no
    schedule can fully meet), one at a time, with the participants sharing their times
    (`_neighbourhood`), re-planned by CP-SAT's complete search on that small model with the
    fewest shortfall units as the objective; whoever is fully met stays fully met and
    everyone else keeps their week. The whole model's units search did not move from a week
    that met everyone meetable (planted, medium: 98 units against a bound of 60 after 15 s)."""
    spent = 0.0
    short = sorted(pid for pid in wm.met if pid not in state.met)
    size = UNITS_NEIGHBOURS
    tried = 0
    while short and state.units > floor and not settings.interrupted.is_set():
        left = seconds - spent
        attempt = budget.clock()
        if left < 0.5:
            break
        chosen = short[tried % len(short)]
        tried += 1
        free = _neighbourhood(wm, state, [chosen], size)
        fixed = [(var.index, state.values.value(var)) for (pid, _oi), var in wm.a.items() if pid not in free]
        required = [pid for pid in free if pid in state.met]
        part = min(left, max(1.0, left / max(1, len(short) - tried + 1)))
        _local_search(wm, state, required, [], part, budget, settings, progress, len(wm.met) + 1,
                      fixed=fixed, complete=True, portfolio=True)
        spent += max(ATTEMPT_SECONDS, budget.clock() - attempt)  # as in _neighbourhoods
        if tried % len(short) == 0:
            size = min(len(wm.met), size * 2)  # every one tried: larger neighbourhoods


def _neighbourhood(wm: WeekModel, state: _Best, short: list[str], size: int,
                   weeks: dict[str, set[int]] | None = None) -> set[str]:
    """The participants still short, and up to `size` in all with the most sessions in the
    (day, slot)s where those participants could attend something; a session of a type one
    of them still lacks (a prescriber's visits, say) counts more. The others' sessions are
    the best week's, or `weeks` (participant -> option indices) where given."""
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
        elif (oi in weeks.get(pid, ())) if weeks is not None else state.values.value(var):
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
                  fixed: Sequence[tuple[int, int]] = (), workers: int | None = None,
                  complete: bool = False, portfolio: bool = False) -> str:
    """CP-SAT's local search with every `required` participant fully met (hard), the `closed`
    leader variables at 0 and the `fixed` (variable index, value) pairs fixed; it stops at
    the first week meeting `target` participants. `complete`: the best week's hint is first
    made complete (when it holds under these constraints), so that the search starts from a
    solution and only improves it (without: prescriber, large, 124 fully met stayed 124 for
    17 s; with: 131). `portfolio`: CP-SAT's complete search instead (a small model that it
    may solve to the optimum)."""
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
        if complete:  # the hint made a complete week: the local search starts from a solution
            seconds = _complete_the_hint(wm, budget, seconds, at_most=2.0)
        solver, status = run_cp_sat(wm, budget, settings, seconds, _MetCallback(wm, progress, stop_at=target),
                                    local_search=not portfolio, workers=workers)
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


def _complete_the_hint(wm: WeekModel, budget: Budget, seconds: float, at_most: float) -> float:
    """Extend the hint to every variable (`hints.complete_hint`, at most a quarter of
    `seconds` and `at_most`); returns the seconds left for the search (wall-clock mode: less
    what that took; deterministic mode: unchanged, so that runs repeat)."""
    start = budget.elapsed()
    complete_hint(wm, seconds=min(at_most, max(0.1, seconds / 4)))
    if budget.deterministic:
        return seconds
    return max(0.0, seconds - (budget.elapsed() - start))


class _MetCallback(StoppingCallback):
    """Reports participants fully met; with `stop_at`, stops the search once that many are."""

    def __init__(self, wm: WeekModel, progress, stop_at: int | None = None):
        super().__init__()
        self.wm, self.progress, self.stop_at = wm, progress, stop_at

    def on_solution_callback(self) -> None:
        met = sum(1 for v in self.wm.met.values() if self.value(v))
        self.progress(met)
        if self.stop_at is not None and met >= self.stop_at:
            self.stop()


def _met_of(solver, wm: WeekModel) -> tuple[frozenset[str], int]:

    met = frozenset(pid for pid, v in wm.met.items() if solver.value(v))
    units = sum(unit_terms(wm, solver.value))
    return met, units


def _add_bound(wm: WeekModel, bound: RequirementsBound) -> None:
    """The bound as constraints: nobody it proves unmet is met, and the shortfall units are at
    least its sum (so that CP-SAT's own bound starts there and a week reaching it is proven)."""
    m = wm.model
    for pid, met in wm.met.items():
        if not bound.meetable(pid):
            m.add(met == 0)
    units = unit_terms(wm)
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
        seconds = _complete_the_hint(wm, budget, seconds, at_most=10.0)  # LNS starts from a complete week
        solver, status = run_cp_sat(wm, budget, settings, seconds, _MetCallback(wm, progress))
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
