"""Stage 1 of the solve: the requirements (docs/model.md, 10).

The most participants fully met, then the fewest shortfall units, on the model of every
hard rule and the requirements with no preference term (`model.build(preferences=False)`):
1. the greedy week (`heuristic.construct`), deterministic and fast;
2. the bounds: each participant the greedy left short is scheduled alone (`upper_bound`),
   and what the rooms and leaders can serve at all is counted (`capacity_bound`). A week
   that reaches them is proven;
3. with `--previous` and `keep_met_weeks` (the default), everyone last week fully met keeps
   that week while it can run, and the others are planned around them (a small model,
   `anchored.keep_met_weeks`): that week is stage 1's, and steps 4-5 run only when no such
   week was found in time. Without
   `keep_met_weeks`, last week's attendances kept for everyone they still fit and only the
   others placed; when that is infeasible, the changed participants and their nearest
   neighbours re-planned, the most of them back in last week's week (`solver.anchored`);
4. ruin and recreate on the greedy week when only a few are short,
   beside CP-SAT's local search (feasibility jump, violation local search) on the *required*
   form, where everyone the bound allows must be fully met: on the greedy week's grid of
   group start times, then in neighbourhoods (`solver.neighbourhoods`: some participants
   still short and those sharing their times re-planned, everyone else kept); a large
   program, or one whose rooms or leaders cannot serve everyone, in neighbourhoods first,
   with the whole of the stage's share;
5. once everyone the bound allows is met, the participants still short re-planned one at a
   time with their neighbours for fewer units; then CP-SAT's complete search from the best
   week for the rest of the stage's share: the fewest units once everyone the bound allows
   is met, else the weighted form (most fully met, then fewest units), whose own bound may
   prove a lower count.
Every search offers its weeks to one `best_week.BestWeek`; this module orders them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from iopsched.cpsat.budget import (
    RECKON_BOUND_MODEL,
    RECKON_BUILD,
    RECKON_CAPACITY,
    RECKON_GREEDY,
    Budget,
    SearchSettings,
    Workers,
    run_cp_sat,
)
from iopsched.cpsat.model import WeekModel, build, unit_terms
from iopsched.cpsat.values import Decisions, SolverValues, hint_decisions
from iopsched.domain import Program
from iopsched.heuristic import (
    MAX_ITERATIONS,
    STRATEGIES,
    Greedy,
    RuinRecreate,
    construct,
    iteration_seconds,
)
from iopsched.schedule import Schedule
from iopsched.solver.anchored import anchored, keep_met_weeks
from iopsched.solver.best_week import (
    BestWeek,
    MetCallback,
    complete_the_hint,
    local_search,
    met_of,
    proven_by,
)
from iopsched.solver.capacity_bound import CapacityBound, capacity_bound
from iopsched.solver.greedy_based import plan_from_greedy
from iopsched.solver.neighbourhoods import fewer_units, grid_closed, large, neighbourhoods, whole
from iopsched.solver.progress import Progress
from iopsched.solver.timed_search import run_for
from iopsched.solver.upper_bound import RequirementsBound, requirements_bound

# stage 1 may use this share of the time left when it starts (a proof hands the rest on)
REQUIREMENTS_SHARE = 0.85
# of stage 1's CP-SAT time, the share the satisfaction form gets before the weighted form
SATISFACTION_SHARE = 0.85
# of CP-SAT's local search, the share on the greedy week's grid of group start times; a small
# program, whose neighbourhoods are the whole model at any start time, less (mix, small, seed
# 7, deterministic 10 s: 18/20 fully met with 0.5, 20/20 with 0.25 and 0.1). A medium program's
# grid search meets everyone in 1.2-2.6 s (prescriber, medium, seed 4, 6 CP-SAT seeds); 0.5
# gave it 2.4 s at --time-limit 10 and left 44-52 of 60 met in 2 of 6 runs, 0.65 in none of 6
GRID_SHARE = 0.65
GRID_SHARE_SMALL = 0.2
# week to week: of the local searches' time, the share of the attempt that keeps last week's
# attendances for everyone they still fit
ANCHOR_SHARE = 0.3
# ... with keep_met_weeks, the share of stage 1 that keeping them may take before stage 1's
# usual searches (when it found no week, or none that keeps them all on a large program)
KEPT_SHARE = 0.6
# of that, the share of the greedy's local search (ruin and recreate) before CP-SAT's, when
# the greedy left at most MEND_FEW of the participants short
MEND_SHARE = 0.25
MEND_FEW = 0.1
SIDE_SHARE = 0.4  # beside CP-SAT: this share of the search's time at most (then CP-SAT has both cores)
SIDE_PATIENCE = 150  # moves without fewer units before ruin and recreate leaves CP-SAT both cores
MEND_PATIENCE = 50  # moves without fewer shortfall units before it hands over to CP-SAT (in turn)
# once everyone the bound allows is met, the share of the rest of stage 1 for re-planning the
# participants still short one at a time (`neighbourhoods.fewer_units`)
UNITS_SHARE = 0.6
# ... after, from the greedy week, a second week meeting as many (`greedy_based`): at most this
# share of it, with at least GREEDY_MIN_SECONDS in all
GREEDY_SHARE = 0.3
GREEDY_MIN_SECONDS = 8.0
# stage 2 is skipped (the stage-1 week is the result) when the time left is below this many
# times the stage-1 model's build (the full model takes about 1.3 times as long) plus a second;
# stage 1 then keeps the time it would have left to stage 2
STAGE_TWO_COST = 1.6



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
    # with --previous and keep_met_weeks (the bounds above then hold for weeks keeping last
    # week's met weeks): those short around the kept weeks, whom the program's bounds allow
    around_kept: frozenset[str] = frozenset()
    # ... and then the bound without them (the program's), when higher than upper_bound_fully_met
    without_kept_fully_met: int | None = None
    # admissions (issue 19): each participant in care's shortfall units may not rise above these
    unit_caps: dict[str, int] = field(default_factory=dict)
    # the greedy week (its values on `wm`), when stage 1's week is CP-SAT's from the whole
    # model: stage 2 may plan a second week from it (`solver.greedy_based`)
    greedy_week: Decisions | None = None

    @property
    def proven(self) -> bool:
        """No schedule fully meets more participants (the stage's first and main question)."""
        return len(self.met) >= self.upper_bound_fully_met

    @property
    def units_proven(self) -> bool:
        """... and no schedule meeting as many has fewer shortfall units."""
        return self.proven and self.units <= self.lower_bound_units


def requirements_stage(program: Program, budget: Budget, settings: SearchSettings, *,
                       previous: Schedule | None = None,
                       report: Callable[[Progress], None] | None = None,
                       extract: Callable[[WeekModel, object], list]) -> Requirements:
    """Stage 1: the most participants fully met, then the fewest shortfall units (proven
    where the bound is reached). `extract(wm, values)` turns model values into sessions.

    Long on purpose: the searches in the order they run, sharing the stage's time (the
    module docstring's steps 1-5, each a function of its own)."""
    n = len(program.participants)
    everyone = frozenset(p.participant_id for p in program.participants)
    before = budget.elapsed()
    wm = build(program, preferences=False)
    built = budget.elapsed()
    budget.reckon(RECKON_BUILD * len(wm.model.proto.variables))
    g = construct(wm, previous, STRATEGIES[:1])
    strategies = 1
    if g.unmet_ids():  # the other strategies may do better (adolescent, large: 109 -> 124 fully met)
        g = construct(wm, previous, STRATEGIES, first=g)
        strategies = len(STRATEGIES)
    budget.reckon(RECKON_GREEDY * n * strategies)
    greedy = (budget.elapsed(), g.shortfall_units())
    # the bound: whoever the greedy week met can be met; the others are scheduled alone
    bound = requirements_bound(program, wm, only=set(g.unmet_ids()))
    budget.reckon(RECKON_BOUND_MODEL * bound.models)
    state = BestWeek(wm, g, everyone, budget.elapsed())
    greedy_week = state.values
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
    from_greedy = False  # stage 1's week was planned from the greedy week (`greedy_based`)
    share = stage_one_share(budget.left(), built - before, budget.deterministic)
    stage_left = budget.left() - share  # what stage 1 leaves for stage 2
    started = budget.clock()
    keeping = program.rules.keep_met_weeks
    kept = None
    if previous is not None and keeping and not settings.interrupted.is_set():
        # (a0) week to week, the default: whoever last week fully met keeps that week; the
        # others are planned around them, to a proof where it can (KEPT_SHARE of the stage)
        kept = keep_met_weeks(wm, previous, state, bound, budget, settings, share * KEPT_SHARE, progress, reached)
        if kept is not None:
            # short around the kept weeks where the program's bounds would allow more
            around = frozenset(everyone - state.met) if len(state.met) < ub else frozenset()
            return _requirements(wm, state, bound, min(ub, kept.met_bound), max(lb_units, kept.units_bound),
                                 budget, settings, extract, kept.status, kept.note, built, greedy, before,
                                 capacity, around_kept=around, without_kept=ub if ub > kept.met_bound else None)
    if previous is not None and keeping and kept is None:
        week_to_week = ("no week found in time that keeps every week last week fully met (a group "
                        "below its minimum, or too little time): re-planned by stage 1's searches")
    if previous is not None and not keeping and not settings.interrupted.is_set():
        # (a0') week to week, keep_met_weeks = false: last week's attendances kept for everyone
        # they still fit, unless the greedy week (which starts from last week) already keeps
        # them and meets the bound; the fewest moved where that is infeasible. (Not after
        # keep_met_weeks found nothing: it tried the same, and stage 1's searches need the time)
        cp_status, week_to_week = anchored(wm, previous, state, bound, budget, settings,
                                            share * SATISFACTION_SHARE * ANCHOR_SHARE, progress, reached())
    if not reached() and not settings.interrupted.is_set():
        # (a) the local searches: the greedy's, then CP-SAT's on the required form
        # a large program's complete search on the whole model found nothing in the seconds
        # left to it (adolescent, prescriber large at 30 s): its share goes to the neighbourhoods
        cp_status = _mend_and_search(wm, g, bound, state, budget, settings,
                                     share * (1.0 if large(wm) else SATISFACTION_SHARE)
                                     - (budget.clock() - started),
                                     progress, ub)
        # (b) a complete search from the best week so far, for the rest of the share: the fewest
        # units with everyone meetable fully met once that is reached, else the weighted form
        if not reached() and not settings.interrupted.is_set():
            seconds = max(0.0, budget.left() - stage_left)
            require = len(state.met) >= ub
            if require:  # everyone meetable is met: the others' shortfall, a few at a time
                start = budget.clock()
                if _whole_models_week(wm, state, previous) and seconds >= GREEDY_MIN_SECONDS:
                    # ... from the greedy week first, re-planned in neighbourhoods (`greedy_based`),
                    # when the week meeting them is the whole model's: from that one the units
                    # stayed at 63 for 45 s (planted, medium, 60 s; bound 60), from the greedy's
                    # they reached 60 and stage 1 ended, proven, at 19 s
                    other = plan_from_greedy(wm, greedy_week, bound.hopeless, len(state.met), lb_units, budget,
                                             settings, seconds * GREEDY_SHARE, extract)
                    if state.met <= other.met:
                        from_greedy = state.offer(other.values, other.met, other.units, budget.elapsed(),
                                                  "cp-sat")
                fewer_units(wm, state, budget, settings, seconds * UNITS_SHARE, progress, lb_units)
                seconds = max(0.0, seconds - (budget.clock() - start))
            if not reached() and not settings.interrupted.is_set() and seconds > 1.0:
                result = _complete(wm, state, bound, budget, settings, seconds, progress, require)
                if result is not None:
                    cp_status, met_bound, units_bound = result
                    ub = min(ub, met_bound)
                    if require or len(state.met) >= ub:
                        lb_units = max(lb_units, units_bound)
    req = _requirements(wm, state, bound, ub, lb_units, budget, settings, extract, cp_status, week_to_week,
                        built, greedy, before, capacity)
    if _whole_models_week(wm, state, previous) and not from_greedy:
        req.greedy_week = greedy_week
    return req


def stage_one_share(left: float, build_cost: float, deterministic: bool) -> float:
    """Of the `left` seconds, stage 1's share (REQUIREMENTS_SHARE); all of them on the wall
    clock when the rest would be too little for stage 2 to run (`STAGE_TWO_COST` times the
    stage-1 model's `build_cost`, plus a second): evening, large, seed 13, 30 s left stage 2
    3.3 s where it needed 4.8, so stage 1 ended 2.3 s before the limit and nothing ran after."""
    share = left * REQUIREMENTS_SHARE
    if not deterministic and not stage_two_runs(left - share, build_cost):
        return left
    return share


def stage_two_runs(left: float, build_cost: float) -> bool:
    """Is `left` seconds enough for stage 2 to run at all (`STAGE_TWO_COST` times the stage-1
    model's `build_cost`, plus a second)? Wall clock only: a deterministic stage 2 always runs."""
    return left >= STAGE_TWO_COST * build_cost + 1.0


def _whole_models_week(wm: WeekModel, state: BestWeek, previous: Schedule | None) -> bool:
    """The best week is CP-SAT's on the whole model (not the greedy's or ruin and recreate's;
    with no last week to keep, on a program not searched in neighbourhoods first): a week
    planned from the greedy week (`greedy_based`) may keep more of the greedy's routine."""
    return state.method == "cp-sat" and previous is None and not large(wm)


def _requirements(wm: WeekModel, state: BestWeek, bound: RequirementsBound, ub: int, lb_units: int,
                  budget: Budget, settings: SearchSettings, extract, cp_status: str, week_to_week: str,
                  built: float, greedy: tuple[float, int], before: float, capacity: CapacityBound | None,
                  around_kept: frozenset[str] = frozenset(), without_kept: int | None = None) -> Requirements:
    """What stage 1 reached: its best week and bounds."""
    return Requirements(
        schedule=Schedule(sessions=extract(wm, state.values)), met=state.met, units=state.units, bound=bound,
        upper_bound_fully_met=ub, lower_bound_units=lb_units, method=state.method,
        seconds=budget.elapsed(), found_seconds=state.found, cp_status=cp_status,
        interrupted=settings.interrupted.is_set(), build_seconds=built, greedy_seconds=greedy[0],
        greedy_units=greedy[1], build_cost=built - before, wm=wm, capacity=capacity, week_to_week=week_to_week,
        around_kept=around_kept, without_kept_fully_met=without_kept)


def _mend_and_search(wm: WeekModel, g: Greedy, bound: RequirementsBound, state: BestWeek, budget: Budget,
                     settings: SearchSettings, seconds: float, progress, target: int) -> str:
    """Meet everyone the bound allows: first the greedy's local search (ruin and recreate),
    when the greedy left only a few participants short, then CP-SAT's local search
    (feasibility jump and violation local search, on every core) on the required form, where
    every participant the bound allows must be fully met. The first suits loose programs, the
    second packed ones (measured, docs/model.md 10). Returns CP-SAT's status ('' if it did
    not run). `target`: no schedule fully meets more participants (the bounds)."""
    hopeless = bound.hopeless
    n = len(state.everyone)

    def done() -> bool:
        return len(state.met) >= target or settings.interrupted.is_set()

    short = len(set(g.unmet_ids()) - hopeless)
    # ruin and recreate suits a loose program. Not a packed large one any more: beside CP-SAT
    # it met more than neighbourhoods choosing a quarter of the short (adolescent, large: 145
    # against 123 in 30 s), but it holds a core that neighbourhoods choosing half of them use
    # better (evening and adolescent large, seeds 1, 2, 13, 30 s: everyone met, proven, at
    # 11.5-27.8 s, mean 15.1 s on seeds 1-2 against 18.7 s beside; docs/model.md 10)
    few = short <= max(2, MEND_FEW * n)
    rr = RuinRecreate(g, settings.seed)
    rr.hopeless = hopeless

    def improved() -> None:
        if state.offer_greedy(g, budget.elapsed(), "local search"):
            progress(len(state.met))

    rr.on_better = improved
    cost = iteration_seconds(n)
    if few and not budget.deterministic:
        return _side_by_side(wm, rr, state, hopeless, budget, settings, seconds, progress, target, done)
    rr_seconds = seconds * MEND_SHARE if few else 0.0
    if rr_seconds > 0:  # deterministic: in turn, a reckoned number of moves first
        rr_seconds = run_for(rr, rr.run, rr_seconds, budget, cost, done, patience=MEND_PATIENCE)
    if done():
        return ""
    return _cp_sat_search(wm, state, hopeless, budget, settings, seconds - rr_seconds, progress, target, done)


def _side_by_side(wm: WeekModel, rr: RuinRecreate, state: BestWeek, hopeless: frozenset[str], budget: Budget,
                  settings: SearchSettings, seconds: float, progress, target: int,
                  done: Callable[[], bool]) -> str:
    """`_mend_and_search` with a wall clock: CP-SAT's local search on one core, ruin and
    recreate on the other; the first to meet everyone the bound allows stops the other.
    Returns CP-SAT's status ('' if it did not run)."""
    result: dict[str, str] = {}
    beside = threading.Event()  # ruin and recreate runs: CP-SAT's searches take one core
    beside.set()
    thread = threading.Thread(
        target=lambda: result.update(status=_cp_sat_search(wm, state, hopeless, budget, settings, seconds,
                                                           progress, target, done,
                                                           workers=lambda: 1 if beside.is_set() else None)),
        name="cp-sat-stage1", daemon=True)
    thread.start()
    until = budget.clock() + SIDE_SHARE * seconds
    rr.stop = lambda: done() or not thread.is_alive() or budget.clock() > until
    # a patience of SIDE_PATIENCE moves: ruin and recreate improves in bursts a hundred moves
    # apart (adolescent, large); once it stalls, CP-SAT's next searches get every core
    # (planted, large: CP-SAT's neighbourhoods on two cores met everyone meetable in 13 s,
    # on one beside ruin and recreate in 17-23 s)
    rr.run(MAX_ITERATIONS * 10, patience=SIDE_PATIENCE)
    beside.clear()
    while thread.is_alive():
        if done():
            settings.stop_running()
        thread.join(0.05)
    return result.get("status", "")


def _cp_sat_search(wm: WeekModel, state: BestWeek, hopeless: frozenset[str], budget: Budget,
                   settings: SearchSettings, seconds: float, progress, target: int, done,
                   workers: Workers = None) -> str:
    """CP-SAT's local search on the required form: a large program in neighbourhoods first;
    then on the greedy week's grid of group start times (a smaller model, and a week whose
    groups keep a routine), then in neighbourhoods (a few more participants at a time, any
    start time first). Returns CP-SAT's last status."""
    start = budget.clock()

    def left() -> float:
        used = budget.clock() - start
        return max(0.0, seconds - used)

    required = [pid for pid in wm.met if pid not in hopeless]
    grid = grid_closed(wm, state.values)
    status = ""
    meetable = len(state.everyone) - len(hopeless)
    # a large program, or one whose rooms or leaders cannot serve everyone it could meet
    # (then requiring everyone is infeasible): neighbourhoods, which meet a few more at a time
    if large(wm) or target < meetable:
        status = neighbourhoods(wm, state, hopeless, budget, settings, left(), progress, target, grid,
                                 workers=workers)
        grid = []
        if target < meetable:
            return status  # requiring everyone meetable would be infeasible
    # the whole model on the greedy week's grid; what that leaves short, in neighbourhoods
    # (the whole model at every start time instead stayed at the greedy week on 3 of 18
    # medium programs, deterministic 10 s: planted seed 1 46/55, adolescent seed 3 54/60;
    # neighbourhoods met all 18, docs/model.md 10)
    # (after large neighbourhoods little is left: loading the model alone takes 2 s; and once
    # they met everyone the bounds allow, nothing: prescriber, large, 3 s spent after that)
    if not done() and left() > 0.5:
        share = GRID_SHARE_SMALL if whole(wm) else GRID_SHARE
        status = local_search(wm, state, required, grid, left() * share if grid else left(), budget,
                               settings, progress, target, workers=workers)
    if not done() and left() > 0.5:
        status = neighbourhoods(wm, state, hopeless, budget, settings, left(), progress, target, grid,
                                 workers=workers)
    return status








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


def _complete(wm: WeekModel, state: BestWeek, bound: RequirementsBound, budget: Budget, settings: SearchSettings,
              seconds: float, progress, require: bool) -> tuple[str, int, int] | None:
    """CP-SAT's complete search (every core) from the best week so far: with `require`, everyone
    the bound allows must be fully met and the units are minimised; otherwise the weighted form
    (most fully met, then fewest units). (status, bound on fully met, bound on units) or None
    when it found nothing."""
    required = [wm.met[pid].index for pid in wm.met if bound.meetable(pid)] if require else []
    with wm.narrowed(at_least_one=required):
        hint_decisions(wm, state.values)
        seconds = complete_the_hint(wm, budget, seconds, at_most=10.0)  # LNS starts from a complete week
        solver, status = run_cp_sat(wm, budget, settings, seconds, MetCallback(wm, progress))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    met, units = met_of(solver, wm)
    state.offer(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat")
    return solver.status_name(status), *proven_by(solver, wm, status, units)
