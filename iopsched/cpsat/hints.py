"""Solution hints: the greedy week mapped onto the model, completed to every variable."""

from __future__ import annotations

from collections import Counter

from iopsched.cpsat.model import WeekModel


def apply_hint(wm: WeekModel, y_on: set, rc_count: Counter, a_on: set, z_on: frozenset | set = frozenset()) -> None:
    """Hint every decision variable (a complete hint: all others 0); `z_on`: the co-leaders."""
    m = wm.model
    m.clear_hints()
    for lead, var in wm.y.items():
        m.add_hint(var, lead in y_on)
    for rooms, var in wm.rc.items():
        m.add_hint(var, rc_count.get(rooms, 0))
    for seat, var in wm.a.items():
        m.add_hint(var, seat in a_on)
    for co_lead, var in wm.z.items():
        m.add_hint(var, co_lead in z_on)


def complete_hint(wm: WeekModel, seconds: float = 10.0) -> bool:
    """Extend a hint on the decisions to every variable (CP-SAT uses complete hints far better).

    Solves the model with the hinted decisions fixed, which only has to derive the auxiliary
    variables; on success the hint is replaced by that full assignment.
    """
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.fix_variables_to_their_hinted_value = True
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.catch_sigint_signal = False  # Ctrl-C is the caller's (solve._ctrl_c_stops)
    status = solver.solve(wm.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return False
    m = wm.model
    values = solver.response_proto.solution
    m.clear_hints()
    for i, v in enumerate(values):
        m.proto.solution_hint.vars.append(i)
        m.proto.solution_hint.values.append(v)
    return True
