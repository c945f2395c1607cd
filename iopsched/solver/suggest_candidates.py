"""`--suggest`'s candidates: a staff member's added window or an added room that might let
short participants meet their requirements, ranked by how many they might help."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import replace

from iopsched.analysis.explain import subtract
from iopsched.domain import (
    Program,
    Room,
    SessionType,
    Staff,
    Window,
    blocked,
    day_name,
    hhmm,
)
from iopsched.solver.suggest_needs import (
    FAR,
    HOUR_REQUIREMENTS,
    LEADERS_PER_DAY,
    PER_NEED,
    SHARED_SESSIONS,
    Busy,
    Candidate,
    Interval,
    Need,
    Person,
    distance,
    overlap,
)

# --- candidates --------------------------------------------------------------------------------


def _fit(need: Need, w: Interval, day: int, x: Person, max_gap: int) -> int:
    """How well a new leader window sits in the participant's week (0 best)."""
    sessions = x.days.get(day, [])
    if need.requirement == "days":
        return 0 if not sessions else 2
    if not sessions:
        return 1 if need.requirement == "week_hours" else 2
    block = (min(a for a, _ in sessions), max(b for _, b in sessions))
    if any(overlap(w, s) for s in sessions) or distance(w, block) > max_gap:
        return 1
    return 0


def _usual_start(s: Staff) -> int | None:
    starts = Counter(w.start for w in s.windows)
    return starts.most_common(1)[0][0] if starts else None


def _leader_key(s: Staff, need: Need, x: Person, day: int, busy: Busy) -> tuple | None:
    """A cheap first ranking of a leader for a day: None when they could add nothing there."""
    own = [(w.start, w.end) for w in s.windows if w.day == day]
    usable = [f for f in x.free.get(day, []) if f[1] - f[0] >= need.minutes
              and not any(lo <= f[0] and f[1] <= hi for lo, hi in own)]
    if not usable:
        return None
    primary = 0 if (need.kind not in ("individual", "family")
                    or x.p.primary_therapist in (None, s.staff_id)) else 1
    gap = min((distance(f, o) for f in usable for o in own), default=FAR)
    return (busy.at_cap(s, day, need.minutes), primary, gap, sum(w.minutes for w in s.windows),
            s.staff_id)


def _best_on_day(program: Program, need: Need, x: Person, busy: Busy, day: int) -> tuple | None:
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
                clash = sum(overlap(w, i) for i in busy.staff.get((s.staff_id, day), ()))
                gap = min((distance(w, o) for o in own), default=FAR)
                anchor = abs(start - usual) if (not own and usual is not None) else 0
                score = (cap, primary, clash, _fit(need, w, day, x, r.max_gap_minutes), gap,
                         total, anchor, start, s.staff_id)
                if best is None or score < best[0]:
                    best = (score, s, day, w)
    return best


def staff_options(program: Program, need: Need, x: Person, busy: Busy,
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
    touching = [o for o in s.windows if o.day == day and distance(w, (o.start, o.end)) == 0]
    lo = min([w[0]] + [o.start for o in touching])
    hi = max([w[1]] + [o.end for o in touching])
    kept = [o for o in s.windows if o not in touching]
    windows = tuple(sorted([*kept, Window(day, lo, hi)], key=lambda o: (o.day, o.start, o.end)))
    staff = tuple(replace(x, windows=windows) if x.staff_id == s.staff_id else x
                  for x in program.staff)
    return replace(program, staff=staff), (lo, hi)


def _might_help_staff(s: Staff, day: int, w: Interval, need: Need, x: Person,
                      program: Program) -> bool:
    if need.role not in s.roles or (need.day is not None and need.day != day):
        return False
    if not x.p.in_program(day, program.week_start):
        return False
    return any(overlap(w, f) >= need.minutes for f in x.free.get(day, []))


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


def staff_candidates(program: Program, people: dict[str, Person], needs: list[Need],
                     busy: Busy) -> list[Candidate]:
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
                    if o.day == day and distance(w, (o.start, o.end)) == 0) + ")"
            seen[key] = Candidate(changed, change, what,
                                  tuple(sorted(helped, key=order.__getitem__)),
                                  (1, *score), ("staff", s.staff_id, day))
    return list(seen.values())


class _Slots:
    """Per (session type, day, start): is a leader available and free, is a fitting room free?"""

    def __init__(self, program: Program, busy: Busy):
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


def rooms_look_busy(program: Program, need: Need, x: Person, slots: _Slots) -> bool:
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


def room_candidates(program: Program, people: dict[str, Person], needs: list[Need],
                    busy: Busy) -> list[Candidate]:
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


