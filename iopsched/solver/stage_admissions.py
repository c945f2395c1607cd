"""The admissions stage (issue 19): referrals admitted after the requirements of those in
care and before every preference (docs/model.md, 13).

Given stage 1's week of the participants in care, on the requirements model of the
participants *and* every referral (`model.build(preferences=False)`):
- everyone in care keeps what stage 1 gave them: per participant, no more shortfall units
  than in the stage-1 week (so whoever stage 1 fully met stays fully met) - a constraint;
- a referral is all or nothing: admitted (`met`) means every requirement met, not admitted
  means no session at all;
- the objective is lexicographic by priority (1 first): the most admissions of priority 1,
  then of priority 2, ...; inside one priority, the most admissions, then the earlier
  referral dates. One weighted objective where the weights fit (a higher priority's single
  admission outweighs every admission below it), else in chunks of priorities, each solved
  and then kept as a constraint.
The stage-1 week with no referral is feasible. The greedy places the referrals into it one
at a time in rank order, keeping each one that is fully met without anyone in care losing a
unit, and that week is CP-SAT's hint. Referrals that the bound (`upper_bound`) proves
unmeetable alone are never admitted.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from iopsched.cpsat.budget import (
    RECKON_BOUND_MODEL,
    RECKON_BUILD,
    RECKON_GREEDY,
    Budget,
    SearchSettings,
    StoppingCallback,
    run_cp_sat,
)
from iopsched.cpsat.hints import complete_hint
from iopsched.cpsat.model import UNMET_UNITS, WeekModel, build, unit_kind
from iopsched.cpsat.values import (
    Decisions,
    GreedyValues,
    ScheduleValues,
    SolverValues,
    hint_decisions,
)
from iopsched.domain import Program, Referral
from iopsched.heuristic import Greedy, decisions, iteration_seconds
from iopsched.heuristic.admit import Admitter
from iopsched.schedule import Schedule
from iopsched.solver.progress import Progress
from iopsched.solver.stage_requirements import Requirements
from iopsched.solver.upper_bound import requirements_bound

# the admissions stage may use this share of the time left when it starts (stage 2 the rest)
ADMISSIONS_SHARE = 0.6
# of that, the share of requiring the referrals one at a time (CP-SAT's complete search with
# the NEIGHBOURS participants sharing the most of their times re-planned, at least
# INSERT_SECONDS_MIN each), before the lexicographic objective on the whole model
REQUIRED_SHARE = 0.7
NEIGHBOURS = 10
INSERT_SECONDS_MIN = 3.0
# the heuristic's share of the stage (before CP-SAT), and its moves per referral: measured on
# mix medium (60 in care, 6 referrals), a referral the moves admit is admitted within about 60
HEURISTIC_SHARE = 0.5
MOVES_MIN = 10
MOVES_MAX = 60
# the weights of one objective stay below this (CP-SAT's objective is exact well beyond it);
# priorities whose weights would not fit are solved in further chunks
MAX_WEIGHT = 2**32


@dataclass
class Admissions:
    """What the admissions stage reached."""

    admitted: tuple[str, ...]  # referral ids, in rank order
    waitlisted: tuple[str, ...]  # ... the others, in rank order
    hopeless: frozenset[str]  # referrals no schedule can meet even alone (the bound)
    proven: bool  # no schedule admits a better set (in the lexicographic order)
    method: str  # greedy | cp-sat | none
    seconds: float  # the stage's own time
    chunks: int  # objectives solved in turn (1 when the weights fit one)
    requirements: Requirements  # stage 1's result, carried over to the program with the admitted
    care_units: dict[str, int] = field(default_factory=dict)  # stage-1 units of each in care (the caps)


def whole_program(program: Program) -> Program:
    """Participants and every referral, as participants (the admissions model's program)."""
    return replace(program, participants=program.participants + tuple(r.participant for r in program.referrals),
                   referrals=())


def ranked(program: Program) -> list[Referral]:
    """The referrals in order of admission: priority (1 first), referral date, id."""
    return sorted(program.referrals, key=Referral.rank_key)


def admissions_stage(program: Program, req: Requirements, budget: Budget, settings: SearchSettings, *,
                     report: Callable[[Progress], None] | None = None,
                     extract: Callable[[WeekModel, object], list]) -> Admissions:
    """Admit the most referrals, by priority then referral date, without anyone in care losing
    what stage 1 gave them. `extract(wm, values)` turns model values into sessions.

    Long on purpose: the stage's steps share one clock and one best week, and read in the
    order they run (the bound, the heuristic insertion, the neighbourhoods, the objective)."""
    start = budget.elapsed()
    order = ranked(program)
    ids = [r.referral_id for r in order]
    care = [p.participant_id for p in program.participants]
    wm = build(whole_program(program), preferences=False)
    m = wm.model
    budget.reckon(RECKON_BUILD * len(m.proto.variables))
    units_of = {pid: [UNMET_UNITS[unit_kind(r)] * v for r, _d, v in shorts] for pid, shorts in wm.shortfalls.items()}

    waiting = set(ids)
    _all_or_nothing(wm, waiting)
    # the bound: a referral no schedule can meet, even with the program to themselves
    bound = requirements_bound(whole_program(program), wm, only=waiting)
    hopeless = frozenset(rid for rid in ids if not bound.meetable(rid))
    budget.reckon(RECKON_BOUND_MODEL * bound.models)
    for rid in hopeless:
        m.add(wm.met[rid] == 0)

    # the stage-1 week (no referral in it), counted as the model counts shortfall units
    g = Greedy(wm)
    g.place_pinned()
    g.load(req.schedule.sessions)
    caps = {pid: 0 if pid in req.met else g.person_units(g.people[pid]) for pid in care}
    for pid, cap in caps.items():
        if units_of.get(pid):
            # nobody in care loses what stage 1 gave them: per participant, no more shortfall
            # units than in the stage-1 week (0 for whoever it fully met)
            m.add(sum(units_of[pid]) <= cap)

    # the heuristic: each referral in rank order into the stage-1 week, their blocks and
    # services, then a short ruin and recreate aimed at them (heuristic/admit.py); kept when
    # fully met with nobody in care above their units, else taken out again
    _insert(g, caps, ids, hopeless, budget, settings, len(wm.program.participants))
    best: Decisions = GreedyValues(wm, *decisions(g))
    units = sum(g.person_units(g.people[pid]) for pid in care)
    adm_set = _admitted(wm, best, waiting)
    method = "greedy"
    chunks = _chunks(order, hopeless)
    proven = set(ids) - hopeless <= adm_set
    if not proven and not settings.interrupted.is_set():
        # the lexicographic objective on the whole model, from the greedy week; the shortfall
        # units of the referrals, below one admission, lead the search towards more
        hint_decisions(wm, best)
        if not complete_hint(wm):  # (the greedy week broke a rule the model keeps: the stage-1 week)
            hint_decisions(wm, ScheduleValues(wm, req.schedule))
            complete_hint(wm)
        referral_units = [e for rid in ids for e in units_of.get(rid, [])]
        scale = 1 + sum(_upper(wm, e) for e in referral_units)
        seconds = budget.left() * ADMISSIONS_SHARE
        # first each referral left out, in rank order, required with those admitted, on a
        # neighbourhood (stage 1's complete search on the whole model found none in 16 s on
        # mix medium)
        began = budget.clock()
        m.proto.clear_objective()
        out = [rid for rid in ids if rid not in hopeless and rid not in adm_set]
        for i, rid in enumerate(out):
            left = seconds * REQUIRED_SHARE - (budget.clock() - began)
            if left < 0.3 or settings.interrupted.is_set():
                break
            found_week = _required(wm, best, adm_set | {rid}, _sharing(wm, best, rid), budget, settings,
                                   max(min(left, INSERT_SECONDS_MIN), left / (len(out) - i)))
            if found_week is not None:
                best, adm_set, method = found_week, adm_set | {rid}, "cp-sat (one at a time)"
                hint_decisions(wm, best)
        seconds = max(0.0, seconds - (budget.clock() - began))
        complete_hint(wm)
        spent = 0.0
        proven = set(ids) - hopeless <= adm_set  # everyone meetable admitted: nothing is better
        for i, chunk in enumerate([] if proven else chunks):
            part = (seconds - spent) / (len(chunks) - i)
            began = budget.clock()
            score = sum(w * wm.met[rid] for rid, w in chunk)
            m.proto.clear_objective()
            m.maximize(scale * score - sum(referral_units))
            target = scale * sum(w for _rid, w in chunk)
            solver, status = run_cp_sat(wm, budget, settings, part, _Target(target))
            spent += budget.clock() - began
            if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                proven = False
                break
            found = sum(w * solver.value(wm.met[rid]) for rid, w in chunk)
            # (at least the hint's score: the referrals' units weigh less than one admission)
            adm_set = {rid for rid in ids if solver.value(wm.met[rid])}
            best, method = SolverValues(solver, wm), "cp-sat"
            units = sum(int(solver.value(e)) for pid in care for e in units_of.get(pid, []))
            # proven: CP-SAT's bound says no week scores more (a score one higher would reach
            # scale * (found + 1) - (scale - 1), the referrals' units being below scale)
            proven = (i == 0 or proven) and (status == cp_model.OPTIMAL
                                             or solver.best_objective_bound < scale * found + 1 - 1e-6)
            m.add(score >= found)  # the earlier priorities keep what they reached
            hint_decisions(wm, best)
            if settings.interrupted.is_set():
                proven = False
                break
    best = _without(wm, best, waiting - adm_set)
    admitted = tuple(rid for rid in ids if rid in adm_set)
    carried = replace(
        req, schedule=Schedule(sessions=extract(wm, best)), met=req.met | adm_set, units=units,
        upper_bound_fully_met=req.upper_bound_fully_met + len(admitted), wm=None, unit_caps=dict(caps),
        without_kept_fully_met=(None if req.without_kept_fully_met is None
                                else req.without_kept_fully_met + len(admitted)))
    if report:
        n = len(program.participants) + len(admitted)
        report(Progress(budget.elapsed(), 0, 0, 0.0, 0, len(carried.met), n, phase="admissions",
                        admitted=len(admitted), referrals=len(ids)))
    return Admissions(admitted=admitted, waitlisted=tuple(rid for rid in ids if rid not in adm_set),
                      hopeless=hopeless, proven=proven, method=method, seconds=budget.elapsed() - start,
                      chunks=len(chunks), requirements=carried, care_units=caps)


def _insert(g: Greedy, caps: dict[str, int], ids: list[str], hopeless: frozenset[str], budget: Budget,
            settings: SearchSettings, n: int) -> set[str]:
    """The heuristic's admissions into the greedy week `g` (stage 1's), in rank order; returns
    those admitted. Its moves are counted, never timed (deterministic runs repeat): at most
    HEURISTIC_SHARE of the time left, MOVES_MAX per referral; reckoned at the local search's
    measured cost per move. In wall-clock mode it also stops at its share of the wall clock."""
    meetable = [rid for rid in ids if rid not in hopeless]
    if not meetable:
        return set()
    cost = iteration_seconds(n)
    share = budget.left() * ADMISSIONS_SHARE * HEURISTIC_SHARE
    per = max(MOVES_MIN, min(MOVES_MAX, int(share / cost / len(meetable))))
    end = budget.elapsed() + share
    deadline = [end]  # wall-clock mode: each referral's share of what is left of the heuristic's

    def stop() -> bool:
        return settings.interrupted.is_set() or (not budget.deterministic and budget.elapsed() > deadline[0])

    admitter = Admitter(g, caps, seed=settings.seed, stop=stop)
    admitted = set()
    for i, rid in enumerate(meetable):
        deadline[0] = budget.elapsed() + max(0.0, end - budget.elapsed()) / (len(meetable) - i)
        if admitter.admit(rid, per):
            admitted.add(rid)
        if settings.interrupted.is_set():
            break
    budget.reckon(RECKON_GREEDY * len(meetable) + cost * admitter.moves)
    return admitted


def _sharing(wm: WeekModel, values: Decisions, rid: str) -> set[str]:
    """The referral and up to NEIGHBOURS others with the most sessions at the (day, slot)s
    where the referral could attend something."""
    reach: set[tuple[int, int]] = set()
    for (pid, oi) in wm.a:
        if pid == rid:
            o = wm.options[oi]
            reach.update((o.day, o.slot + k) for k in range(o.length))
    count: dict[str, int] = {}
    for (pid, oi), var in wm.a.items():
        o = wm.options[oi]
        if pid != rid and values.value(var) and any((o.day, o.slot + k) in reach for k in range(o.length)):
            count[pid] = count.get(pid, 0) + 1
    return {rid, *sorted(count, key=lambda pid: (-count[pid], pid))[:NEIGHBOURS]}


def _required(wm: WeekModel, values: Decisions, required: set[str], free: set[str], budget: Budget,
              settings: SearchSettings, seconds: float) -> Decisions | None:
    """CP-SAT's complete search for a week admitting every `required` referral, the stage's
    constraints kept, only the participants in `free` re-planned (everyone else's
    attendance fixed at `values`, hinted)."""
    forced = [wm.met[rid].index for rid in required]
    fixed = [(var.index, values.value(var)) for (pid, _oi), var in wm.a.items() if pid not in free]
    with wm.narrowed(at_least_one=forced, fixed=fixed):
        solver, status = run_cp_sat(wm, budget, settings, seconds)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return SolverValues(solver, wm)


def _all_or_nothing(wm: WeekModel, referrals: set[str]) -> None:
    """A referral is admitted (`met`: every requirement met) or attends nothing. While the
    search runs, a referral not (yet) admitted may hold seats, which leads it towards weeks
    that admit more, but counts toward no group's minimum size and holds no service session,
    so that the week without them holds every rule (`_without`)."""
    m = wm.model
    attendees: dict[int, list] = {}
    theirs: dict[int, list] = {}
    for (pid, oi), a in wm.a.items():
        if pid not in referrals:
            attendees.setdefault(oi, []).append(a)
            continue
        # z: attends and is admitted
        z = m.new_bool_var(f"admitted_{pid}_{oi}")
        m.add_implication(z, a)
        m.add_implication(z, wm.met[pid])
        m.add_bool_or([~a, ~wm.met[pid], z])
        theirs.setdefault(oi, []).append(z)
    for oi, zs in theirs.items():
        o = wm.options[oi]
        counted = sum(attendees.get(oi, [])) + sum(zs)
        if o.stype.is_group:
            # rule 5 without the referrals not admitted: min_size of the group's sessions
            m.add(counted >= o.stype.min_size * wm.option_sessions(o))
        else:
            # rule 5: a service session holds one participant, in care or admitted
            m.add(counted == wm.option_sessions(o))


def _without(wm: WeekModel, values: Decisions, referrals: set[str]) -> Decisions:
    """The week without these referrals' seats (by `_all_or_nothing`, it holds every rule)."""
    out = Decisions()
    out.values = dict(values.values)
    for (pid, _oi), a in wm.a.items():
        if pid in referrals:
            out.values[a.index] = 0
    return out


def _upper(wm: WeekModel, expr) -> int:
    """The largest value of a (coefficient x shortfall variable) expression."""
    from ortools.sat.python import cp_model_helper

    flat = cp_model_helper.FlatIntExpr(expr)
    domains = wm.model.proto.variables
    return sum(c * domains[v.index].domain[len(domains[v.index].domain) - 1]
               for v, c in zip(flat.vars, flat.coeffs, strict=True))


def _admitted(wm: WeekModel, values: Decisions, referrals: set[str]) -> set[str]:
    """The referrals with a session in the week (admitted: the constraints make them fully met)."""
    return {pid for (pid, _oi), a in wm.a.items() if pid in referrals and values.value(a)}


def _chunks(order: list[Referral], hopeless: frozenset[str]) -> list[list[tuple[str, int]]]:
    """The lexicographic objective as weights: [(referral id, weight)] per chunk, most urgent
    priorities first. Inside a priority of k referrals (by referral date, then id), an
    admission is worth B = k(k+1)/2 + 1 and the j-th earliest (from 0) a bonus of k - j
    (all bonuses together less than one admission: the most admissions first, then the
    earliest dates); a priority's weight exceeds the most that every priority after it in the
    chunk can score. A chunk closes before its highest score would pass MAX_WEIGHT."""
    levels = [[r.referral_id for r in group if r.referral_id not in hopeless]
              for _priority, group in itertools.groupby(order, key=lambda r: r.priority)]
    levels = [level for level in levels if level]
    chunks: list[list[list[str]]] = []
    for level in levels:
        if chunks and _top(chunks[-1] + [level]) <= MAX_WEIGHT:
            chunks[-1].append(level)
        else:
            chunks.append([level])
    out = []
    for chunk in chunks:
        weighted = []
        for level, w in zip(chunk, _weights(chunk), strict=True):
            k = len(level)
            weighted += [(rid, w * (_admission(k) + k - j)) for j, rid in enumerate(level)]
        out.append(weighted)
    return out


def _admission(k: int) -> int:
    """The worth of one admission in a priority of k referrals: more than all date bonuses."""
    return k * (k + 1) // 2 + 1


def _level_max(k: int) -> int:
    return k * _admission(k) + k * (k + 1) // 2


def _weights(levels: list[list[str]]) -> list[int]:
    """Each priority's weight: one more than the highest score of every priority after it."""
    weights = []
    w = 1
    for level in reversed(levels):
        weights.append(w)
        w *= _level_max(len(level)) + 1
    return weights[::-1]


def _top(levels: list[list[str]]) -> int:
    return sum(w * _level_max(len(level)) for w, level in zip(_weights(levels), levels, strict=True))


class _Target(StoppingCallback):
    """Stops the search once every referral of the chunk is admitted (nothing can be better)."""

    def __init__(self, target: int):
        super().__init__()
        self.target = target

    def on_solution_callback(self) -> None:
        if self.objective_value >= self.target - 0.5:
            self.stop()
