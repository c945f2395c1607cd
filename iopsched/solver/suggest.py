"""Suggest a change that lets unmet participants meet their requirements, checked by re-solving.

For every participant with a shortfall (`requirements.shortfalls`) the data says what is
missing and who could provide it:

(a) extra availability for a staff member holding the needed role (the session type's
    `staff_role` for a missing service; the role leading the participant's eligible groups
    for days and hours), on a day and at a time the participant is free
    (`explain.free_windows`). The staff member already working nearest to that time that
    day is preferred, then the one with the fewest hours; the window extends their shift
    where it can and avoids the sessions they already lead;
(b) an extra room of the needed kind (capacity: the largest `max_size` of the types
    concerned) when rooms look like the bottleneck: at the times the participant could
    attend, a leader is free but every fitting room is taken at least as often as not;
(c) when the participant's own free time is the cause (too few days on which their free
    time holds the daily minimum, or too few hours in the week), no program change helps:
    the suggestion is to ask the participant about another day, naming the days that come
    closest. These are marked `verified=False`: there is nothing to re-solve.

Candidates of (a) and (b) are ranked by how many unmet participants they might help;
at most `max_candidates` are tried. Each is applied to a copy of the program
(`dataclasses.replace`: a new window in `Staff.windows`, or a new `Room`) and re-solved
with `solve(changed, time_limit=..., workers=2, seed=0)`. A suggestion is kept only when
some of the participants it names become fully met and nobody who was fully met becomes
unmet. When the given schedule's requirements were not proven (stage 1 of the solve did not
reach its bound), the unchanged program is first re-solved with a longer limit
(`LONGER` times the re-solve limit): a participant that re-solve meets is not credited to
any change, and when it meets everyone the bound allows, that is the suggestion (a longer
--time-limit, not more staff or rooms, is what the week needs).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from iopsched.analysis.explain import free_windows, subtract
from iopsched.analysis.requirements import EPS, Shortfall, minutes_by_day, shortfalls
from iopsched.domain import (
    Participant,
    Program,
    Room,
    SessionType,
    Staff,
    Window,
    blocked,
    day_name,
    eligible,
    hhmm,
)
from iopsched.schedule import Schedule

Interval = tuple[int, int]
SolveFn = Callable[[Program], Schedule]

FAR = 24 * 60  # distance used when a staff member does not work that day at all
PER_NEED = 3  # staff candidates kept per unmet requirement (one per day, best days first)
SAME_GROUP_TRIES = 2  # re-solves spent on candidates that might help the same participants
HOUR_REQUIREMENTS = ("days", "day_hours", "week_hours")
LEADERS_PER_DAY = 4  # leaders tried in detail per day, after a cheap first ranking
LONGER = 3  # the unproven week's re-solve gets this many times the re-solve limit
SHARED_SESSIONS = 4  # one-to-one sessions a single added window is sized for, at most


@dataclass(frozen=True)
class Suggestion:
    """One suggested change and whom it helps.

    `participants` are the participants the (re-solved) change lets meet every requirement;
    for an unverified suggestion, the participant it is about. `change` names the data to
    add ("StaffAvailability: M1 Mon 13:00-13:30", "Rooms: NEW1 capacity 10 group").
    `program` and `schedule` are the changed program and its re-solved week (None when not
    verified).
    """

    text: str
    participants: tuple[str, ...]
    change: str
    verified: bool
    program: Program | None = field(default=None, repr=False, compare=False)
    schedule: Schedule | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Need:
    """An unmet requirement that more leader time (or a room) could serve."""

    participant_id: str
    requirement: str  # days | day_hours | week_hours | <session type>
    day: int | None  # the day for day_hours
    role: str
    minutes: int  # the shortest session that serves it
    length: int  # leader minutes to add
    types: tuple[SessionType, ...]  # the session types that serve it
    kind: str  # the room kind it needs


@dataclass
class Candidate:
    """A program change worth a re-solve."""

    program: Program
    change: str
    what: str  # the sentence's start: "adding prescriber hours for M1 on Mon 13:00-13:30 (...)"
    helped: tuple[str, ...]  # unmet participants it might help, in program order
    rank: tuple  # tie-break among candidates helping as many participants
    key: tuple  # identity: ("staff", staff_id, day) or ("room", kind)


# --- small helpers -----------------------------------------------------------------------------


def names(ids: Iterable[str]) -> str:
    """'P17', 'P17 and P22', 'P03, P17 and P22'."""
    ids = list(ids)
    if len(ids) <= 1:
        return "".join(ids)
    return ", ".join(ids[:-1]) + " and " + ids[-1]


def _hours(h: float) -> str:
    return f"{round(h, 2):g} h"


def _ceil_slot(minutes: float, slot: int) -> int:
    return math.ceil(minutes / slot - EPS) * slot


def _union(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _overlap(a: Interval, b: Interval) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _distance(a: Interval, b: Interval) -> int:
    """Minutes between two intervals (0 when they touch or overlap)."""
    return max(0, b[0] - a[1], a[0] - b[1])


def own_day_hours(program: Program, p: Participant) -> dict[int, float]:
    """Per open day, the hours p's own time could hold (eligible types, commitments; no staff)."""
    r = program.rules
    out: dict[int, float] = {}
    for day in r.days:
        if not p.in_program(day, program.week_start):
            out[day] = 0.0
            continue
        covered = []
        for st in program.session_types:
            if not (eligible(p, st) and st.counts_toward_hours) or st.daily_max == 0:
                continue
            for start in range(r.open, r.close - st.minutes + 1, r.slot_minutes):
                if not blocked(p, day, start, start + st.minutes, r.travel_buffer_minutes):
                    covered.append((start, start + st.minutes))
        minutes = sum(hi - lo for lo, hi in _union(covered))
        out[day] = min(minutes / 60, p.day_hours_max)
    return out


