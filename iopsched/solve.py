"""Solve a program week: build the model, run CP-SAT, turn the answer into a plain `Schedule`.

Determinism: CP-SAT runs with `interleave_search` (its deterministic parallel mode:
the same model, seed and parameters give the same search whatever the number of
workers) and stops on a *deterministic* time budget, so the same input, config and
seed give the same schedule on any machine. A wall-clock limit of 1.5 times --time-limit
(at least 10 s more) only guards against a slow or loaded machine; the Summary's `stopped_by`
says which limit ended the search.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model, cp_model_helper

from iopsched import __version__
from iopsched.bounds import counting_bound
from iopsched.conflicts import check_pinned
from iopsched.domain import Program
from iopsched.errors import InputError, Problem
from iopsched.explain import unmet_rows
from iopsched.greedy import greedy_hint
from iopsched.model import Option, PinnedConflict, WeekModel, build, effective_capacity
from iopsched.schedule import Schedule, Session

# Full searches beside CP-SAT's LNS workers (docs/model.md, 6). The LP search gives the only
# bound worth reporting, but on a large model one of its tasks runs for a minute and, in the
# deterministic interleaved search, holds every other worker back: it runs only on small models.
SUBSOLVERS = ("default_lp", "no_lp")
LP_MAX_VARIABLES = 40_000


# CP-SAT's deterministic time against the wall clock on a 2-core laptop falls with the
# model's size. Measured in `make bench` runs (2026-12-01, this search), as (variables,
# units per second): 20, 60, 150 and 400 participants. The budget interpolates between
# them (log-log) so a solve takes about --time-limit seconds.
DETERMINISTIC_RATE = ((24_000, 0.9), (65_000, 0.57), (174_000, 0.31), (466_000, 0.15))


def deterministic_per_second(variables: int) -> float:
    points = DETERMINISTIC_RATE
    v = max(1, variables)
    if v <= points[0][0]:
        return points[0][1]
    # the segment holding v; beyond the last point, the last segment extended
    (v0, r0), (v1, r1) = next(((a, b) for a, b in zip(points, points[1:], strict=False) if v <= b[0]),
                              points[-2:])
    return r0 * (r1 / r0) ** (math.log(v / v0) / math.log(v1 / v0))


STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.UNKNOWN: "UNKNOWN",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
}


@dataclass
class Progress:
    elapsed: float
    objective: float
    bound: float
    gap: float
    solutions: int
    fully_met: int
    participants: int
    phase: str = "search"  # "local search" while the greedy week is improved, then "search" (CP-SAT)


def gap_of(objective: float, bound: float) -> float:
    if objective is None:
        return float("nan")
    return abs(objective - bound) / max(1.0, abs(objective))


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, wm: WeekModel, report: Callable[[Progress], None] | None, start: float,
                 floor: float = 0.0):
        super().__init__()
        self.floor = floor  # the counting bound (iopsched.bounds), when above CP-SAT's
        self.wm = wm
        self.report = report
        self.solutions = 0
        self.start = start  # the start of solve(): times include the model build and the greedy
        self.first_all_met: float | None = None
        self.first_solution: float | None = None

    def on_solution_callback(self) -> None:
        self.solutions += 1
        now = time.monotonic() - self.start
        if self.first_solution is None:
            self.first_solution = now
        met = sum(
            1 for pid, shorts in self.wm.shortfalls.items() if all(self.value(v) == 0 for _, _, v in shorts)
        )
        if met == len(self.wm.shortfalls) and self.first_all_met is None:
            self.first_all_met = now
        if self.report:
            obj, bound = self.objective_value, max(self.floor, self.best_objective_bound)
            self.report(Progress(now, obj, bound, gap_of(obj, bound), self.solutions, met,
                                 len(self.wm.shortfalls)))


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
) -> Schedule:
    """Solve the week. Always returns a Schedule (empty when no schedule was found)."""
    t0 = time.monotonic()
    check_pinned(program)
    try:
        wm = build(program, previous, freeze)
    except PinnedConflict as exc:
        raise InputError(Problem(f"pinned session cannot run: {exc.why}", file=program.source_path,
                                 sheet="Pinned", row=exc.pin.row or None)) from None
    build_seconds = time.monotonic() - t0
    limit, n_workers, seed_ = solver_parameters(program, time_limit, workers, seed)
    solver = cp_model.CpSolver()
    interrupted = threading.Event()
    catch = interruptible and threading.current_thread() is threading.main_thread()
    with _ctrl_c_stops(solver, interrupted, catch):
        schedule = _search(program, wm, solver, interrupted=interrupted, t0=t0, build_seconds=build_seconds,
                           limit=limit, n_workers=n_workers, seed_=seed_, progress=progress, previous=previous,
                           freeze=freeze, threaded=catch, log=log)
    if schedule is None:
        # --freeze: last week's assignments cannot all be kept together: keep them as a strong preference
        weights = dict(program.rules.weights, stability=program.rules.weights.get("stability", 100) * 10)
        relaxed = replace(program, rules=replace(program.rules, weights=weights))
        schedule = solve(relaxed, time_limit=time_limit, workers=workers, seed=seed, progress=progress,
                         previous=previous, freeze=None, interruptible=interruptible, log=log)
        schedule.summary["freeze"] = f"{freeze}: relaxed to a preference (the frozen assignments conflict)"
    return schedule


def _search(program: Program, wm: WeekModel, solver: cp_model.CpSolver, *, interrupted: threading.Event,
            t0: float, build_seconds: float, limit: float, n_workers: int, seed_: int,
            progress: Callable[[Progress], None] | None, previous: Schedule | None, freeze: str | None,
            threaded: bool, log: bool) -> Schedule | None:
    """The local search, then CP-SAT from its week (in a thread when `threaded`, so Ctrl-C
    reaches the main thread). None: --freeze made the model infeasible."""
    n_people = len(program.participants)
    counted = counting_bound(wm)
    floor = counted["bound"]

    def report(objective: int, met: int) -> None:
        if progress:
            progress(Progress(time.monotonic() - t0, objective, floor, gap_of(objective, floor), 0, met, n_people,
                              phase="local search"))

    first = greedy_hint(wm, previous, seed=seed_, time_limit=limit, report=report, stop=interrupted.is_set)
    if wm.frozen:  # --freeze: keep last week's assignments that can still run
        wm.model.add_bool_and(wm.frozen)

    p = solver.parameters
    p.num_workers = n_workers
    p.random_seed = seed_
    # deterministic parallel search: LNS around the hint plus full searches
    p.interleave_search = True
    n_vars = len(wm.model.proto.variables)
    p.subsolvers.extend(SUBSOLVERS if n_vars <= LP_MAX_VARIABLES else [x for x in SUBSOLVERS if x != "default_lp"])
    # light presolve: the model is already aggregated (no symmetry left to find) and
    # the full presolve took longer than the search itself on 60 participants
    p.cp_model_probing_level = 0
    p.symmetry_level = 0
    p.max_presolve_iterations = 1
    # the search gets what the local search left of the limit (at least half of it)
    p.max_deterministic_time = (max(0.5 * limit, limit - first["reckoned_seconds"])
                                * deterministic_per_second(n_vars))
    p.max_time_in_seconds = max(1.5 * limit, limit + 10)  # a guard only: see the module docstring
    p.log_search_progress = log
    cb = _Callback(wm, progress, t0, floor)

    ran = not interrupted.is_set()  # Ctrl-C during the local search: its week is the result
    if not ran:
        status = cp_model.UNKNOWN
    elif threaded:
        status = _solve_in_thread(solver, wm, cb)
    else:
        status = solver.solve(wm.model, cb)
    if wm.frozen and status == cp_model.INFEASIBLE:
        return None
    wall = time.monotonic() - t0
    name = STATUS.get(status, "UNKNOWN")
    has_solution = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    values = solver
    if not has_solution and first.get("complete") and not wm.frozen:
        # the search ended before its first solution (Ctrl-C or a very short limit):
        # the greedy week, which keeps every hard rule, is the best schedule we have
        values, has_solution, name = _HintValues(wm), True, "FEASIBLE"
    sessions = extract(wm, values) if has_solution else []
    schedule = Schedule(sessions=sessions)
    schedule.unmet = unmet_rows(program, schedule) if has_solution else []
    obj = values.objective_value if has_solution else None
    cp_bound = solver.best_objective_bound if values is solver else 0.0
    bound = max(cp_bound, counted["bound"])
    if name == "FEASIBLE" and obj is not None and obj <= bound + 1e-9:
        name = "OPTIMAL"  # the counting bound proves the schedule optimal
    if interrupted.is_set():
        stopped_by = "interrupt"
    elif name == "OPTIMAL" or name == "INFEASIBLE":
        stopped_by = "proof"
    elif ran and solver.wall_time >= p.max_time_in_seconds - 0.05 * limit:
        stopped_by = "wall_clock_limit"
    else:
        stopped_by = "time_limit"
    # the first schedule (with every requirement met): the greedy's and local search's, or CP-SAT's
    met_times = [x for x in (cb.first_all_met, first["all_met_at"] and first["all_met_at"] - t0) if x]
    all_met = min(met_times) if met_times else None
    first_at = first["built_at"] - t0 if first.get("complete") else cb.first_solution
    summary: dict[str, object] = {
        "status": name,
        "objective": obj if obj is not None else "",
        "best_bound": bound,
        "cp_sat_bound": cp_bound,
        "counting_bound": counted["bound"],  # iopsched.bounds: group sessions and staff load counted
        "gap": round(gap_of(obj, bound), 6) if obj is not None else "",
        "solve_seconds": round(solver.wall_time, 3) if ran else 0.0,
        "total_seconds": round(wall, 3),
        "build_seconds": round(build_seconds, 3),
        "first_solution_seconds": round(first_at, 3) if first_at is not None else "",
        "all_met_seconds": round(all_met, 3) if all_met is not None else "",
        "participants": len(program.participants),
        # the Unmet rows were just derived from the schedule: whoever has none is fully met
        "participants_fully_met": (len(program.participants) - len({u.participant_id for u in schedule.unmet})
                                   if has_solution else 0),
        "sessions": len(sessions),
        "stopped_by": stopped_by,
        "solutions_found": cb.solutions,
        "greedy_unmet_units": first.get("unmet_units", ""),
        "greedy_seconds": round(first.get("seconds", 0.0), 3),
    }
    for term, exprs in wm.terms.items():
        value = int(sum(values.value(e) for e in exprs)) if has_solution and exprs else 0
        summary[f"objective.{term}"] = value
        summary[f"weight.{term}"] = program.rules.weights.get(term, 0)
    summary.update({
        "variables": n_vars,
        "constraints": len(wm.model.proto.constraints),
        "time_limit_seconds": limit,
        "workers": n_workers,
        "seed": seed_,
        "input_sha256": program.source_sha256,
        "iopsched_version": __version__,
        "ortools_version": _ortools_version(),
    })
    if previous is not None and has_solution:
        from iopsched.continuity import week_changes

        summary.update(week_changes(wm, previous, schedule))
        if freeze:
            summary["freeze"] = freeze
    schedule.summary = summary
    return schedule


class _HintValues:
    """Reads the complete hint (the greedy week) like a solver reads a solution."""

    def __init__(self, wm: WeekModel):
        hint = wm.model.proto.solution_hint
        self.by_index = dict(zip(hint.vars, hint.values, strict=True))
        proto = wm.model.proto.objective
        self.objective_value = proto.offset + sum(
            c * self.by_index.get(v, 0) for v, c in zip(proto.vars, proto.coeffs, strict=True))

    def value(self, expr) -> int:
        if isinstance(expr, int):
            return expr
        flat = cp_model_helper.FlatIntExpr(expr)
        return flat.offset + sum(c * self.by_index.get(v.index, 0) for v, c in zip(flat.vars, flat.coeffs,
                                                                                    strict=True))


def _solve_in_thread(solver, wm: WeekModel, cb) -> int:
    """Solve in a worker thread so the main thread can take Ctrl-C (see `_ctrl_c_stops`)."""
    solver.parameters.catch_sigint_signal = False  # it aborted in interleaved search when early
    result: dict[str, int] = {}

    def work() -> None:
        result["status"] = solver.solve(wm.model, cb)

    thread = threading.Thread(target=work, name="cp-sat", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.2)
    return result.get("status", cp_model.UNKNOWN)


@contextlib.contextmanager
def _ctrl_c_stops(solver, interrupted: threading.Event, catch: bool):
    """While solving, Ctrl-C ends the search cleanly instead of raising KeyboardInterrupt: the
    local search stops after its current move (its week is kept), CP-SAT stops and keeps its
    best solution. CP-SAT's own SIGINT handling is switched off in `_solve_in_thread`."""
    if not catch:
        yield
        return

    def stop(signum, frame) -> None:
        interrupted.set()
        solver.stop_search()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _ortools_version() -> str:
    try:
        import ortools

        return ortools.__version__
    except Exception:  # pragma: no cover
        return ""


