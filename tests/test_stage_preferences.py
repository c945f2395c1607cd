"""Stage 2's CP-SAT search and the polish's share of its time (iopsched.solver.stage_preferences).

On the wall clock every CP-SAT worker of stage 2 is a large-neighbourhood search from the
polished week on a medium or larger model (docs/model.md, "Stage 2's CP-SAT: LNS only"); the
portfolio stays on smaller models (with its LP search), where the model may be infeasible
(--freeze), where there is no complete week to start from, and where the week must repeat
(--deterministic)."""

from __future__ import annotations

import time

from builders import make_program
from test_requirements_stage import _kind

from iopsched.cpsat.budget import Budget, SearchSettings, run_cp_sat
from iopsched.cpsat.extract import extract
from iopsched.cpsat.model import build
from iopsched.schedule import Schedule
from iopsched.solver.stage_preferences import (
    LNS_MIN_VARIABLES,
    POLISH_SHARE,
    POLISH_SHARE_PORTFOLIO,
    lns_only,
    polish_share,
)
from iopsched.validate import hard_rule_violations


def test_stage_two_searches_in_neighbourhoods_only_on_the_wall_clock_of_a_larger_model(tmp_path):
    wm = build(_kind(str(tmp_path), "mix", "medium", 1))
    assert len(wm.model.proto.variables) > LNS_MIN_VARIABLES
    wall, det = Budget(60.0, False, time.monotonic()), Budget(60.0, True, time.monotonic())
    assert lns_only(wm, wall, complete=True)
    assert not lns_only(wm, det, complete=True)  # the week must repeat
    assert not lns_only(wm, wall, complete=False)  # no complete week to start from
    wm.frozen.append(next(iter(wm.a.values())))  # --freeze: the model may be infeasible
    assert not lns_only(wm, wall, complete=True)
    small = build(_kind(str(tmp_path), "mix", "small", 1))  # the portfolio, with its LP search
    assert len(small.model.proto.variables) <= LNS_MIN_VARIABLES
    assert not lns_only(small, wall, complete=True)
    # the polish's share of stage 2: shorter where the portfolio follows on the wall clock (every
    # second of CP-SAT counts there); deterministic runs and the neighbourhood searches keep theirs
    assert POLISH_SHARE_PORTFOLIO < POLISH_SHARE
    assert polish_share(small, wall) == POLISH_SHARE_PORTFOLIO
    assert polish_share(small, det) == POLISH_SHARE
    assert polish_share(wm, wall) == POLISH_SHARE


def test_run_cp_sat_in_neighbourhoods_only_keeps_every_rule():
    program = make_program()
    wm = build(program)
    budget = Budget(5.0, False, time.monotonic())
    solver, _status = run_cp_sat(wm, budget, SearchSettings(workers=2, seed=0), 0.5)
    assert not solver.parameters.use_lns_only and solver.parameters.interleave_search
    # from the portfolio's week as the hint, the neighbourhood search starts from a solution
    m = wm.model
    for i in range(len(m.proto.variables)):
        var = m.get_int_var_from_proto_index(i)
        m.add_hint(var, solver.value(var))
    lns, status = run_cp_sat(wm, budget, SearchSettings(workers=2, seed=0), 1.0, lns_only=True)
    assert lns.parameters.use_lns_only and not lns.parameters.interleave_search
    assert lns.status_name(status) in ("OPTIMAL", "FEASIBLE")
    assert lns.objective_value <= solver.objective_value
    assert hard_rule_violations(program, Schedule(sessions=extract(wm, lns))) == []
