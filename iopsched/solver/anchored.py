"""Week to week in stage 1 (`--previous`).

With `keep_met_weeks` (the config's default), every participant last week fully met keeps
that week while it can still run, and stage 1 is solved around them (`keep_met_weeks`).
Without it, last week's attendances are kept for everyone they still fit and the others
placed around them; when that is infeasible, the fewest moved (`anchored`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from iopsched.analysis.requirements import shortfalls
from iopsched.cpsat.budget import Budget, SearchSettings, run_cp_sat
from iopsched.cpsat.model import WeekModel, unit_terms
from iopsched.cpsat.values import ScheduleValues, SolverValues, hint_decisions
from iopsched.schedule import Schedule
from iopsched.solver.best_week import BestWeek, MetCallback, complete_the_hint, met_of, proven_by
from iopsched.solver.continuity import last_weeks
from iopsched.solver.neighbourhoods import large, neighbourhood
from iopsched.solver.upper_bound import RequirementsBound

# when not every continuing week can be kept: re-plan the changed participants and at first
# this many others (doubled while that is infeasible)
ANCHOR_NEIGHBOURS = 8
# keep_met_weeks: of its time, the share of the first complete search, and of CP-SAT's local
# search (everyone else required fully met) after it, when the first did not finish
KEPT_COMPLETE_SHARE = 0.25
KEPT_LOCAL_SHARE = 0.4
# ... and of the fewest moved, when no week keeps them all
KEPT_FEWEST_SHARE = 0.75


@dataclass(frozen=True)
class KeptWeeks:
    """Stage 1 around the weeks kept from last week (`keep_met_weeks`)."""

    status: str  # CP-SAT's
    met_bound: int  # no week keeping them fully meets more participants
    units_bound: int  # ... and none meeting as many has fewer shortfall units
    note: str  # the Summary's previous.stage1


def keep_met_weeks(wm: WeekModel, previous: Schedule, state: BestWeek, bound: RequirementsBound, budget: Budget,
                   settings: SearchSettings, seconds: float, progress, reached: Callable[[], bool]) -> KeptWeeks | None:
    """Week to week, `keep_met_weeks`: every participant whom last week fully met, and whose
    sessions of last week can all run for them again, keeps exactly those (attendance fixed;
    leaders and rooms may change). The others (new participants, those whose input changed,
    those last week left short) are planned around them: the most fully met, then the fewest
    shortfall units, on the model with the kept weeks fixed (small where few inputs changed):
    CP-SAT's complete search, to a proof where it can; if it does not finish, its local search
    with the others required fully met, then the complete search again from the best week.
    The week found is stage 1's, even where moving a kept week would meet someone more (the
    coordinator's promise to the others comes first; README, "Week to week"). `reached`: the
    best week meets the bounds (then no search after the first that found it). None: no week
    to keep, or none found in time, or (on a large program) no week keeps them all: then
    stage 1's usual searches run, which may move kept weeks."""
    short_last = {x.participant_id for x in shortfalls(wm.program, previous)}
    weeks = {pid: opts for pid, opts in last_weeks(wm, previous).items() if pid in wm.met and pid not in short_last}
    if not weeks:
        return None
    start = budget.clock()

    def fewest_moved() -> KeptWeeks | None:
        # not every kept week can run again: a group someone left falls below its minimum
        # size (mix, small: P014 left a Process Group of 4, its minimum). The fewest weeks
        # move, then the most fully met, then the fewest units. Not on a large program: with
        # 8 changed and 8 discharged of 150 it re-planned everyone and met 136 (evening, 30 s),
        # where stage 1's neighbourhoods meet all 150
        if large(wm):
            return None
        # (at most 3/4 of the time: when it finds nothing, stage 1's usual searches need the
        # rest; evening, medium, 4 changed, 4 discharged, 4 new: 3 neighbourhoods found nothing;
        # at 1/2 mix medium's single change was not proven the fewest)
        left = min(max(0.0, seconds - (budget.clock() - start)), seconds * KEPT_FEWEST_SHARE)
        cp_status, note = anchored_most(wm, weeks, [], state, budget, settings, left, progress, moves_first=True)
        if state.method.startswith("cp-sat (most weeks kept)"):
            return KeptWeeks(cp_status, len(wm.met), 0, note)
        return None

    if _groups_cannot_run(wm, weeks):
        return fewest_moved()
    fixed = [(var.index, int(oi in weeks[pid])) for (pid, oi), var in wm.a.items() if pid in weeks]
    required = [wm.met[pid].index for pid in wm.met if pid not in weeks and bound.meetable(pid)]
    found = False  # a week keeping them is the best week (`state`)

    def adopt(values) -> None:
        # the first week that keeps them replaces the greedy's (which need not); later ones
        # only when better
        nonlocal found
        met, units = met_of(values, wm)
        (state.offer if found else state.take)(SolverValues(values, wm), met, units, budget.elapsed(),
                                               "cp-sat (met weeks kept)")
        found = True

    hint_decisions(wm, ScheduleValues(wm, previous))  # last week: most of it holds
    # 1. the complete search on the weighted form (most fully met, then fewest units) for a
    # part of the time: a small model where few inputs changed, which it solves to a proof,
    # and where kept weeks clash it proves that fast (evening, medium, 4 changed, 4
    # discharged, 4 new: INFEASIBLE in 0.6 s, where the local searches found nothing in 2.3 s)
    with wm.narrowed(fixed=fixed):
        solver, status = run_cp_sat(wm, budget, settings, seconds * KEPT_COMPLETE_SHARE, MetCallback(wm, progress))
    if status == cp_model.INFEASIBLE:
        return fewest_moved()
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        adopt(solver)
    if status == cp_model.OPTIMAL or (found and reached()):
        return _kept(weeks, wm, state, solver, status)
    # 2. CP-SAT's local search with everyone else the bound allows required fully met: on a
    # large program the complete search alone found weeks meeting none of 16 changed or new
    # participants in 13 s (mix, large, 8 changed and 8 new)
    if required:
        if found:
            hint_decisions(wm, state.values)
        with wm.narrowed(at_least_one=required, fixed=fixed):
            early, early_status = run_cp_sat(wm, budget, settings, seconds * KEPT_LOCAL_SHARE,
                                             MetCallback(wm, progress, stop_at=0), local_search=True, presolve=False)
        if early_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            adopt(early)
            if reached():  # everyone the bounds allow met, the fewest units: proven
                return KeptWeeks("OPTIMAL", len(wm.met), 0, _kept_note(weeks, wm, state))
    if not found:
        return None  # nothing found in time: stage 1's searches (which may move kept weeks)
    # 3. the complete search again from the best week, for the rest of the time
    hint_decisions(wm, state.values)
    with wm.narrowed(fixed=fixed):
        left = complete_the_hint(wm, budget, max(0.0, seconds - (budget.clock() - start)), at_most=2.0)
        solver, status = run_cp_sat(wm, budget, settings, left, MetCallback(wm, progress))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        adopt(solver)
    return _kept(weeks, wm, state, solver, status)