def _met(program: Program, schedule: Schedule) -> set[str]:
    short = {s.participant_id for s in shortfalls(program, schedule)}
    return {p.participant_id for p in program.participants} - short


class _Busy:
    """What the schedule already uses: staff and room time, staff load."""

    def __init__(self, schedule: Schedule):
        self.staff: dict[tuple[str, int], list[Interval]] = defaultdict(list)
        self.room: dict[tuple[str, int], list[Interval]] = defaultdict(list)
        self.week: Counter[str] = Counter()
        self.day: Counter[tuple[str, int]] = Counter()
        for s in schedule.sessions:
            self.staff[s.staff_id, s.day].append((s.start, s.end))
            self.room[s.room_id, s.day].append((s.start, s.end))
            self.week[s.staff_id] += s.end - s.start
            self.day[s.staff_id, s.day] += s.end - s.start

    def staff_free(self, sid: str, day: int, w: Interval) -> bool:
        return not any(_overlap(w, b) for b in self.staff.get((sid, day), ()))

    def room_free(self, rid: str, day: int, w: Interval) -> bool:
        return not any(_overlap(w, b) for b in self.room.get((rid, day), ()))

    def at_cap(self, s: Staff, day: int, minutes: int) -> bool:
        """Could s not lead `minutes` more that day (their daily or weekly maximum)?"""
        if s.max_hours_week is not None and self.week[s.staff_id] + minutes > s.max_hours_week * 60:
            return True
        day_max = s.max_hours_day
        return day_max is not None and self.day[s.staff_id, day] + minutes > day_max * 60


# --- what is missing ---------------------------------------------------------------------------


@dataclass
class _Person:
    p: Participant
    shorts: list[Shortfall]
    own: dict[int, float]
    free: dict[int, list[Interval]]
    days: dict[int, list[Interval]]  # attended sessions by day