# --- extraction: aggregated option values -> individual sessions -------------------------------


def extract(wm: WeekModel, solver: cp_model.CpSolver) -> list[Session]:
    prog = wm.program
    pins_at: dict[tuple[str, int, int], list] = defaultdict(list)
    for pin in prog.pinned:
        pins_at[pin.session_type, pin.day, pin.start].append(pin)
    room_class = {room.room_id: ci for ci, c in enumerate(wm.classes) for room in c.rooms}
    drafts = []  # (option, staff, class index, participants, pinned room or None, pinned flag)
    for o in wm.options:
        leaders = [s for s in o.staff if solver.value(wm.y[o.index, s])]
        if not leaders:
            continue
        classes = []
        for ci in o.classes:
            classes += [ci] * solver.value(wm.rc[o.index, ci])
        people = sorted(pid for pid, _ in _attendees(wm, solver, o))
        pins = pins_at.get((o.stype.name, o.day, o.start), [])
        drafts += _split(wm, solver, o, leaders, classes, people, pins, room_class)
    sessions = _assign_rooms(wm, drafts)
    return sessions


def _attendees(wm: WeekModel, solver, o: Option):
    for p in wm.program.participants:
        v = wm.a.get((p.participant_id, o.index))
        if v is not None and solver.value(v):
            yield p.participant_id, v


