"""Week to week in stage 1 (`--previous`): last week's attendances kept for everyone they
still fit, the others placed around them; when that is infeasible, the fewest moved."""

from __future__ import annotations

from dataclasses import replace

from ortools.sat.python import cp_model

from iopsched.analysis.requirements import shortfalls
from iopsched.cpsat.budget import Budget, SearchSettings, run_cp_sat
from iopsched.cpsat.model import WeekModel, unit_terms
from iopsched.cpsat.values import SolverValues, hint_decisions
from iopsched.schedule import Schedule
from iopsched.solver.best_week import BestWeek, MetCallback, met_of
from iopsched.solver.continuity import last_weeks
from iopsched.solver.neighbourhoods import neighbourhood
from iopsched.solver.upper_bound import RequirementsBound

# when not every continuing week can be kept: re-plan the changed participants and at first
# this many others (doubled while that is infeasible)
ANCHOR_NEIGHBOURS = 8


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
                   budget: Budget, settings: SearchSettings, seconds: float, progress) -> tuple[str, str]:
    """Week to week, when the changed participants do not fit around everyone else's week:
    the changed ones and their nearest neighbours (those whose last week lies where the
    changed ones could attend, `neighbourhood`) are re-planned, everyone else keeps last
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
        free = neighbourhood(wm, state, changed, size, weeks=anchored)
        if len(free) < min(size, len(wm.met)):  # nobody else shares their times: everyone
            free = set(wm.met)
        everyone = len(free) >= len(wm.met)
        copy, keep = _replanned(wm, anchored, free, forced, state)
        part = left if everyone else min(left, max(1.0, left / 3))
        solver, cp_status = run_cp_sat(copy, budget, settings, part, MetCallback(wm, progress))
        status = solver.status_name(cp_status)
        if cp_status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            moved = len(keep) - sum(solver.value(k) for k in keep.values())
            # keeping every week was infeasible, so one move is the fewest there can be
            fewest = moved == 1 or (everyone and cp_status == cp_model.OPTIMAL)
            if best is None or moved < best[0]:
                met, units = met_of(solver, wm)
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
               state: BestWeek) -> tuple[WeekModel, dict[str, cp_model.IntVar]]:
    """`anchored_most`'s model for one neighbourhood, on a copy of the model: the anchored
    participants outside `free` keep last week's attendance (fixed), those in it have a `keep`
    literal (exactly last week's week); the objective is the fewest shortfall units, then the
    most kept; hinted with the best week; everyone in `forced` fully met. Returns the copy and
    the `keep` literals by participant."""
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
    m.minimize((len(keep) + 1) * units + sum(1 - k for k in keep.values()))
    hint_decisions(copy, state.values)
    for i in forced:
        domains[i].domain[0] = 1
    return copy, keep