def _group_types(p: Participant) -> Callable[[SessionType], bool]:
    def serves(t: SessionType) -> bool:
        return (eligible(p, t) and t.is_group and t.counts_toward_hours and t.daily_max != 0
                and t.weekly_max != 0 and t.minutes <= p.day_hours_max * 60)
    return serves


def _own_time_days(program: Program, x: _Person) -> list[int]:
    """Days on which p's own free time holds the daily minimum."""
    return [d for d in program.rules.days if x.own[d] + EPS >= x.p.day_hours_min]


def needs_of(program: Program, x: _Person) -> list[Need]:
    """The unmet requirements of one participant that leader time could serve."""
    p, r = x.p, program.rules
    pid = p.participant_id
    groups = [t for t in program.session_types if _group_types(p)(t)]
    by_role: dict[str, list[SessionType]] = defaultdict(list)
    for t in groups:
        by_role[t.staff_role].append(t)
    types = program.type_by_name()
    out: list[Need] = []

    def hour_needs(requirement: str, day: int | None, missing_minutes: float) -> None:
        for role, ts in by_role.items():
            shortest = min(t.minutes for t in ts)
            length = max(shortest, _ceil_slot(missing_minutes, r.slot_minutes))
            length = min(length, max(shortest, int(p.day_hours_max * 60)))
            out.append(Need(pid, requirement, day, role, shortest, length, tuple(ts), "group"))

    for s in x.shorts:
        if s.requirement == "days":
            if len(_own_time_days(program, x)) < p.days_min:
                continue  # their own time: (c)
            hour_needs("days", None, p.day_hours_min * 60)
        elif s.requirement == "day_hours":
            if s.day is None or x.own.get(s.day, 0) + EPS < p.day_hours_min:
                continue
            hour_needs("day_hours", s.day, (s.required - s.scheduled) * 60)
        elif s.requirement == "week_hours":
            if sum(sorted(x.own.values(), reverse=True)[: p.days_max]) + EPS < p.week_hours_min:
                continue
            hour_needs("week_hours", None, (s.required - s.scheduled) * 60)
        elif (lacking := types.get(s.requirement)) is not None:
            out.append(Need(pid, lacking.name, None, lacking.staff_role, lacking.minutes, lacking.minutes,
                            (lacking,), lacking.kind))
    return out


def own_time_suggestions(program: Program, x: _Person) -> list[Suggestion]:
    """(c): the participant's own time is why days (or weekly hours) fall short."""
    p = x.p
    pid = p.participant_id
    r = program.rules
    possible = _own_time_days(program, x)
    open_days = [d for d in r.days if p.in_program(d, program.week_start)]
    others = sorted((d for d in open_days if d not in possible), key=lambda d: (-x.own[d], d))

    def closest(days: list[int]) -> str:
        parts = []
        for d in days[:3]:
            busy = [str(c) for c in p.commitments if c.day == d]
            parts.append(f"{day_name(d)} ({_hours(x.own[d])} fit"
                         + (f"; {', '.join(busy)}" if busy else "") + ")")
        return ", ".join(parts)

    out = []
    reqs = {s.requirement for s in x.shorts}
    if "days" in reqs and len(possible) < p.days_min:
        listed = ", ".join(day_name(d) for d in possible) or "none"
        text = (f"ask {pid} about another day: no program change helps, their free time holds "
                f"{_hours(p.day_hours_min)} on only {len(possible)} "
                f"day{'s' if len(possible) != 1 else ''} ({listed}) and they need {p.days_min}")
        if others:
            text += f"; closest: {closest(others)}"
        out.append(Suggestion(text, (pid,), "participant availability", False))
    if "week_hours" in reqs and not out:
        ub = sum(sorted(x.own.values(), reverse=True)[: p.days_max])
        if ub + EPS < p.week_hours_min:
            short = sorted(open_days, key=lambda d: (x.own[d] >= p.day_hours_max, -x.own[d], d))
            text = (f"ask {pid} about more time: no program change helps, their free time holds at "
                    f"most {_hours(ub)} a week and they need {_hours(p.week_hours_min)}")
            if short:
                text += f"; closest: {closest(short)}"
            out.append(Suggestion(text, (pid,), "participant availability", False))
    return out


