"""Stage 2 of the solve: the preferences (docs/model.md, 10).

The full model (`model.build()`), with what stage 1 reached as constraints (whoever it fully
met stays fully met; no more shortfall units), minimising the weighted preference terms
(stability, routine, time and day preferences, continuity, services per day, group
sessions, staff balance) from the stage-1 week, polished by the greedy's local search, then
CP-SAT: large-neighbourhood searches only on the wall clock and a model of more than
LNS_MIN_VARIABLES, otherwise its portfolio (`lns_only`). Skipped, the stage-1 week being the
result, when no time is left.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from iopsched.cpsat.budget import RECKON_BUILD, Budget, SearchSettings, run_cp_sat
from iopsched.cpsat.extract import extract
from iopsched.cpsat.hints import complete_hint
from iopsched.cpsat.model import UNMET_UNITS, WeekModel, build, unit_kind
from iopsched.cpsat.values import GreedyValues, HintValues, ScheduleValues, hint_decisions
from iopsched.domain import Program
from iopsched.heuristic import (
    POLISH_SECONDS,
    Greedy,
    RuinRecreate,
    decisions,
    hint_week,
    iteration_seconds,
)
from iopsched.schedule import Schedule
from iopsched.solver.bounds import counting_bound
from iopsched.solver.continuity import kept_weeks
from iopsched.solver.greedy_based import greedy_based_week
from iopsched.solver.progress import Progress, gap_of
from iopsched.solver.stage_requirements import Requirements, stage_two_runs
from iopsched.solver.timed_search import run_for

# A deterministic budget runs stage 2's CP-SAT on one worker: on two (interleaved) the week
# did not repeat (adolescent, medium, seed 1, 20 s: 2 of 4 runs differed), and one reached
# lower objectives on 5 of 6 kinds at medium (adolescent 904 against 1136-1148, mix 584
# against 782; planted equal). On the wall clock two workers stay (even at 10 s).
# Full searches beside CP-SAT's LNS workers in deterministic runs (docs/model.md, 6). The LP
# search gives the only bound worth reporting, but on a large model one of its tasks runs for
# a minute and, in the interleaved search, holds every other worker back: small models only.
SUBSOLVERS = ("default_lp", "no_lp")
LP_MAX_VARIABLES = 40_000
# of the time stage 2 has, the share of the local search's polish (the rest is CP-SAT's)
POLISH_SHARE = 0.3
# ... where CP-SAT runs its portfolio on the wall clock (a model of at most LNS_MIN_VARIABLES):
# there the basin CP-SAT's search falls into decides the week, and every second of it counts
# more than the polish's (docs/model.md, "Small programs: a shorter polish")
POLISH_SHARE_PORTFOLIO = 0.1
# On the wall clock every CP-SAT worker of stage 2 is a large-neighbourhood search from the
# polished week (`use_lns_only`) on a model of more than LNS_MIN_VARIABLES: 30 s from the same
# week, mix medium 222 / 226 against 256 / 288 with the portfolio; the bench's 12 medium
# programs at 60 s, two runs, 2,026 / 2,033 against 2,257; ../shared/cases/evening-workers
# (36,000 variables) 342 against 610-727 (docs/model.md, "Stage 2's CP-SAT: LNS only"). On
# small programs (about 20,000-23,000 variables) LNS only was no better and sometimes stuck
# (mix small 2: 84, 172, 88, 112 against 92, 104, 92): the portfolio stays there, and where a
# proof is needed or there is no complete week to start from: --freeze (the model may be
# infeasible), a polished week that does not hold on the full model, and deterministic runs
# (their week must repeat, on one worker).
LNS_MIN_VARIABLES = 30_000


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
    counting_bound: float  # iopsched.solver.bounds (0 unless stage 1 met everyone)
    skipped: bool = False  # no time was left for stage 2: the stage-1 week as it is


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
    None: --freeze made the model infeasible.

    Long on purpose: the model, its hint, the polish and CP-SAT share one time budget, read
    in the order they run."""
    n = len(program.participants)
    if not budget.deterministic and not stage_two_runs(budget.left(), req.build_cost):
        # too little for stage 2: the stage-1 week (stage 1 keeps this time where it can
        # foresee it, `stage_one_share`)
        return stage_one_week(program, req, previous)
    wm = build(program, previous, freeze)
    m = wm.model
    budget.reckon(RECKON_BUILD * len(m.proto.variables))
    # keep what stage 1 reached
    for pid in req.met:
        for _req, _day, var in wm.shortfalls.get(pid, []):
            m.add(var == 0)
    if wm.terms.get("unmet"):
        m.add(sum(wm.terms["unmet"]) <= req.units)
    # ... and, with referrals admitted, nobody in care gets more shortfall than stage 1 gave them
    for pid, cap in req.unit_caps.items():
        shorts = wm.shortfalls.get(pid, [])
        if shorts:
            m.add(sum(UNMET_UNITS[unit_kind(r)] * var for r, _day, var in shorts) <= cap)
    # ... and, week to week, every participant whose stage-1 week is last week's keeps it (stage
    # 1 kept as many as the requirements allow; stability comes before the other preferences)
    if previous is not None:
        kept = kept_weeks(wm, previous, req.schedule)
        for (pid, oi), var in wm.a.items():
            if pid in kept:
                m.add(var == int(oi in kept[pid]))
    # the counting bound (iopsched.solver.bounds) holds for weeks meeting everyone
    floor = float(counting_bound(wm).bound) if len(req.met) == n else 0.0

    # the stage-1 week, or a second week planned from the greedy's when that one has the lower
    # objective (`greedy_based`), polished by the local search (its moves keep stage 1's result)
    g = _loaded(wm, req.schedule.sessions, previous)
    second = greedy_based_week(req, budget, settings, extract)
    if second is not None:
        other = _loaded(wm, second.sessions, previous)
        if other.objective() < g.objective():
            g = other

    def better() -> None:
        if report:
            obj = g.objective()
            report(Progress(budget.elapsed(), obj, floor, gap_of(obj, floor), 0, n - len(g.unmet_ids()), n,
                            phase="local search"))

    rr = RuinRecreate(g, settings.seed, None, better)
    rr.protect = req.met
    # (on the wall clock as patient as a deterministic polish of that length: a stalled polish
    # hands CP-SAT the rest)
    run_for(rr, rr.polish, budget.left() * polish_share(wm, budget), budget, iteration_seconds(n, POLISH_SECONDS),
            settings.interrupted.is_set, at_least=0)
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
    status: cp_model.CpSolverStatus = cp_model.UNKNOWN
    if ran:
        extra = SUBSOLVERS if n_vars <= LP_MAX_VARIABLES else tuple(x for x in SUBSOLVERS if x != "default_lp")
        solver, status = run_cp_sat(wm, budget, settings, budget.left(), cb, subsolvers=extra,
                                    workers=1 if budget.deterministic else None,
                                    lns_only=lns_only(wm, budget, complete))
    if wm.frozen and status == cp_model.INFEASIBLE:
        return None
    values: cp_model.CpSolver | HintValues
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values, name, objective = solver, solver.status_name(status), solver.objective_value
        bound = solver.best_objective_bound
    else:
        values = HintValues(wm)
        name, objective, bound = "FEASIBLE", values.objective_value, 0.0
    terms = {term: int(sum(values.value(e) for e in exprs)) if exprs else 0 for term, exprs in wm.terms.items()}
    return Preferences(wm, values, objective, terms, name, bound, cb.solutions, rr.iterations, cb.first_all_met,
                       solver.wall_time if ran else 0.0, ran, floor)