def _kept(weeks: dict[str, set[int]], wm: WeekModel, state: BestWeek, solver: cp_model.CpSolver,
          status) -> KeptWeeks:
    """The kept weeks' result: the best week's note, and what the complete search proved."""
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        met_bound, units_bound = proven_by(solver, wm, status, state.units)
        name = solver.status_name(status)
    else:  # the week of an earlier search, unproven
        met_bound, units_bound, name = len(wm.met), 0, "FEASIBLE"
    return KeptWeeks(name, met_bound, units_bound, _kept_note(weeks, wm, state))


def _groups_cannot_run(wm: WeekModel, weeks: dict[str, set[int]]) -> bool:
    """Some kept week's group cannot run: its kept members and everyone else who could join
    it are fewer than the type's minimum (a participant who left it, discharged or newly
    busy, took it below; then no week keeps every one of them)."""
    kept_at = Counter(oi for opts in weeks.values() for oi in opts)
    free = [pid for pid in wm.met if pid not in weeks]
    for oi, k in kept_at.items():
        need = wm.options[oi].stype.min_size
        if k < need and k + sum((pid, oi) in wm.a for pid in free) < need:
            return True
    return False


def _kept_note(weeks: dict[str, set[int]], wm: WeekModel, state: BestWeek) -> str:
    others = len(wm.met) - len(weeks)
    return (f"{len(weeks)} weeks kept (everyone fully met last week whose week can run again); "
            f"{len(state.met - set(weeks))} of the {others} others fully met around them")