# --- candidates --------------------------------------------------------------------------------


def _fit(need: Need, w: Interval, day: int, x: _Person, max_gap: int) -> int:
    """How well a new leader window sits in the participant's week (0 best)."""
    sessions = x.days.get(day, [])
    if need.requirement == "days":
        return 0 if not sessions else 2
    if not sessions:
        return 1 if need.requirement == "week_hours" else 2
    block = (min(a for a, _ in sessions), max(b for _, b in sessions))
    if any(_overlap(w, s) for s in sessions) or _distance(w, block) > max_gap:
        return 1
    return 0


def _usual_start(s: Staff) -> int | None:
    starts = Counter(w.start for w in s.windows)
    return starts.most_common(1)[0][0] if starts else None


def _leader_key(s: Staff, need: Need, x: _Person, day: int, busy: _Busy) -> tuple | None:
    """A cheap first ranking of a leader for a day: None when they could add nothing there."""
    own = [(w.start, w.end) for w in s.windows if w.day == day]
    usable = [f for f in x.free.get(day, []) if f[1] - f[0] >= need.minutes
              and not any(lo <= f[0] and f[1] <= hi for lo, hi in own)]
    if not usable:
        return None
    primary = 0 if (need.kind not in ("individual", "family")
                    or x.p.primary_therapist in (None, s.staff_id)) else 1
    gap = min((_distance(f, o) for f in usable for o in own), default=FAR)
    return (busy.at_cap(s, day, need.minutes), primary, gap, sum(w.minutes for w in s.windows),
            s.staff_id)


def _best_on_day(program: Program, need: Need, x: _Person, busy: _Busy, day: int) -> tuple | None:
    """The best (score, staff, day, window) on one day: nearest leader, then fewest hours."""
    r = program.rules
    keyed = []
    for s in program.staff:
        if need.role in s.roles and (k := _leader_key(s, need, x, day, busy)) is not None:
            keyed.append((k, s))
    keyed.sort(key=lambda ks: ks[0])
    best = None
    for (cap, primary, _, total, _), s in keyed[:LEADERS_PER_DAY]:
        own = [(w.start, w.end) for w in s.windows if w.day == day]
        usual = _usual_start(s)
        for a, b in x.free.get(day, []):
            first = a + (-(a - r.open)) % r.slot_minutes
            length = min(need.length, b - first)
            if length < need.minutes:
                continue
            for start in range(first, b - length + 1, r.slot_minutes):
                w = (start, start + length)
                if any(lo <= w[0] and w[1] <= hi for lo, hi in own):
                    continue  # already available then: no change
                clash = sum(_overlap(w, i) for i in busy.staff.get((s.staff_id, day), ()))
                gap = min((_distance(w, o) for o in own), default=FAR)
                anchor = abs(start - usual) if (not own and usual is not None) else 0
                score = (cap, primary, clash, _fit(need, w, day, x, r.max_gap_minutes), gap,
                         total, anchor, start, s.staff_id)
                if best is None or score < best[0]:
                    best = (score, s, day, w)
    return best


def staff_options(program: Program, need: Need, x: _Person, busy: _Busy,
                  cache: dict | None = None) -> list[tuple]:
    """The best (score, staff, day, window) per day for one need, best days first.

    `cache` shares the answer between participants whose need, free time and sessions
    that day are the same (large programs have many).
    """
    cache = {} if cache is None else cache
    p = x.p
    category = need.requirement if need.requirement in ("days", "week_hours") else "other"
    per_day: list[tuple] = []
    for day in program.rules.days:
        if need.day is not None and day != need.day:
            continue
        if not p.in_program(day, program.week_start):
            continue
        key = (need.role, need.minutes, need.length, need.kind, category, day,
               tuple(x.free.get(day, ())), tuple(sorted(x.days.get(day, ()))),
               p.primary_therapist if need.kind in ("individual", "family") else None)
        if key not in cache:
            cache[key] = _best_on_day(program, need, x, busy, day)
        if cache[key] is not None:
            per_day.append(cache[key])
    per_day.sort(key=lambda c: c[0])
    return per_day[:PER_NEED]