def _split(wm, solver, o: Option, leaders, classes, people, pins, room_class):
    """Split an option's n sessions into (leader, room class, participants) copies."""
    t = o.stype
    copies = []  # dicts: staff, ci, members, room (pinned) , pinned
    free_staff = list(leaders)
    free_classes = list(classes)
    assigned: set[str] = set()
    for pin in pins:
        free_staff.remove(pin.staff_id)
        ci = room_class[pin.room_id]
        free_classes.remove(ci)
        members = list(pin.participants)
        assigned |= set(members)
        copies.append({"staff": pin.staff_id, "ci": ci, "members": members, "room": pin.room_id, "pinned": True})
    if not t.is_group:
        _pair_one_to_one(wm, solver, o, copies, free_staff, free_classes, people, assigned)
        return [(o, c) for c in copies]
    for staff, ci in zip(free_staff, free_classes, strict=False):
        copies.append({"staff": staff, "ci": ci, "members": [], "room": None, "pinned": False})
    # sizes: lower bounds first, then water-fill up to each room's effective capacity
    caps = [effective_capacity(wm.classes[c["ci"]], t) for c in copies]
    sizes = [max(t.min_size, len(c["members"])) for c in copies]
    total = len(people)
    while sum(sizes) < total:
        best = min((i for i in range(len(copies)) if sizes[i] < caps[i]), key=lambda i: (sizes[i], i))
        sizes[best] += 1
    rest = [pid for pid in people if pid not in assigned]
    for c, size in zip(copies, sizes, strict=True):
        need = size - len(c["members"])
        c["members"] += rest[:need]
        rest = rest[need:]
    return [(o, c) for c in copies]


