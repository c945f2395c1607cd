"""A week's values of the model's variables, read like a solver's (`.value(expr)`).

`extract` and the Summary read a finished CP-SAT solve; these stand in for it when the
week comes from elsewhere: the model's hint, the greedy's state, a copy of a solve's
decisions (kept after the solver is gone), or a schedule's sessions.
"""

from __future__ import annotations

from ortools.sat.python import cp_model, cp_model_helper

from iopsched.cpsat.model import WeekModel
from iopsched.schedule import Schedule


class Decisions:
    """Values of the decision variables (leaders, room classes, attendances, co-leaders); others read 0."""

    values: dict[int, int]

    def value(self, expr) -> int:
        if isinstance(expr, int):
            return expr
        flat = cp_model_helper.FlatIntExpr(expr)
        return flat.offset + sum(c * self.values.get(v.index, 0) for v, c in zip(flat.vars, flat.coeffs,
                                                                                  strict=True))


class HintValues(Decisions):
    """The model's (complete) hint, e.g. the greedy week completed by `hints.complete_hint`."""

    def __init__(self, wm: WeekModel):
        hint = wm.model.proto.solution_hint
        self.values = dict(zip(hint.vars, hint.values, strict=True))
        proto = wm.model.proto.objective
        self.objective_value = proto.offset + sum(
            c * self.values.get(v, 0) for v, c in zip(proto.vars, proto.coeffs, strict=True))


class SolverValues(Decisions):
    """A finished solve's decisions, kept (the model's solver may be reused). `complete`: the
    solve was of `wm.model` itself, and every variable's value is kept too (`solution`), a
    complete hint for the next search without `hints.complete_hint`'s solve."""

    def __init__(self, solver: cp_model.CpSolver, wm: WeekModel, complete: bool = False):
        self.values = {var.index: solver.value(var) for var in _decision_vars(wm)}
        self.solution: list[int] | None = list(solver.response_proto.solution) if complete else None


class GreedyValues(Decisions):
    """A greedy week (`greedy.decisions`) as the model's decisions."""

    def __init__(self, wm: WeekModel, y_on: set, rc_count, a_on: set, z_on: frozenset | set = frozenset()):
        self.values: dict[int, int] = {}
        for lead, var in wm.y.items():
            self.values[var.index] = int(lead in y_on)
        for rooms, var in wm.rc.items():
            self.values[var.index] = rc_count.get(rooms, 0)
        for seat, var in wm.a.items():
            self.values[var.index] = int(seat in a_on)
        for co_lead, var in wm.z.items():
            self.values[var.index] = int(co_lead in z_on)


class ScheduleValues(Decisions):
    """A schedule's sessions as the model's decisions (sessions the model has no option for
    are left out)."""

    def __init__(self, wm: WeekModel, schedule: Schedule):
        by_key = wm.option_by_key
        room_class = wm.room_class
        self.values = {}
        for s in schedule.sessions:
            o = by_key.get((s.session_type, s.day, s.start))
            if o is None:
                continue
            leader = wm.y.get((o.index, s.staff_id))
            co_leader = wm.z.get((o.index, s.co_leader_id or ""))
            room = wm.rc.get((o.index, room_class.get(s.room_id, -1)))
            for var in (leader, co_leader, room):
                if var is not None:
                    self.values[var.index] = self.values.get(var.index, 0) + 1
            for pid in s.participants:
                var = wm.a.get((pid, o.index))
                if var is not None:
                    self.values[var.index] = 1


def _decision_vars(wm: WeekModel):
    return list(wm.y.values()) + list(wm.rc.values()) + list(wm.a.values()) + list(wm.z.values())


def hint_decisions(wm: WeekModel, values: Decisions) -> None:
    """Hint the model's decisions with a week's values (partial: `complete_hint` completes it)."""
    wm.model.clear_hints()
    indices = [var.index for var in _decision_vars(wm)]
    hint = wm.model.proto.solution_hint
    hint.vars.extend(indices)
    hint.values.extend([values.values.get(i, 0) for i in indices])


def hint_solution(wm: WeekModel, values: Decisions) -> bool:
    """Hint every variable with a solve's complete week (`SolverValues(complete=True)`) of this
    model; False (nothing hinted) when `values` holds no such week."""
    solution = getattr(values, "solution", None)
    if solution is None or len(solution) != len(wm.model.proto.variables):
        return False
    wm.model.clear_hints()
    hint = wm.model.proto.solution_hint
    hint.vars.extend(range(len(solution)))
    hint.values.extend(solution)
    return True
