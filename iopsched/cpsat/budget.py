"""The command's time limit, shared by the stages, and CP-SAT runs within it.

Wall-clock mode (the default): `--time-limit` is the wall clock of the whole command, from
reading the workbook to the written file. Deterministic mode (`--deterministic`): CP-SAT
stops on deterministic time and the other work is reckoned from the program's size, so the
same input, config and seed give the same schedule (docs/model.md, 6 and 10).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from iopsched.cpsat.model import WeekModel

_LOG = logging.getLogger("iopsched.cpsat")

# CP-SAT's deterministic time against the wall clock on a 2-core laptop falls with the
# model's size (measured, docs/model.md 6): (variables, units per second), interpolated log-log.
DETERMINISTIC_RATE = ((16_000, 0.75), (24_000, 0.72), (60_000, 0.43), (174_000, 0.23), (466_000, 0.11))
# deterministic runs reckon the work outside CP-SAT from the program's size (measured on the
# same machine), so that they take about --time-limit: building a model, per variable; the
# greedy week, per participant and strategy; one participant's bound model
RECKON_BUILD = 2.2e-5
RECKON_GREEDY = 0.006
RECKON_BOUND_MODEL = 0.04
RECKON_CAPACITY = 0.2

def deterministic_per_second(variables: int) -> float:
    points = DETERMINISTIC_RATE
    v = max(1, variables)
    if v <= points[0][0]:
        return points[0][1]
    (v0, r0), (v1, r1) = next(((a, b) for a, b in itertools.pairwise(points) if v <= b[0]),
                              points[-2:])
    return r0 * (r1 / r0) ** (math.log(v / v0) / math.log(v1 / v0))


@dataclass
class Budget:
    """The command's time limit, shared by the stages.

    Wall-clock mode (default): `left()` is the limit minus the wall time since the command
    started, minus `reserve` (extracting and writing the schedule). Deterministic mode: CP-SAT
    stops on deterministic time (`deterministic_per_second` of the reckoned seconds), and
    `left()` counts only what was reckoned, so the same input gives the same schedule; the
    wall clock (twice the limit, at least 20 s more) is a guard."""

    limit: float
    deterministic: bool
    started_at: float
    reserve: float = 0.0
    reckoned: float = 0.0  # deterministic mode: seconds reckoned so far
    stopped_by_wall: bool = False

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def left(self) -> float:
        if self.deterministic:
            return max(0.0, self.limit - self.reckoned)
        return max(0.0, self.limit - self.elapsed() - self.reserve)

    def guard(self) -> float:
        """Wall seconds left before the deterministic mode's guard (a safety net for a very
        slow machine: a run that reaches it may not repeat)."""
        return max(0.1, max(2 * self.limit, self.limit + 20) - self.elapsed())

    def clock(self) -> float:
        """Seconds of this budget used so far: reckoned (deterministic mode) or wall; a
        search's share is measured on it, so that deterministic runs repeat."""
        return self.reckoned if self.deterministic else self.elapsed()

    def reckon(self, seconds: float) -> None:
        """Deterministic runs: count work outside CP-SAT, estimated from the program's size."""
        if self.deterministic:
            self.reckoned += seconds

    def configure(self, solver: cp_model.CpSolver, seconds: float, variables: int) -> None:
        """Stop the solver after `seconds` of this budget."""
        p = solver.parameters
        seconds = max(0.0, seconds)
        if self.deterministic:
            p.max_deterministic_time = max(0.01, seconds * deterministic_per_second(variables))
            p.max_time_in_seconds = self.guard()
        else:
            p.max_time_in_seconds = max(0.01, seconds)

    def charge(self, solver: cp_model.CpSolver, variables: int, seconds: float) -> None:
        """Reckon what a finished solve used (deterministic mode), at most its allowance."""
        if self.deterministic:
            used = solver.deterministic_time / deterministic_per_second(variables)
            self.reckoned += min(seconds, used)
            if solver.wall_time >= solver.parameters.max_time_in_seconds - 0.05:
                self.stopped_by_wall = True


class RunningSolve:
    """A CP-SAT solve that Ctrl-C (or the other search) may stop. CP-SAT 9.15 aborts the
    process (a failed check in postsolve) when stop_search() arrives while it loads the model
    after presolve, with a solution from the hint already reported; measured, under load, in
    11 of 12 Ctrl-C's. So a stop asked before CP-SAT's log says the search started waits for
    that line."""

    def __init__(self, solver: cp_model.CpSolver, echo: bool):
        self.solver, self.echo = solver, echo
        self.started = self.pending = False
        self.lock = threading.Lock()

    def on_log(self, line: str) -> None:
        if self.echo:  # the caller asked for CP-SAT's log: on the `iopsched.cpsat` logger
            _LOG.info(line)
        if not self.started and line.startswith("Starting") and " search at " in line:
            with self.lock:
                self.started = True
                if self.pending:
                    self.solver.stop_search()

    def stop(self) -> None:
        with self.lock:
            if self.started:
                self.solver.stop_search()
            else:
                self.pending = True