def _pair_one_to_one(wm, solver, o, copies, free_staff, free_classes, people, assigned) -> None:
    """Non-group option: one participant per leader; primary therapists get their own clients."""
    rest = [pid for pid in people if pid not in assigned]
    open_pins = {c["staff"]: c for c in copies if not c["members"]}
    pairs = []
    participants = wm.program.participant_by_id()
    for pid in list(rest):
        ap = wm.a_primary.get((pid, o.index))
        if ap is None or not solver.value(ap):
            continue
        prim = participants[pid].primary_therapist
        if prim in open_pins:
            open_pins.pop(prim)["members"] = [pid]
            rest.remove(pid)
        elif prim in free_staff:
            free_staff.remove(prim)
            rest.remove(pid)
            pairs.append((prim, pid))
    for c in open_pins.values():  # a pinned session without a named participant
        if rest:
            c["members"] = [rest.pop(0)]
    pairs += list(zip(free_staff, rest, strict=False))
    for (staff, pid), ci in zip(pairs, free_classes, strict=False):
        copies.append({"staff": staff, "ci": ci, "members": [pid], "room": None, "pinned": False})


def _assign_rooms(wm: WeekModel, drafts) -> list[Session]:
    """Give each session a concrete room: interval colouring per room class and day."""
    by_class_day: dict[tuple[int, int], list] = defaultdict(list)
    for o, c in drafts:
        by_class_day[c["ci"], o.day].append((o, c))
    for (ci, _day), items in by_class_day.items():
        rooms = [r.room_id for r in wm.classes[ci].rooms]
        busy_until = {r: -1 for r in rooms}
        items.sort(key=lambda oc: (oc[0].start, oc[0].end, oc[0].stype.name, oc[1]["staff"]))
        for o, c in items:
            if c["room"] is not None:
                busy_until[c["room"]] = o.end
                continue
            room = next(r for r in rooms if busy_until[r] <= o.start)
            busy_until[room] = o.end
            c["room"] = room
    sessions = []
    drafts.sort(key=lambda oc: (oc[0].day, oc[0].start, oc[0].stype.name, oc[1]["staff"]))
    counter: dict[tuple[int, int], int] = defaultdict(int)
    from iopsched.domain import day_name

    for o, c in drafts:
        counter[o.day, o.start] += 1
        sid = f"{day_name(o.day)}-{o.start // 60:02d}{o.start % 60:02d}-{counter[o.day, o.start]:02d}"
        sessions.append(Session(sid, o.stype.name, o.stype.kind, o.day, o.start, o.end, c["staff"], c["room"],
                                tuple(sorted(c["members"])), c["pinned"]))
    return sessions