def anchored(wm: WeekModel, previous: Schedule, state: BestWeek, bound: RequirementsBound, budget: Budget,
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
    fixed = []  # (variable index, value)
    for (pid, oi), var in wm.a.items():
        if pid in anchored:
            fixed.append((var.index, int(oi in anchored[pid])))
    forced = [wm.met[pid].index for pid in wm.met if bound.meetable(pid)]
    start = budget.clock()
    hint_decisions(wm, state.values)
    with wm.narrowed(at_least_one=forced, fixed=fixed):
        solver, status = run_cp_sat(wm, budget, settings, seconds, MetCallback(wm, progress, stop_at=len(forced)))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        met, units = met_of(solver, wm)
        # as good as the best week for the requirements, and closer to last week: it wins
        state.offer(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat (last week kept)",
                    ties=True)
        return solver.status_name(status), f"{len(anchored)} weeks kept"
    if status == cp_model.INFEASIBLE:
        # the changed participants do not fit around everyone else's week: keep as many
        # weeks as the requirements allow (adolescent, medium: 59 of 59 changed without)
        used = budget.clock() - start
        return anchored_most(wm, anchored, forced, state, budget, settings, max(0.0, seconds - used), progress)
    return solver.status_name(status), f"not decided in time ({solver.status_name(status)})"


def anchored_most(wm: WeekModel, anchored: dict[str, set[int]], forced: list[int], state: BestWeek,
                   budget: Budget, settings: SearchSettings, seconds: float, progress,
                   moves_first: bool = False) -> tuple[str, str]:
    """Week to week, when the changed participants do not fit around everyone else's week:
    the changed ones and their nearest neighbours (those whose last week lies where the
    changed ones could attend, `neighbourhood`) are re-planned, everyone else keeps last
    week; everyone the bound allows fully met (hard), then the fewest shortfall units, then
    the most of the re-planned continuing participants back in exactly last week's week (a
    `keep` literal each). When that is infeasible, or its fewest moves are not proven the
    fewest of all, the neighbourhood doubles while time is left. Solved on a copy of the
    model. `moves_first` (keep_met_weeks): nobody is forced to be fully met; the fewest moved
    come first, then the most fully met, then the fewest units, and the week found is stage 1's
    whatever it meets. Returns CP-SAT's last status and what was kept."""
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
        free = neighbourhood(wm, state, changed, size, weeks=anchored)
        if len(free) < min(size, len(wm.met)):  # nobody else shares their times: everyone
            free = set(wm.met)
        everyone = len(free) >= len(wm.met)
        copy, keep = _replanned(wm, anchored, free, forced, state, moves_first)
        part = left if everyone else min(left, max(1.0, left / 3))
        solver, cp_status = run_cp_sat(copy, budget, settings, part, MetCallback(wm, progress))
        status = solver.status_name(cp_status)
        if cp_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            moved = len(keep) - sum(solver.value(k) for k in keep.values())
            # keeping every week was infeasible, so one move is the fewest there can be
            fewest = moved == 1 or (everyone and cp_status == cp_model.OPTIMAL)
            if best is None or moved < best[0]:
                met, units = met_of(solver, wm)
                if moves_first:
                    state.take(SolverValues(solver, wm), met, units, budget.elapsed(), "cp-sat (most weeks kept)")
                else:
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


def _replanned(wm: WeekModel, anchored: dict[str, set[int]], free: set[str], forced: list[int],
               state: BestWeek, moves_first: bool = False) -> tuple[WeekModel, dict[str, cp_model.IntVar]]:
    """`anchored_most`'s model for one neighbourhood, on a copy of the model: the anchored
    participants outside `free` keep last week's attendance (fixed), those in it have a `keep`
    literal (exactly last week's week); the objective is the fewest shortfall units, then the
    most kept (`moves_first`: the most kept, then the most fully met, then the fewest units);
    hinted with the best week; everyone in `forced` fully met. Returns the copy and the `keep`
    literals by participant."""
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
    units = sum(unit_terms(wm, lambda v: m.get_int_var_from_proto_index(v.index)))
    m.proto.clear_objective()
    moves = sum(1 - k for k in keep.values())
    if moves_first:
        scale = wm.requirements_scale
        not_met = sum(1 - m.get_bool_var_from_proto_index(v.index) for v in wm.met.values())
        m.minimize(scale * (len(wm.met) + 1) * moves + scale * not_met + units)
    else:
        m.minimize((len(keep) + 1) * units + moves)
    hint_decisions(copy, state.values)
    for i in forced:
        domains[i].domain[0] = 1
    return copy, keep