class StoppingCallback(cp_model.CpSolverSolutionCallback):
    """A solution callback that may end its search (`stop()`): through the running solve's
    hold, since the hint can be reported, and meet the callback's target, while CP-SAT still
    loads the model (RunningSolve)."""

    def __init__(self) -> None:
        super().__init__()
        self.running: RunningSolve | None = None  # set by run_cp_sat
        # deterministic budget on several workers: no stop, the search runs to its limit or
        # proof. A stop lands at a moment that depends on the threads' timing, so the week
        # would not repeat
        self.repeatable = False  # set by run_cp_sat

    def stop(self) -> None:
        if self.repeatable:
            return
        if self.running is not None:
            self.running.stop()
        else:
            self.stop_search()


@dataclass
class SearchSettings:
    workers: int
    seed: int
    log: bool = False
    interrupted: threading.Event = field(default_factory=threading.Event)
    # the solves now running (RunningSolve), so that Ctrl-C can stop them
    current: list = field(default_factory=list)

    def stop_running(self) -> None:
        """Stop every CP-SAT solve now running (each keeps its best solution)."""
        for running in list(self.current):
            running.stop()


# CP-SAT's workers for one search: a number, None (the settings'), or asked at each search
# (stage 1 gives CP-SAT one core while ruin and recreate runs beside it, both once it ends)
Workers = int | Callable[[], int | None] | None


def run_cp_sat(wm: WeekModel, budget: Budget, settings: SearchSettings, seconds: float, callback=None, *,
               workers: Workers = None, local_search: bool = False, presolve: bool = True,
               subsolvers: tuple[str, ...] = (), lns_only: bool = False
               ) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    solver = cp_model.CpSolver()
    p = solver.parameters
    if callable(workers):
        workers = workers()
    p.num_workers = settings.workers if workers is None else workers
    if local_search:
        p.use_ls_only = True  # feasibility jump / violation local search: finds packed weeks fast
        if budget.deterministic:  # its parallel workers do not repeat, interleaved or not (measured)
            p.num_workers = 1
    p.random_seed = settings.seed
    # the log tells when the search has started (RunningSolve); shown only when asked for
    p.log_search_progress = True
    p.log_to_stdout = False
    running = RunningSolve(solver, settings.log)
    solver.log_callback = running.on_log
    p.catch_sigint_signal = False
    # light presolve: the model is aggregated already; probing took longer than the search
    p.cp_model_probing_level = 0
    p.symmetry_level = 0
    p.max_presolve_iterations = 1
    # `presolve=False`: a neighbourhood, the others' attendance fixed: presolving the whole model took
    # 2 of the 4 s a neighbourhood gets, and the local search finds more on the model as it is
    # (adolescent, large, a neighbourhood of 52: 1-4 left short after 6 s presolved, 0-1 not)
    p.cp_model_presolve = presolve
    # interleaved search: CP-SAT's portfolio (LNS around the hint, full searches) on few cores,
    # repeatable on a deterministic budget
    p.interleave_search = True
    p.subsolvers.extend(subsolvers)
    if lns_only:
        # `lns_only`: every worker a large-neighbourhood search from the hint (a complete week), none
        # a complete search (the subsolvers above are not run): no proof and no bound, but on two
        # cores and a medium model 10-20 % lower objectives in the same time (stage 2 on the wall
        # clock: docs/model.md, "Stage 2's CP-SAT: LNS only")
        p.use_lns_only = True
        p.interleave_search = False
    # CP-SAT 9.15 aborts (`Check failed: heuristics.fixed_search != nullptr`) when the
    # interleaved search, with a hint, finds the model infeasible while max_lp still loads
    # (week to week: last week's weeks kept, no seat left for a changed participant).
    # Measured on a 6-pigeon, 5-hole model: aborts with max_lp, INFEASIBLE without.
    p.ignore_subsolvers.append("max_lp")
    variables = len(wm.model.proto.variables)
    budget.configure(solver, seconds, variables)
    if isinstance(callback, StoppingCallback):
        # (one worker: the stop lands where the search is, and repeats)
        callback.running, callback.repeatable = running, budget.deterministic and p.num_workers != 1
    settings.current.append(running)
    try:
        status = solver.solve(wm.model, callback) if callback is not None else solver.solve(wm.model)
    finally:
        settings.current.remove(running)
    budget.charge(solver, variables, seconds)
    return solver, status
