"""Solve a program week: requirements first (`stage_requirements`), then the preferences
(`stage_preferences`), and
the Summary of what each stage reached.

Time: `--time-limit` is the command's wall clock, from reading the workbook to the written
file (`started_at`, with a reserve for extracting and writing the schedule), shared by the
stages. Deterministic runs (`deterministic=True`, `--deterministic`, config
`solver.deterministic`) stop CP-SAT on a deterministic budget instead, so the same input,
config and seed give the same schedule on any machine; their wall time may differ from
the limit (a guard of 1.5 x the limit, at least 10 s more, ends a very slow run, and the
Summary's `stopped_by` says so).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from iopsched import __version__
from iopsched.analysis.conflicts import check_pinned
from iopsched.analysis.explain import unmet_rows
from iopsched.analysis.requirements import shortfalls
from iopsched.analysis.waitlist import free_seats_text, waitlist
from iopsched.cpsat.budget import Budget, SearchSettings
from iopsched.cpsat.extract import extract
from iopsched.cpsat.model import PinnedConflict
from iopsched.domain import Program
from iopsched.errors import InputError, Problem
from iopsched.schedule import Schedule
from iopsched.solver.progress import Progress, gap_of
from iopsched.solver.stage_admissions import Admissions, admissions_stage, ranked
from iopsched.solver.stage_preferences import Preferences, preferences_stage, stage_one_week
from iopsched.solver.stage_requirements import Requirements, requirements_stage
from iopsched.solver.term_bounds import term_bounds
from iopsched.stats import (
    PreferencesStats,
    RequirementsStats,
    RunStats,
    SolveStats,
    Status,
    StoppedBy,
    TermBoundStats,
)
from iopsched.validate import hard_rule_violations

__all__ = ["Progress", "extract", "gap_of", "solve", "write_reserve"]

# --prove: the term bounds may use this share of the time left after stage 1 (stage 2 the rest)
PROVE_SHARE = 0.25


def write_reserve(participants: int) -> float:
    """Seconds kept from the limit for extracting, explaining and writing the schedule
    (measured: about 0.4 s at 20 participants, 1.5 s at 150, 4 s at 400). At 400 the last
    searches also end late (CP-SAT loads the model before its clock starts): xl mix with 15
    rooms at --time-limit 300 took 302.25 s of wall time with a reserve of 4.5 s and 303.6 s
    with 6.5 s, so the reserve grows with the square of the size: 0.7 s at 20, 2.7 s at
    150, 9.3 s at 400."""
    return 0.5 + 0.01 * participants + 0.00003 * participants**2


def solver_parameters(program: Program, time_limit: float | None, workers: int | None, seed: int | None):
    settings = program.rules.solver
    limit = settings.time_limit_seconds if time_limit is None else time_limit
    n = settings.workers if workers is None else workers
    n = n or (os.cpu_count() or 1)
    s = settings.seed if seed is None else seed
    return float(limit), int(n), int(s)


def solve(
    program: Program,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    previous: Schedule | None = None,
    freeze: str | None = None,
    interruptible: bool = False,
    log: bool = False,
    deterministic: bool | None = None,
    started_at: float | None = None,
    prove: bool = False,
) -> Schedule:
    """Solve the week. Always returns a Schedule (empty when no schedule was found).

    `started_at` (time.monotonic()) is when the command began: the limit counts from then.
    `log`: CP-SAT's search log on the `iopsched.cpsat` logger (INFO); the library never prints.
    `prove`: after stage 1, bound each objective term on its own (`term_bounds`, at most
    PROVE_SHARE of the time left) and write the bounds to the Summary (`bound.<term>`)."""
    started = time.monotonic() if started_at is None else started_at
    check_pinned(program)
    limit, n_workers, seed_ = solver_parameters(program, time_limit, workers, seed)
    det = program.rules.solver.deterministic if deterministic is None else deterministic
    budget = Budget(limit, det, started, reserve=write_reserve(len(program.participants)))
    settings = SearchSettings(n_workers, seed_, log)
    catch = interruptible and threading.current_thread() is threading.main_thread()

    def work() -> Schedule | None:
        try:
            return _stages(program, budget, settings, progress=progress, previous=previous, freeze=freeze,
                           prove=prove)
        except PinnedConflict as exc:
            raise InputError(Problem(f"pinned session cannot run: {exc.why}", file=program.source_path,
                                     sheet="Pinned", row=exc.pin.row or None)) from None

    with _ctrl_c_stops(settings, catch):
        schedule = _in_thread(work) if catch else work()
    if schedule is None:
        # --freeze: last week's assignments cannot all be kept together: keep them as a strong preference
        weights = dict(program.rules.weights, stability=program.rules.weights.get("stability", 100) * 10)
        relaxed = replace(program, rules=replace(program.rules, weights=weights))
        schedule = solve(relaxed, time_limit=time_limit, workers=workers, seed=seed, progress=progress,
                         previous=previous, freeze=None, interruptible=interruptible, log=log,
                         deterministic=det, started_at=started, prove=prove)
        schedule.summary["freeze"] = f"{freeze}: relaxed to a preference (the frozen assignments conflict)"
    return schedule


def _stages(program: Program, budget: Budget, settings: SearchSettings, *,
            progress: Callable[[Progress], None] | None, previous: Schedule | None,
            freeze: str | None, prove: bool = False) -> Schedule | None:
    """Stage 1, the admissions (with referrals), stage 2, the schedule and its Summary. None:
    --freeze made stage 2 infeasible."""
    req = requirements_stage(program, budget, settings, previous=previous, report=progress, extract=extract)
    t1 = budget.elapsed()
    adm = None
    week = program  # the program the week is of: with referrals, the admitted among its participants
    if program.referrals and not settings.interrupted.is_set():
        adm = admissions_stage(program, req, budget, settings, report=progress, extract=extract)
        req = adm.requirements
        week = program.admitting(adm.admitted)
    elif program.referrals:
        week = program.admitting(())
    bounds = None
    if prove and not settings.interrupted.is_set():
        bounds = _term_bounds(week, req, budget, settings, previous)
    pref = None
    if not settings.interrupted.is_set():
        pref = preferences_stage(week, req, budget, settings, previous=previous, freeze=freeze,
                                 report=progress)
        if pref is None:
            return None
    if pref is not None and pref.skipped:
        sessions = list(req.schedule.sessions)
    elif pref is not None:
        sessions = extract(pref.wm, pref.values)
    else:  # Ctrl-C during stage 1: its week is the result
        sessions = list(req.schedule.sessions)
    schedule = Schedule(sessions=sessions)
    # A week the independent validator rejects is a defect of a search (a greedy move that
    # missed a rule): fall back to stage 1's week if that one holds, and say so in the Summary
    broken = hard_rule_violations(week, schedule)
    if broken and sessions is not req.schedule.sessions and not hard_rule_violations(week, req.schedule):
        schedule, broken = Schedule(sessions=list(req.schedule.sessions)), []
        pref = stage_one_week(week, req, previous)
    # capacity reasons only where it is proven that no schedule fully meets more participants:
    # by stage 1, or by the final week reaching the bound (stage 2 may meet the last ones)
    short = {s.participant_id for s in shortfalls(week, schedule)}
    proven = req.proven or len(week.participants) - len(short) >= req.upper_bound_fully_met
    schedule.unmet = unmet_rows(week, schedule, proven=proven, hopeless=req.bound.hopeless, around_kept=req.around_kept)
    schedule.stats = _summary(week, budget, settings, req, pref, schedule, t1, previous, freeze, bounds)
    schedule.summary = schedule.stats.summary()
    schedule.summary["hard_rule_violations"] = len(broken)
    if program.referrals:
        _admissions_summary(program, week, schedule, adm)
    return schedule


def _admissions_summary(program: Program, week: Program, schedule: Schedule, adm: Admissions | None) -> None:
    """The Waitlist, the admitted ids, and the Summary's `admissions.*` rows."""
    order = ranked(program)
    admitted = adm.admitted if adm is not None else ()
    waiting = [r for r in order if r.referral_id not in admitted]
    proven = adm is not None and adm.proven
    schedule.admitted = list(admitted)
    schedule.waitlist = waitlist(week, schedule, waiting, hopeless=adm.hopeless if adm else frozenset(),
                                 proven=proven)
    schedule.summary.update({
        "admissions.referrals": len(order),
        "admissions.admitted": len(admitted),
        "admissions.waitlisted": len(waiting),
        "admissions.admitted_ids": ", ".join(admitted),
        "admissions.status": "OPTIMAL" if proven else "FEASIBLE" if adm is not None else "UNKNOWN",
        "admissions.method": adm.method if adm is not None else "none (interrupted)",
        "admissions.seconds": round(adm.seconds, 3) if adm is not None else 0.0,
        "admissions.objectives": adm.chunks if adm is not None else 0,
        "admissions.free_group_seats": free_seats_text(week, schedule),
    })