def _with_window(program: Program, s: Staff, day: int, w: Interval) -> tuple[Program, Interval]:
    """The program with s available in w on day (merged with the windows it touches)."""
    touching = [o for o in s.windows if o.day == day and _distance(w, (o.start, o.end)) == 0]
    lo = min([w[0]] + [o.start for o in touching])
    hi = max([w[1]] + [o.end for o in touching])
    kept = [o for o in s.windows if o not in touching]
    windows = tuple(sorted([*kept, Window(day, lo, hi)], key=lambda o: (o.day, o.start, o.end)))
    staff = tuple(replace(x, windows=windows) if x.staff_id == s.staff_id else x
                  for x in program.staff)
    return replace(program, staff=staff), (lo, hi)


def _might_help_staff(s: Staff, day: int, w: Interval, need: Need, x: _Person,
                      program: Program) -> bool:
    if need.role not in s.roles or (need.day is not None and need.day != day):
        return False
    if not x.p.in_program(day, program.week_start):
        return False
    return any(_overlap(w, f) >= need.minutes for f in x.free.get(day, []))


def _what(need: Need, length: int) -> str:
    if need.requirement in HOUR_REQUIREMENTS:
        t = min(need.types, key=lambda t: (t.minutes, t.name))
        n = max(1, length // t.minutes)
        return f"time for {n} group session{'s' if n != 1 else ''} such as {t.name}"
    n = max(1, length // need.minutes)
    if n == 1:
        return f"a {need.requirement} session"
    return f"time for {n} {need.requirement} sessions"


def widened(needs: list[Need]) -> list[Need]:
    """One-to-one services: leader time for every participant missing the same type (up to 4)."""
    count = Counter(n.requirement for n in needs if n.kind != "group"
                    and n.requirement not in HOUR_REQUIREMENTS)
    return [replace(n, length=n.minutes * min(SHARED_SESSIONS, count[n.requirement]))
            if count[n.requirement] > 1 else n for n in needs]


def staff_candidates(program: Program, people: dict[str, _Person], needs: list[Need],
                     busy: _Busy) -> list[Candidate]:
    order = {p.participant_id: i for i, p in enumerate(program.participants)}
    seen: dict[tuple, Candidate] = {}
    cache: dict = {}
    by_pid: dict[str, list[Need]] = defaultdict(list)
    for need in needs:
        by_pid[need.participant_id].append(need)
    for need in needs:
        x = people[need.participant_id]
        for score, s, day, w in staff_options(program, need, x, busy, cache):
            key = ("staff", s.staff_id, day, w)
            if key in seen:
                continue
            helped = {pid for pid, ns in by_pid.items()
                      if any(_might_help_staff(s, day, w, n, people[pid], program) for n in ns)}
            changed, merged = _with_window(program, s, day, w)
            new = subtract(w, [(o.start, o.end) for o in s.windows if o.day == day])
            shown = new[0] if len(new) == 1 else w
            detail = _what(need, w[1] - w[0])
            if shown != w:
                detail += f" in {hhmm(w[0])}-{hhmm(w[1])}"
            what = (f"adding {need.role} hours for {s.staff_id} on {day_name(day)} "
                    f"{hhmm(shown[0])}-{hhmm(shown[1])} ({detail})")
            change = (f"StaffAvailability: {s.staff_id} {day_name(day)} "
                      f"{hhmm(merged[0])}-{hhmm(merged[1])}")
            if merged != w:
                change += " (extends " + ", ".join(
                    f"{hhmm(o.start)}-{hhmm(o.end)}" for o in s.windows
                    if o.day == day and _distance(w, (o.start, o.end)) == 0) + ")"
            seen[key] = Candidate(changed, change, what,
                                  tuple(sorted(helped, key=order.__getitem__)),
                                  (1, *score), ("staff", s.staff_id, day))
    return list(seen.values())


class _Slots:
    """Per (session type, day, start): is a leader available and free, is a fitting room free?"""

    def __init__(self, program: Program, busy: _Busy):
        self.program = program
        self.busy = busy
        self.state: dict[tuple[str, int, int], tuple[bool, bool]] = {}

    def __call__(self, t: SessionType, day: int, start: int) -> tuple[bool, bool]:
        key = (t.name, day, start)
        if key not in self.state:
            w = (start, start + t.minutes)
            leader = any(t.staff_role in s.roles and s.available(day, *w)
                         and self.busy.staff_free(s.staff_id, day, w) for s in self.program.staff)
            room = any(t.kind in rm.kinds and rm.fits(t.min_size)
                       and self.busy.room_free(rm.room_id, day, w) for rm in self.program.rooms)
            self.state[key] = (leader, room)
        return self.state[key]


def rooms_look_busy(program: Program, need: Need, x: _Person, slots: _Slots) -> bool:
    """Where p could attend, is a leader free but every fitting room taken (as often as not)?"""
    r = program.rules
    blocked_rooms = free_both = 0
    for t in need.types:
        for day in r.days:
            if not x.p.in_program(day, program.week_start):
                continue
            for start in range(r.open, r.close - t.minutes + 1, r.slot_minutes):
                if blocked(x.p, day, start, start + t.minutes, r.travel_buffer_minutes):
                    continue
                leader, room = slots(t, day, start)
                if leader and room:
                    free_both += 1
                elif leader:
                    blocked_rooms += 1
    return blocked_rooms > 0 and blocked_rooms >= free_both


def room_candidates(program: Program, people: dict[str, _Person], needs: list[Need],
                    busy: _Busy) -> list[Candidate]:
    order = {p.participant_id: i for i, p in enumerate(program.participants)}
    flagged: dict[str, list[Need]] = defaultdict(list)
    slots = _Slots(program, busy)
    seen: dict[tuple, bool] = {}
    for need in needs:
        key = (need.participant_id, need.types)
        if key not in seen:
            seen[key] = rooms_look_busy(program, need, people[need.participant_id], slots)
        if seen[key]:
            flagged[need.kind].append(need)
    out = []
    taken = {rm.room_id for rm in program.rooms}
    for kind, ns in sorted(flagged.items()):
        capacity = max(t.max_size for n in ns for t in n.types)
        i = 1
        while f"NEW{i}" in taken:
            i += 1
        room = Room(f"NEW{i}", capacity, frozenset({kind}))
        taken.add(room.room_id)
        helped = sorted({n.participant_id for n in ns}, key=order.__getitem__)
        out.append(Candidate(
            replace(program, rooms=(*program.rooms, room)),
            f"Rooms: {room.room_id} capacity {capacity} {kind}",
            f"adding a {kind} room seating {capacity} ({room.room_id})",
            tuple(helped), (0,), ("room", kind)))
    return out


# --- the suggestion ----------------------------------------------------------------------------


def _people(program: Program, schedule: Schedule, short: list[Shortfall]) -> dict[str, _Person]:
    by_pid: dict[str, list[Shortfall]] = defaultdict(list)
    for s in short:
        by_pid[s.participant_id].append(s)
    people = {}
    for p in program.participants:
        if p.participant_id not in by_pid:
            continue
        people[p.participant_id] = _Person(
            p, by_pid[p.participant_id], own_day_hours(program, p),
            {d: free_windows(program, p, d) for d in program.rules.days},
            dict(minutes_by_day(schedule, p.participant_id)))
    return people


def candidates(program: Program, schedule: Schedule) -> tuple[list[Candidate], list[Suggestion]]:
    """The ranked changes worth a re-solve, and the unverified (c) suggestions."""
    people = _people(program, schedule, shortfalls(program, schedule))
    busy = _Busy(schedule)
    needs = widened([n for x in people.values() for n in needs_of(program, x)])
    found = (room_candidates(program, people, needs, busy)
             + staff_candidates(program, people, needs, busy))
    found = [c for c in found if c.helped]
    found.sort(key=lambda c: (-len(c.helped), c.rank))
    unverified = [s for x in people.values() for s in own_time_suggestions(program, x)]
    return found, unverified


def accepted(before_met: set[str], after_met: set[str], listed: Iterable[str],
             already_met: frozenset[str] | set[str] = frozenset()) -> tuple[str, ...]:
    """The listed participants a change lets meet everything; () if anyone loses their minimum."""
    if before_met - after_met:
        return ()
    return tuple(pid for pid in listed if pid in after_met and pid not in before_met | already_met)


def suggest(program: Program, schedule: Schedule, *, time_limit: float = 5.0,
            max_candidates: int = 6, solve_fn: SolveFn | None = None,
            longer_fn: SolveFn | None = None) -> list[Suggestion]:
    """Changes that let unmet participants meet their requirements, each checked by a re-solve.

    Verified suggestions come first, in the order tried; the (c) suggestions about a
    participant's own time follow (verified=False). `solve_fn` replaces the re-solve
    (tests); by default `solve(changed, time_limit=time_limit, workers=2, seed=0)`;
    `longer_fn` the longer re-solve of the unchanged program (LONGER x time_limit).
    """
    found, unverified = candidates(program, schedule)
    if not found or max_candidates <= 0:
        return unverified
    if solve_fn is None:
        from iopsched.solver.solve import solve

        def default_fn(limit: float) -> SolveFn:
            return lambda changed: solve(changed, time_limit=limit, workers=2, seed=0)

        solve_fn = default_fn(time_limit)
        longer_fn = longer_fn or default_fn(LONGER * time_limit)
    longer_fn = longer_fn or solve_fn

    before_met = _met(program, schedule)
    baseline: set[str] = set()
    if schedule.summary.get("requirements_status", schedule.summary.get("status")) != "OPTIMAL":
        # first a longer solve of the program as it is: staff or rooms only where that falls short
        again = longer_fn(program)
        if again.sessions:
            baseline = _met(program, again) - before_met
            s = again.summary
            if baseline and s.get("participants_fully_met") == s.get("upper_bound_fully_met"):
                longer = Suggestion(f"a longer solve (--time-limit {LONGER * time_limit:g} or more) lets "
                                    f"{names(tuple(sorted(baseline)))} meet their minimum; no change to staff "
                                    "or rooms is needed", tuple(sorted(baseline)), "--time-limit", True,
                                    program, again)
                return [longer, *unverified]

    out: list[Suggestion] = []
    gained_all: set[str] = set()
    tried_keys: set[tuple] = set()
    tries_per_group: Counter[tuple[str, ...]] = Counter()
    tried = 0
    for c in found:
        if tried >= max_candidates:
            break
        hopeful = [pid for pid in c.helped if pid not in gained_all and pid not in baseline]
        if not hopeful or c.key in tried_keys or tries_per_group[c.helped] >= SAME_GROUP_TRIES:
            continue
        tried += 1
        tried_keys.add(c.key)
        tries_per_group[c.helped] += 1
        result = solve_fn(c.program)
        if not result.sessions:
            continue
        gained = accepted(before_met, _met(c.program, result), hopeful, baseline)
        if not gained:
            continue
        gained_all.update(gained)
        out.append(Suggestion(f"{c.what} lets {names(gained)} meet their minimum", gained,
                              c.change, True, c.program, result))
    return out + unverified