def polish_share(wm: WeekModel, budget: Budget) -> float:
    """Of the time stage 2 has, the local search's polish's share (the rest is CP-SAT's):
    POLISH_SHARE_PORTFOLIO on the wall clock of a model CP-SAT searches with its portfolio
    (at most LNS_MIN_VARIABLES), POLISH_SHARE otherwise (deterministic runs keep their weeks)."""
    if budget.deterministic or _above_lns_size(wm):
        return POLISH_SHARE
    return POLISH_SHARE_PORTFOLIO


def _above_lns_size(wm: WeekModel) -> bool:
    """A model large enough for stage 2's neighbourhood searches (LNS_MIN_VARIABLES)."""
    return len(wm.model.proto.variables) > LNS_MIN_VARIABLES


def lns_only(wm: WeekModel, budget: Budget, complete: bool) -> bool:
    """Does stage 2's CP-SAT run large-neighbourhood searches only (LNS_MIN_VARIABLES)?
    `complete`: the polished week holds on the full model (the searches start from it)."""
    return (not budget.deterministic and not wm.frozen and complete
            and _above_lns_size(wm))


def stage_one_week(program: Program, req: Requirements, previous: Schedule | None) -> Preferences:
    """The stage-1 week as the result, its objective counted term by term (by the greedy's
    count, equal to the model's)."""
    # (after admissions the program has new participants: its stage-1 model is built again)
    wm = req.wm if req.wm is not None else build(program, preferences=False)
    g = _loaded(wm, req.schedule.sessions, previous)
    terms = g.terms()
    weights = program.rules.weights
    objective = float(sum(weights.get(t, 0) * v for t, v in terms.items()))
    values = GreedyValues(wm, *decisions(g))
    return Preferences(wm, values, objective, terms, "FEASIBLE", 0.0, 0, 0, None, 0.0, False, 0.0,
                       skipped=True)


def _loaded(wm: WeekModel, sessions, previous: Schedule | None) -> Greedy:
    """A week's sessions in the greedy's state (which counts its objective, term by term, and
    polishes it), last week remembered for the stability term."""
    g = Greedy(wm)
    if previous is not None:
        g.remember(previous)
    g.place_pinned()
    g.load(sessions)
    return g