def _term_bounds(program: Program, req: Requirements, budget: Budget, settings: SearchSettings,
                 previous: Schedule | None) -> TermBoundStats:
    """--prove: the bound of each term given stage 1's result, in at most PROVE_SHARE of the
    time left (deterministic runs reckon what it used, so that stage 2 repeats)."""
    seconds = PROVE_SHARE * budget.left()
    tb = term_bounds(program, met=req.met, unmet_units=req.units, units_proven=req.units_proven,
                     units_lower_bound=req.lower_bound_units, previous=previous, time_limit=seconds,
                     seed=settings.seed, deterministic=budget.deterministic, wm=req.wm,
                     stop=settings.interrupted.is_set)
    budget.reckon(min(seconds, tb.reckoned))
    return TermBoundStats(tb.terms, tb.total, tb.proven, tb.seconds)


def _summary(program: Program, budget: Budget, settings: SearchSettings, req: Requirements,
             pref: Preferences | None, schedule: Schedule, t1: float, previous: Schedule | None,
             freeze: str | None, bounds: TermBoundStats | None = None) -> SolveStats:
    """The solve's statistics (the Summary sheet is written from them)."""
    n = len(program.participants)
    fully_met = n - len({u.participant_id for u in schedule.unmet})
    preferences = _preferences_stats(program, req, pref, fully_met == n, bounds)
    # the requirements of the final week: stage 2 keeps stage 1's and may meet more (stage 1
    # stopped short of the bound; stage 2's model, from its week, met the last ones)
    proven = fully_met >= req.upper_bound_fully_met
    units = pref.terms.get("unmet", req.units) if pref is not None else req.units
    units_proven = proven and units <= req.lower_bound_units
    status = (Status.OPTIMAL if units_proven and preferences.status == Status.OPTIMAL
              else Status.FEASIBLE if schedule.sessions or pref is not None or req.schedule.sessions
              else Status.UNKNOWN)
    requirements = RequirementsStats(
        status=Status.OPTIMAL if proven else Status.FEASIBLE, participants=n, fully_met=fully_met,
        upper_bound_fully_met=req.upper_bound_fully_met, units=units,
        units_lower_bound=req.lower_bound_units,
        units_status=Status.OPTIMAL if units_proven else Status.FEASIBLE, method=req.method, seconds=t1,
        found_seconds=req.found_seconds, bound_models=req.bound.models, bound_seconds=req.bound.seconds,
        cp_sat_status=req.cp_status,
        capacity_fully_met=req.capacity.fully_met_max if req.capacity is not None else None,
        capacity_binding=req.capacity.binding if req.capacity is not None else "",
        without_kept_fully_met=req.without_kept_fully_met)
    week_to_week: dict[str, object] = {}
    wm = pref.wm if pref is not None else None
    if previous is not None and wm is not None:
        from iopsched.solver.continuity import week_changes

        week_to_week.update(week_changes(wm, previous, schedule))
        week_to_week["previous.stage1"] = req.week_to_week
        if freeze:
            week_to_week["freeze"] = freeze
    return SolveStats(status, requirements, preferences, _run_stats(program, budget, settings, req, pref,
                                                                    schedule, status),
                      dict(program.rules.weights), week_to_week, bounds)


