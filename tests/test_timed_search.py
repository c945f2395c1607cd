"""A phase of the local search on the solve's time budget (iopsched.solver.timed_search):
a reckoned number of moves on a deterministic budget, a deadline on the wall clock."""

from __future__ import annotations

import time

from iopsched.cpsat.budget import Budget
from iopsched.heuristic import MAX_ITERATIONS, default_patience
from iopsched.solver.timed_search import run_for


class _Moves:
    """Stands in for RuinRecreate: counts the moves a phase runs until `stop` says so."""

    def __init__(self, pause: float = 0.0):
        self.iterations = 0
        self.stop = lambda: False
        self.pause = pause
        self.asked: list[tuple[int, int | None]] = []

    def phase(self, iterations: int, patience: int | None = None) -> None:
        self.asked.append((iterations, patience))
        for _ in range(iterations):
            if self.stop():
                break
            self.iterations += 1
            time.sleep(self.pause)


def test_a_deterministic_budget_runs_the_moves_the_seconds_buy_and_reckons_them():
    budget = Budget(60.0, True, time.monotonic())
    rr = _Moves()
    used = run_for(rr, rr.phase, 1.0, budget, 0.01, lambda: False)
    assert rr.asked == [(100, default_patience(100))] and rr.iterations == 100
    assert used == budget.reckoned == 1.0
    # stopped early (Ctrl-C, everyone met): only the moves run are reckoned
    rr2 = _Moves()
    used2 = run_for(rr2, rr2.phase, 1.0, budget, 0.01, lambda: rr2.iterations >= 30,
                    patience=7)
    assert rr2.asked == [(100, 7)] and rr2.iterations == 30
    assert abs(used2 - 0.3) < 1e-9 and abs(budget.reckoned - 1.3) < 1e-9
    # too little time for one move: at_least (the polish may run none)
    rr3 = _Moves()
    assert run_for(rr3, rr3.phase, 0.001, budget, 0.01, lambda: False, at_least=0) == 0.0
    assert rr3.asked == [(0, default_patience(0))]


def test_the_wall_clock_runs_until_the_deadline():
    budget = Budget(60.0, False, time.monotonic())
    rr = _Moves(pause=0.005)
    used = run_for(rr, rr.phase, 0.2, budget, 0.01, lambda: False)
    assert rr.asked == [(MAX_ITERATIONS * 10, default_patience(20))]
    assert 0 < rr.iterations < MAX_ITERATIONS * 10  # the deadline stopped it, not the moves
    assert used >= 0.2 and budget.reckoned == 0.0
