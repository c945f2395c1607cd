"""A phase of the local search (ruin and recreate) run for a share of the solve's time budget.

On a deterministic budget the phase gets a number of moves reckoned from the measured cost
of one (`iteration_seconds`), and the budget is charged for the moves it ran, so the week
repeats; on the wall clock it runs until a deadline (or its patience runs out)."""

from __future__ import annotations

from collections.abc import Callable

from iopsched.cpsat.budget import Budget
from iopsched.heuristic import MAX_ITERATIONS, RuinRecreate, default_patience


def run_for(rr: RuinRecreate, phase: Callable[..., object], seconds: float, budget: Budget, cost: float,
            stop: Callable[[], bool], *, patience: int | None = None, at_least: int = 1) -> float:
    """Run `phase` (`rr.run` or `rr.polish`) for `seconds` of `budget`, moves costing `cost`
    seconds each; `stop`: end early (Ctrl-C, the target reached). `patience`: moves without
    progress before it stops (default: `default_patience` of the moves `seconds` buys).
    Returns the seconds it used (reckoned on a deterministic budget)."""
    moves = max(at_least, int(seconds / cost))
    patience = default_patience(moves) if patience is None else patience
    before = rr.iterations
    if budget.deterministic:
        rr.stop = stop
        phase(moves, patience=patience)
        used = (rr.iterations - before) * cost
        budget.reckoned += used
        return used
    start = budget.clock()
    deadline = start + seconds
    rr.stop = lambda: stop() or budget.clock() >= deadline
    phase(MAX_ITERATIONS * 10, patience=patience)
    return budget.clock() - start