def _preferences_stats(program: Program, req: Requirements, pref: Preferences | None,
                       everyone_met: bool, bounds: TermBoundStats | None = None) -> PreferencesStats:
    """Stage 2's objective and its bound: CP-SAT's, the counting bound (when everyone is
    met), the unmet units' floor and, with --prove, the sum of the term bounds, the best of
    them; proven when the objective reaches it."""
    if pref is None:
        return PreferencesStats(Status.UNKNOWN, None, 0.0, 0.0, 0, 0.0, 0, 0, False, {})
    unmet_floor = program.rules.weights.get("unmet", 0) * req.lower_bound_units
    counted = pref.counting_bound if everyone_met else 0
    bound = max(pref.cp_sat_bound, counted, unmet_floor, bounds.total if bounds is not None else 0)
    status = Status.OPTIMAL if pref.status == "OPTIMAL" or pref.objective <= bound + 1e-9 else Status(pref.status)
    return PreferencesStats(status, pref.objective, bound, pref.cp_sat_bound, counted, pref.seconds, pref.solutions,
                            pref.polish_iterations, bool(pref.skipped), pref.terms)


def _run_stats(program: Program, budget: Budget, settings: SearchSettings, req: Requirements,
               pref: Preferences | None, schedule: Schedule, status: Status) -> RunStats:
    if settings.interrupted.is_set():
        stopped_by = StoppedBy.INTERRUPT
    elif status == Status.OPTIMAL:
        stopped_by = StoppedBy.PROOF
    elif budget.stopped_by_wall:
        stopped_by = StoppedBy.WALL_CLOCK
    else:
        stopped_by = StoppedBy.TIME_LIMIT
    all_met = None
    if req.found_seconds is not None and len(req.met) == len(program.participants):
        all_met = req.found_seconds
    elif pref is not None and pref.first_all_met is not None:
        all_met = pref.first_all_met
    wm = pref.wm if pref is not None else None
    return RunStats(
        total_seconds=budget.elapsed(), build_seconds=req.build_seconds, greedy_seconds=req.greedy_seconds,
        greedy_unmet_units=req.greedy_units, all_met_seconds=all_met, sessions=len(schedule.sessions),
        stopped_by=stopped_by,
        variables=len(wm.model.proto.variables) if wm is not None else 0,
        constraints=len(wm.model.proto.constraints) if wm is not None else 0,
        time_limit_seconds=budget.limit, deterministic=budget.deterministic, workers=settings.workers,
        seed=settings.seed, input_sha256=program.source_sha256, iopsched_version=__version__,
        ortools_version=_ortools_version())


def _in_thread(work: Callable[[], Schedule | None]) -> Schedule | None:
    """Run the stages in a worker thread so that the main thread takes Ctrl-C at once
    (CP-SAT holds the thread that calls it until it returns)."""
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # re-raised in the caller's thread
            result["error"] = exc

    thread = threading.Thread(target=run, name="iopsched-solve", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.2)
    if "error" in result:
        raise result["error"]  # type: ignore[misc]
    return result.get("value")  # type: ignore[return-value]


@contextlib.contextmanager
def _ctrl_c_stops(settings: SearchSettings, catch: bool):
    """While solving, Ctrl-C ends the search cleanly instead of raising KeyboardInterrupt: the
    local searches stop after their current move, CP-SAT stops and keeps its best solution,
    and the best week so far is the result."""
    if not catch:
        yield
        return

    def stop(signum, frame) -> None:
        settings.interrupted.set()
        settings.stop_running()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ortools_version() -> str:
    try:
        import ortools

        return str(ortools.__version__)  # type: ignore[attr-defined]  # set at runtime, not in its stubs
    except Exception:  # pragma: no cover
        return ""
