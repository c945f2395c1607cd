"""A greedy first schedule, given to CP-SAT as a complete hint.

Participants are placed one at a time, most constrained first. Each attended day gets
a *block*: consecutive sessions of different types from one start time, joining a
session already opened when it has a seat (fuller groups) and opening a new one when a
leader and a room are free. Individual, family and medication sessions are put right
before or after a block. Groups that end below their minimum size are dissolved, and
so is any participant day that dissolving breaks (gap or order). The result keeps every
hard rule, so CP-SAT starts from a feasible schedule and only has to improve it.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from iopsched.domain import PREFERRED_WINDOWS, Participant, weekly_min_for
from iopsched.model import Option, WeekModel, effective_capacity, high_tier


def _outside(p: Participant, start: int) -> bool:
    """Does a session starting at `start` fall outside the participant's preferred time of day?"""
    if not p.preferred_time:
        return False
    lo, hi = PREFERRED_WINDOWS[p.preferred_time]
    return not lo <= start < hi


@dataclass
class _Session:
    option: Option
    staff: str
    ci: int
    members: list[str] = field(default_factory=list)
    pinned: bool = False


@dataclass
class _Person:
    p: Participant
    options: dict[tuple[int, int], list[Option]]  # (day, slot) -> options starting there
    busy: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    minutes: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    type_day: Counter = field(default_factory=Counter)
    type_week: Counter = field(default_factory=Counter)
    sessions: list[_Session] = field(default_factory=list)
    start_slots: Counter = field(default_factory=Counter)


# (fill, scarce days) tried in turn, the week with the fewest shortfalls wins: `fill` is the
# share of a group's seats filled before another session opens; services offered on
# `scarce days` or fewer days are booked before the blocks (7: every service first)
STRATEGIES = ((1.0, 2), (0.8, 2), (1.0, 7), (0.8, 7))
# a block that opens a new group for one participant ranks one step lower (docs/model.md, 4)
OPEN_PENALTY = 1
STALL = 50  # the local search stops after this many (or a quarter of its budget) without fewer shortfalls


class Greedy:
    def __init__(self, wm: WeekModel, fill: float = 1.0, scarce_days: int = 2):
        self.wm = wm
        self.fill = fill  # fraction of a group's seats the greedy fills before opening another
        self.scarce_days = scarce_days
        self.prog = wm.program
        self.rules = wm.program.rules
        self.S = wm.slot_minutes
        self.staff_busy: dict[tuple[str, int], set[int]] = defaultdict(set)
        self.staff_minutes_day: Counter = Counter()
        self.staff_minutes_week: Counter = Counter()
        self.room_used: Counter = Counter()  # (class, day, slot) -> rooms in use
        self.sessions: list[_Session] = []
        self.open_at: dict[int, list[_Session]] = defaultdict(list)  # option index -> sessions
        self.staff = wm.program.staff_by_id()
        self._version = 0  # bumped whenever a leader or room is taken or freed
        self._open_cache: dict[int, tuple[int, bool]] = {}
        self.last_week: set[tuple[str, int]] = set()  # (participant, option) of last week's week
        self.last_leads: set[tuple[int, str]] = set()  # (option, leader) of last week's sessions
        self.continuing: set[str] = set()  # participants in last week's schedule
        self.people: dict[str, _Person] = {}
        for p in self.prog.participants:
            self.people[p.participant_id] = _Person(p, defaultdict(list))
        for (pid, oi) in wm.a:
            o = wm.options[oi]
            self.people[pid].options[o.day, o.slot].append(o)
        # who could start something at (day, slot): the block search looks only at them
        self.people_at: dict[tuple[int, int], list[_Person]] = defaultdict(list)
        for person in sorted(self.people.values(), key=lambda ps: ps.p.participant_id):
            for key in person.options:
                self.people_at[key].append(person)

    # --- resources ----------------------------------------------------------------------------
    def _staff_free(self, s: str, o: Option) -> bool:
        busy = self.staff_busy[s, o.day]
        if any(o.slot + k in busy for k in range(o.length)):
            return False
        st = self.staff[s]
        m = o.stype.minutes
        if st.max_hours_day is not None and self.staff_minutes_day[s, o.day] + m > st.max_hours_day * 60:
            return False
        if st.max_hours_week is not None and self.staff_minutes_week[s] + m > st.max_hours_week * 60:
            return False
        return True

    def _room_free(self, ci: int, o: Option) -> bool:
        n = len(self.wm.classes[ci].rooms)
        return all(self.room_used[ci, o.day, o.slot + k] < n for k in range(o.length))

    def place_pinned(self) -> None:
        """Rule 8: pinned sessions first, with their leader, room and participants."""
        by_key = {(o.stype.name, o.day, o.start): o for o in self.wm.options}
        room_class = {room.room_id: ci for ci, c in enumerate(self.wm.classes) for room in c.rooms}
        for pin in self.prog.pinned:
            o = by_key[pin.session_type, pin.day, pin.start]
            sess = self._reserve(o, pin.staff_id, room_class[pin.room_id])
            sess.pinned = True
            for pid in pin.participants:
                self._add(self.people[pid], sess)

    def seed(self, previous) -> None:
        """Last week's sessions first, where they still fit, with their continuing participants."""
        self.remember(previous)
        self.load(previous.sessions)

    def remember(self, previous) -> None:
        """Last week's attendances and leaders, for the stability term (`changes`)."""
        by_key = {(o.stype.name, o.day, o.start): o for o in self.wm.options}
        for s in previous.sessions:
            self.continuing.update(pid for pid in s.participants if pid in self.people)
            o = by_key.get((s.session_type, s.day, s.start))
            if o is not None:
                self.last_week.update((pid, o.index) for pid in s.participants if (pid, o.index) in self.wm.a)
                if s.staff_id in o.staff:
                    self.last_leads.add((o.index, s.staff_id))

    def load(self, sessions) -> None:
        """Place these sessions (a Schedule's) where they still fit, with their participants;
        a session at a pinned session's time and leader joins the pinned one."""
        by_key = {(o.stype.name, o.day, o.start): o for o in self.wm.options}
        room_class = {room.room_id: ci for ci, c in enumerate(self.wm.classes) for room in c.rooms}
        for s in sorted(sessions, key=lambda x: (x.day, x.start, x.session_type, x.staff_id)):
            o = by_key.get((s.session_type, s.day, s.start))
            if o is None or s.staff_id not in o.staff:
                continue
            sess = next((x for x in self.open_at[o.index] if x.pinned and x.staff == s.staff_id), None)
            ci = None
            if sess is None:
                if not self._staff_free(s.staff_id, o):
                    continue
                classes = [room_class.get(s.room_id)] + sorted(o.classes)
                ci = next((c for c in classes if c in o.classes and self._room_free(c, o)), None)
                if ci is None:
                    continue
            members = [self.people[pid] for pid in s.participants
                       if pid in self.people and (pid, o.index) in self.wm.a
                       and (sess is None or pid not in sess.members)]
            members = [ps for ps in members if self._fits(ps, o)]
            if sess is None:
                if not members or (o.stype.is_group and len(members) < o.stype.min_size):
                    continue
                sess = self._reserve(o, s.staff_id, ci)
            room = effective_capacity(self.wm.classes[sess.ci], o.stype) if o.stype.is_group else 1
            for ps in members[: max(0, room - len(sess.members))]:
                self._add(ps, sess)
                ps.start_slots[o.slot] += 1

    def _reserve(self, o: Option, leader: str, ci: int) -> _Session:
        self._version += 1
        sess = _Session(o, leader, ci)
        for k in range(o.length):
            self.staff_busy[leader, o.day].add(o.slot + k)
            self.room_used[ci, o.day, o.slot + k] += 1
        self.staff_minutes_day[leader, o.day] += o.stype.minutes
        self.staff_minutes_week[leader] += o.stype.minutes
        self.sessions.append(sess)
        self.open_at[o.index].append(sess)
        return sess

    def _open(self, o: Option, prefer: str | None = None) -> _Session | None:
        # keep versatile staff (therapists, prescribers) free: fewest roles lead first
        leaders = sorted(o.staff, key=lambda s: (s != prefer, len(self.staff[s].roles),
                                                 self.staff_minutes_week[s], s))
        leader = next((s for s in leaders if self._staff_free(s, o)), None)
        if leader is None:
            return None
        classes = sorted(o.classes, key=lambda ci: (effective_capacity(self.wm.classes[ci], o.stype), ci))
        if o.stype.is_group:
            classes.reverse()
        ci = next((c for c in classes if self._room_free(c, o)), None)
        if ci is None:
            return None
        return self._reserve(o, leader, ci)

    def _close(self, sess: _Session) -> None:
        self._version += 1
        o = sess.option
        for k in range(o.length):
            self.staff_busy[sess.staff, o.day].discard(o.slot + k)
            self.room_used[sess.ci, o.day, o.slot + k] -= 1
        self.staff_minutes_day[sess.staff, o.day] -= o.stype.minutes
        self.staff_minutes_week[sess.staff] -= o.stype.minutes
        self.sessions.remove(sess)
        self.open_at[o.index].remove(sess)

    def _seat(self, o: Option) -> _Session | None:
        """An open session of the option with a free seat, the fullest first."""
        if not o.stype.is_group:
            return None
        best = None
        for sess in self.open_at[o.index]:
            cap = effective_capacity(self.wm.classes[sess.ci], o.stype)
            cap = max(o.stype.min_size, int(cap * self.fill))
            if len(sess.members) < cap and (best is None or len(sess.members) > len(best.members)):
                best = sess
        return best

    # --- participant side ---------------------------------------------------------------------
    def _fits(self, person: _Person, o: Option) -> bool:
        p, t = person.p, o.stype
        busy = person.busy.get(o.day)
        if busy and any(o.slot + k in busy for k in range(o.length)):
            return False
        if person.type_day[t.name, o.day] >= t.daily_max:
            return False
        if t.weekly_max is not None and person.type_week[t.name] >= t.weekly_max:
            return False
        if t.counts_toward_hours:
            if person.minutes[o.day] + t.minutes > p.day_hours_max * 60:
                return False
            if sum(person.minutes.values()) + t.minutes > p.week_hours_max * 60:
                return False
        if not person.busy.get(o.day) and sum(1 for b in person.busy.values() if b) >= p.days_max:
            return False
        return True

    def _add(self, person: _Person, sess: _Session) -> None:
        o = sess.option
        sess.members.append(person.p.participant_id)
        person.sessions.append(sess)
        for k in range(o.length):
            person.busy[o.day].add(o.slot + k)
        if o.stype.counts_toward_hours:
            person.minutes[o.day] += o.stype.minutes
        person.type_day[o.stype.name, o.day] += 1
        person.type_week[o.stype.name] += 1

    def _remove(self, person: _Person, sess: _Session) -> None:
        o = sess.option
        sess.members.remove(person.p.participant_id)
        person.sessions.remove(sess)
        for k in range(o.length):
            person.busy[o.day].discard(o.slot + k)
        if o.stype.counts_toward_hours:
            person.minutes[o.day] -= o.stype.minutes
        person.type_day[o.stype.name, o.day] -= 1
        person.type_week[o.stype.name] -= 1

    def _drop(self, person: _Person, sess: _Session) -> None:
        """Take the participant out of a session; a session left empty is closed (unless pinned)."""
        self._remove(person, sess)
        if not sess.members and not sess.pinned:
            self._close(sess)

    def _choice(self, person: _Person, o: Option):
        """How p could take option o now: (rank, -size, type, option, seat) or None."""
        t = o.stype
        if not self._fits(person, o):
            return None
        if not t.is_group:
            if person.type_week[t.name] < weekly_min_for(person.p, t) and self._can_open(o):
                return (1, 0, t.name, o, None)  # a service the week still needs
            return None
        seat = self._seat(o)
        if seat is not None:
            return (0, -len(seat.members), t.name, o, seat)
        if self._can_open(o):
            return (2, 0, t.name, o, None)
        return None

    def _block(self, person: _Person, day: int, slot: int, target: int, memo: dict | None = None):
        """Plan a chain of group sessions from `slot`: list of (option, existing session|None).

        `memo` caches each option's choice while nothing changes (one search of place_blocks)."""
        plan, minutes, u = [], 0, slot
        used_types: set[str] = set()
        memo = {} if memo is None else memo
        # rule 6 for the chain as a whole (_choice checks each session alone): the hours it
        # adds stay within the day's and the week's maximum
        p = person.p
        room = min(p.day_hours_max * 60 - person.minutes[day], p.week_hours_max * 60 - sum(person.minutes.values()))
        while minutes < target:
            choices = []
            for o in person.options.get((day, u), []):
                if o.stype.name in used_types or (o.stype.counts_toward_hours and o.stype.minutes > room):
                    continue
                if o.index not in memo:
                    memo[o.index] = self._choice(person, o)
                if memo[o.index] is not None:
                    choices.append(memo[o.index])
            if not choices:
                break
            # by kind of choice (seat, service, new session), then a type the participant
            # still needs this week before one already met, then the fuller session
            choices.sort(key=lambda c: (c[0], person.type_week[c[2]] >= weekly_min_for(p, c[3].stype), *c[1:3]))
            _, _, _, o, seat = choices[0]
            plan.append((o, seat))
            used_types.add(o.stype.name)
            minutes += o.stype.minutes
            if o.stype.counts_toward_hours:
                room -= o.stype.minutes
            u += o.length
        return plan, minutes

    def _can_open(self, o: Option) -> bool:
        """Is a leader and a room free for a new session of o? (cached until resources change)"""
        hit = self._open_cache.get(o.index)
        if hit is not None and hit[0] == self._version:
            return hit[1]
        ok = any(self._staff_free(s, o) for s in o.staff) and any(self._room_free(c, o) for c in o.classes)
        self._open_cache[o.index] = (self._version, ok)
        return ok

    def _score(self, person: _Person, day: int, slot: int, plan) -> tuple:
        misses = self._miss(person, day, slot, self.rules.open + slot * self.S)
        joins = sum(1 for _, seat in plan if seat is not None)
        # a group opened for one participant is dissolved unless others join it later
        opens = sum(1 for o, seat in plan if seat is None and o.stype.is_group)
        return (misses + OPEN_PENALTY * opens, -joins, day, slot)

    def _targets(self, p: Participant) -> tuple[int, int, int, int]:
        """(minutes for a full day, minutes a block aims at, days needed, week minutes needed)."""
        S = self.S
        day_target = math.ceil(p.day_hours_min * 60 / S) * S
        need_days = max(p.days_min, 1)
        week_target = math.ceil(p.week_hours_min * 60 / S) * S
        per_day = max(day_target, math.ceil(week_target / need_days / S) * S)
        per_day = min(per_day, int(p.day_hours_max * 60) // S * S)
        return day_target, per_day, need_days, week_target

    def _service_only(self, person: _Person, day: int) -> bool:
        """A day holding only individual/family/medication sessions so far (a block may join it)."""
        mine = [g for g in person.sessions if g.option.day == day]
        return bool(mine) and all(not g.option.stype.is_group for g in mine)

    def _compact_with(self, person: _Person, day: int, slots) -> bool:
        gap = self.rules.max_gap_minutes // self.S
        allslots = sorted(set(person.busy.get(day, ())) | set(slots))
        return all(b - a - 1 <= gap for a, b in zip(allslots, allslots[1:], strict=False))

    def _needs_day(self, person: _Person) -> bool:
        _, _, need_days, week_target = self._targets(person.p)
        days = [d for d, b in person.busy.items() if b and not self._service_only(person, d)]
        if len(days) >= person.p.days_max:
            return False
        return len(days) < need_days or sum(person.minutes.values()) < week_target

    # --- phase 1: whole blocks for groups of participants (groups start full) -----------------
    def place_group_blocks(self) -> None:
        """Open blocks of consecutive group sessions that at least min_size participants can
        attend together, the block with most takers first, until none reaches a group's minimum."""
        # a block of L minutes is for everyone who needs at most L a day and may attend L
        lengths = sorted({self._targets(ps.p)[1] for ps in self.people.values()}, reverse=True)
        by_length = {L: [ps for ps in self.people.values()
                         if self._targets(ps.p)[1] <= L <= ps.p.day_hours_max * 60] for L in lengths}
        for length, members in by_length.items():
            people = {id(ps) for ps in members}
            # lazy greedy: a block's score only falls as people get their days and leaders and
            # rooms are taken, so a stale score is an upper bound; re-score the top one only
            heap = []
            for day in self.rules.days:
                for slot in range(self.wm.n_slots):
                    found = self._best_chain(people, day, slot, length)
                    if found is not None:
                        heapq.heappush(heap, (self._block_key(found, day), day, slot))
            while heap:
                _, day, slot = heapq.heappop(heap)
                found = self._best_chain(people, day, slot, length)
                if found is None:
                    continue
                key = self._block_key(found, day)
                if heap and (key, day, slot) > heap[0]:
                    heapq.heappush(heap, (key, day, slot))  # no longer the best: try the next
                    continue
                if self._open_block(*found):
                    heapq.heappush(heap, (key, day, slot))  # a parallel block may follow here
                    self._repeat_block(found[1], day, slot, length)

    def _repeat_block(self, takers, day: int, slot: int, length: int) -> None:
        """The same participants meet at the same time on their other days (routine): a block
        at `slot` on each other day for those of them who still need a day."""
        for other in self.rules.days:
            cohort = {id(ps) for ps in takers if self._needs_day(ps)}
            if other == day or not cohort:
                continue
            found = self._best_chain(cohort, other, slot, length)
            if found is not None:
                self._open_block(*found)

    @staticmethod
    def _block_key(found, day: int) -> tuple[int, int, int]:
        """Smaller is better: a pinned group still below its minimum first; then most takers;
        among equals, the block that joins most booked services."""
        chain, takers, existing = found
        underfull = sum(1 for o, x in zip(chain, existing, strict=True)
                        if x is not None and len(x.members) < o.stype.min_size)
        return (-underfull, -len(takers), -sum(1 for ps in takers if ps.busy.get(day)))

    def _open_block(self, chain, takers, existing) -> bool:
        sessions = [x if x is not None else self._open(o) for o, x in zip(chain, existing, strict=True)]
        if any(sess is None for sess in sessions):  # cannot happen: checked in _best_chain
            for sess, x in zip(sessions, existing, strict=True):
                if sess is not None and x is None:
                    self._close(sess)
            return False
        for person in takers:
            for sess in sessions:
                self._add(person, sess)
            person.start_slots[chain[0].slot] += 1
        return True

    def _best_chain(self, people: set[int], day: int, slot: int, length: int):
        """Group sessions back to back from `slot` for `length` minutes, and who can take them all."""
        waiting = [ps for ps in self.people_at.get((day, slot), ()) if id(ps) in people
                   and self._needs_day(ps) and (not ps.busy.get(day) or self._service_only(ps, day))]
        chain: list[Option] = []
        existing: list[_Session | None] = []  # a pinned session the block goes through
        u, minutes = slot, 0
        used: set[str] = set()
        while minutes < length:
            best = None
            for o in self._group_options_at(day, u):
                pinned = next((x for x in self.open_at[o.index] if x.pinned), None)
                if o.stype.name in used or (pinned is None and (o.stype.tags_required or not self._can_open(o))):
                    continue
                a = self.wm.a
                fits = [ps for ps in waiting if (ps.p.participant_id, o.index) in a and self._fits(ps, o)]
                need = o.stype.min_size - (len(pinned.members) if pinned else 0)
                # the type most of them can take, and still need this week, wins
                needers = sum(1 for ps in fits if ps.type_week[o.stype.name] < weekly_min_for(ps.p, o.stype))
                score = (pinned is not None, len(fits) + needers)
                if len(fits) >= need and (best is None or score > best[2]):
                    best = (o, fits, score, pinned)
            if best is None:
                return None
            o, waiting, _, pinned = best
            chain.append(o)
            existing.append(pinned)
            used.add(o.stype.name)
            minutes += o.stype.minutes
            u += o.length
        if not chain:
            return None
        span = range(slot, u)
        counted = sum(o.stype.minutes for o in chain if o.stype.counts_toward_hours)
        waiting = [ps for ps in waiting
                   if (not ps.busy.get(day) or self._compact_with(ps, day, span))
                   # rule 6 for the block as a whole (each session alone was checked above)
                   and ps.minutes[day] + counted <= ps.p.day_hours_max * 60
                   and sum(ps.minutes.values()) + counted <= ps.p.week_hours_max * 60]
        caps = []
        for o, pinned in zip(chain, existing, strict=True):
            if pinned is not None:
                caps.append(effective_capacity(self.wm.classes[pinned.ci], o.stype) - len(pinned.members))
            else:
                caps.append(max(o.stype.min_size, int(self._room_cap(o) * self.fill)))
        cap = min(caps)
        needs = [o.stype.min_size - (len(p.members) if p else 0) for o, p in zip(chain, existing, strict=True)]
        if len(waiting) < max(needs) or cap < max(needs):
            return None
        # a block at another start time than a participant's other days, or outside their
        # preferred time or days, is for them only when it could not run without them
        start = self.rules.open + slot * self.S
        miss = {id(ps): self._miss(ps, day, slot, start) for ps in waiting}
        suited = [ps for ps in waiting if not miss[id(ps)]]
        if len(suited) >= max(needs):
            waiting = suited
        # those whose scarce service already sits on this day first, then the least flexible
        waiting.sort(key=lambda ps: (miss[id(ps)], not ps.busy.get(day), len(ps.options), ps.p.participant_id))
        return chain, waiting[:cap], existing

    @staticmethod
    def _miss(person: _Person, day: int, slot: int, start: int) -> int:
        """Preference misses of a block starting at (day, slot) for this participant: another
        start time than their other days (routine), outside their preferred time, or days."""
        p = person.p
        routine = bool(person.start_slots) and slot not in person.start_slots
        return routine + _outside(p, start) + (bool(p.preferred_days) and day not in p.preferred_days)

    def _room_cap(self, o: Option) -> int:
        return max((effective_capacity(self.wm.classes[c], o.stype) for c in o.classes if self._room_free(c, o)),
                   default=0)

    def _group_options_at(self, day: int, slot: int) -> list[Option]:
        if not hasattr(self, "_by_day_slot"):
            self._by_day_slot: dict[tuple[int, int], list[Option]] = defaultdict(list)
            for o in self.wm.options:
                if o.stype.is_group:
                    self._by_day_slot[o.day, o.slot].append(o)
        return self._by_day_slot.get((day, slot), [])

    def place_blocks(self, person: _Person, only_day: int | None = None) -> bool:
        """Blocks on new days until the participant's days and hours are met (True if one was placed)."""
        p = person.p
        day_target, per_day, need_days, week_target = self._targets(p)
        placed = False
        for _round in range(self.rules.days.__len__()):
            have_days = [d for d, b in person.busy.items() if b and not self._service_only(person, d)]
            have_week = sum(person.minutes.values())
            if only_day is None and len(have_days) >= need_days and have_week >= week_target:
                break
            if len(have_days) >= p.days_max or (only_day is not None and placed):
                break
            best = None
            memo: dict = {}
            for day in self.rules.days:
                if day in have_days or (only_day is not None and day != only_day):
                    continue
                for slot in range(self.wm.n_slots):
                    if (day, slot) not in person.options:
                        continue
                    plan, minutes = self._block(person, day, slot, per_day, memo)
                    if minutes < day_target or not plan:
                        continue
                    if person.busy.get(day) and not self._compact_with(
                            person, day, range(slot, slot + minutes // self.S)):
                        continue
                    key = self._score(person, day, slot, plan)
                    if best is None or key < best[0]:
                        best = (key, day, slot, plan)
            if best is None:
                break
            _, day, slot, plan = best
            for o, seat in plan:
                sess = seat if seat is not None else self._open(o)
                if sess is None:
                    break
                self._add(person, sess)
            person.start_slots[slot] += 1
            placed = True
        return placed

    def _leave_day(self, person: _Person, day: int) -> list[_Session] | None:
        """Take the participant out of a day when every group there stays at its minimum."""
        sessions = [g for g in person.sessions if g.option.day == day]
        if any(g.pinned or (g.option.stype.is_group and len(g.members) <= g.option.stype.min_size)
               or not g.option.stype.is_group for g in sessions):
            return None
        for g in sessions:
            self._remove(person, g)
        return sessions

    def _service_day(self, person: _Person, t) -> bool:
        """Move a participant's day to one where a service they still need can be had."""
        days_with_t = sorted({d for (d, _u), os_ in person.options.items() for o in os_ if o.stype is t})
        attended = [d for d, b in person.busy.items() if b]
        for day in days_with_t:
            if day in attended:
                continue
            left = None
            if len(attended) >= person.p.days_max:
                for x in sorted(attended, key=lambda d: -sum(len(g.members) for g in person.sessions
                                                          if g.option.day == d)):
                    left = self._leave_day(person, x)
                    if left is not None:
                        break
                if left is None:
                    return False
            if self.place_blocks(person, only_day=day) and self._place_one(person, t, only_day=day):
                return True
            for g in [g for g in person.sessions if g.option.day == day]:  # undo the new day
                self._drop(person, g)
            if left is not None:
                for g in left:
                    self._add(person, g)
        return False

    def place_services(self, person: _Person) -> None:
        """Weekly minimums of non-group types, next to a block (gap rule kept)."""
        p = person.p
        for t in self.prog.session_types:
            if t.is_group:
                continue
            while person.type_week[t.name] < weekly_min_for(p, t):
                if not self._place_one(person, t) and not self._service_day(person, t):
                    break

    def _place_one(self, person: _Person, t, only_day: int | None = None) -> bool:
        p = person.p
        gap = self.rules.max_gap_minutes // self.S
        candidates = []
        days = [d for d, b in person.busy.items() if b and (only_day is None or d == only_day)]
        for day in days:
            lo, hi = min(person.busy[day]), max(person.busy[day])
            for o in (o for (d, _u), os_ in person.options.items() if d == day for o in os_):
                if o.stype is not t or not self._fits(person, o):
                    continue
                end_slot = o.slot + o.length - 1
                # within the day's span, or adjacent within the allowed gap
                if not (lo - gap - o.length <= o.slot <= hi + gap + 1):
                    continue
                if o.slot < lo and lo - end_slot - 1 > gap:
                    continue
                if o.slot > hi and o.slot - hi - 1 > gap:
                    continue
                if lo <= o.slot <= hi and not self._gap_ok(person, day, o):
                    continue
                prefer = p.primary_therapist if t.kind == "individual" else None
                w = self.rules.weights
                # the objective's cost of this place: a new first start time (routine), outside
                # the preferred time, another therapist than the primary (continuity)
                cost = (w.get("routine", 0) * self._new_start(person, day, o.slot)
                        + w.get("time_preference", 0) * _outside(p, o.start)
                        + w.get("continuity", 0) * (prefer is not None and prefer not in o.staff))
                candidates.append((cost, day, o.slot, o, prefer))
        candidates.sort(key=lambda c: c[:3])
        for _, _, _, o, prefer in candidates:
            sess = self._open(o, prefer)
            if sess is not None:
                self._add(person, sess)
                return True
        return self._swap_in(person, t, only_day)

    @staticmethod
    def _new_start(person: _Person, day: int, slot: int) -> bool:
        """Would a session at `slot` give the day a first start time no other day has?"""
        busy = person.busy.get(day)
        if not busy or slot >= min(busy):
            return False
        return slot not in {min(b) for d, b in person.busy.items() if b and d != day}

    def _swap_in(self, person: _Person, t, only_day: int | None = None) -> bool:
        """Leave one group session that stays above its minimum to make room for a service."""
        prefer = person.p.primary_therapist if t.kind == "individual" else None
        groups = [g for g in person.sessions if g.option.stype.is_group and not g.pinned
                  and len(g.members) > g.option.stype.min_size
                  and (only_day is None or g.option.day == only_day)]
        groups.sort(key=lambda g: (-len(g.members), g.option.day, g.option.slot))
        for g in groups:
            day = g.option.day
            self._remove(person, g)
            for o in sorted((o for (d, _u), os_ in person.options.items() if d == day for o in os_
                             if o.stype is t), key=lambda o: (prefer not in o.staff, abs(o.slot - g.option.slot))):
                if self._fits(person, o) and self._gap_ok(person, day, o):
                    sess = self._open(o, prefer)
                    if sess is not None:
                        self._add(person, sess)
                        return True
            self._add(person, g)
        return False

    def _gap_ok(self, person: _Person, day: int, o: Option) -> bool:
        """Would adding o keep the day compact (rule 7)?"""
        slots = sorted(person.busy[day] | {o.slot + k for k in range(o.length)})
        gap = self.rules.max_gap_minutes // self.S
        return all(b - a - 1 <= gap for a, b in zip(slots, slots[1:], strict=False))

    # --- clean-up: dissolve groups below their minimum -------------------------------------------
    def repair(self) -> None:
        changed = True
        while changed:
            changed = False
            for sess in list(self.sessions):
                if sess.pinned:
                    continue
                if sess.option.stype.is_group and len(sess.members) < sess.option.stype.min_size:
                    for pid in list(sess.members):
                        self._remove(self.people[pid], sess)
                    self._close(sess)
                    changed = True
            for person in self.people.values():
                for day in list(person.busy):
                    slots = sorted(person.busy[day])
                    gap = self.rules.max_gap_minutes // self.S
                    if any(b - a - 1 > gap for a, b in zip(slots, slots[1:], strict=False)):
                        for sess in [s for s in person.sessions if s.option.day == day]:
                            if self._held(person, sess):
                                continue
                            self._drop(person, sess)
                        changed = True
            for sess in list(self.sessions):
                if not sess.members and not sess.option.stype.is_group and not sess.pinned:
                    self._close(sess)
                    changed = True

    def _held(self, person: _Person, sess: _Session) -> bool:
        """Is the participant pinned to this session (rule 8: they stay in it)?"""
        return sess.pinned and person.p.participant_id in self._pinned_people(sess)

    def _pinned_people(self, sess: _Session) -> set[str]:
        o = sess.option
        return {pid for pin in self.prog.pinned
                if (pin.session_type, pin.day, pin.start, pin.staff_id) == (o.stype.name, o.day, o.start, sess.staff)
                for pid in pin.participants}

    def anchor_services(self) -> None:
        """Services reachable on few days (a prescriber twice a week) are booked first, so the
        participant's blocks can be built around them."""
        for person in sorted(self.people.values(), key=lambda ps: ps.p.participant_id):
            p = person.p
            for t in self.prog.session_types:
                if t.is_group or person.type_week[t.name] >= weekly_min_for(p, t):
                    continue
                opts = [o for os_ in person.options.values() for o in os_ if o.stype is t]
                days = {o.day for o in opts}
                if not opts or len(days) > self.scarce_days:
                    continue
                prefer = p.primary_therapist if t.kind == "individual" else None
                for o in sorted(opts, key=lambda o: (bool(p.preferred_days) and o.day not in p.preferred_days,
                                                     o.day, o.slot)):
                    if self._fits(person, o):
                        sess = self._open(o, prefer)
                        if sess is not None:
                            self._add(person, sess)
                            break

    def fill_pinned(self) -> None:
        """Rule 8 with rule 5: a pinned group below its minimum recruits participants who can
        attend it (leaving a parallel group that stays above its own minimum if need be)."""
        for sess in [x for x in self.sessions if x.pinned and x.option.stype.is_group]:
            o = sess.option
            span = range(o.slot, o.slot + o.length)
            for person in sorted(self.people.values(), key=lambda ps: (not ps.busy.get(o.day), ps.p.participant_id)):
                if len(sess.members) >= o.stype.min_size:
                    break
                pid = person.p.participant_id
                if pid in sess.members or (pid, o.index) not in self.wm.a:
                    continue
                clash = [g for g in person.sessions if g.option.day == o.day and g.option.slot < o.slot + o.length
                         and o.slot < g.option.slot + g.option.length]
                if any(g.pinned or not g.option.stype.is_group or len(g.members) <= g.option.stype.min_size
                       for g in clash):
                    continue
                for g in clash:
                    self._remove(person, g)
                if self._fits(person, o) and self._compact_with(person, o.day, span):
                    self._add(person, sess)
                else:
                    for g in clash:
                        self._add(person, g)

    def release_lonely_services(self) -> None:
        """A booked service on a day no block joined would leave a day too short: free it."""
        for person in self.people.values():
            for day in [d for d, b in person.busy.items() if b]:
                if self._service_only(person, day):
                    for g in [g for g in person.sessions if g.option.day == day and not g.pinned]:
                        self._drop(person, g)

    def run(self, previous=None) -> list[_Session]:
        order = sorted(self.people.values(),
                       key=lambda ps: (len(ps.options), ps.p.track, ps.p.participant_id))
        self.place_pinned()
        if previous is not None:
            self.seed(previous)
        self.anchor_services()
        self.place_group_blocks()
        for person in order:
            self.place_blocks(person)
        self.release_lonely_services()
        for person in order:
            self.place_services(person)
        self.repair()
        # a second pass for whoever the clean-up left short
        for person in order:
            self.place_blocks(person)
            self.place_services(person)
        self.repair()
        self.fill_pinned()
        self.repair()
        return self.sessions

    def unmet_ids(self) -> list[str]:
        S = self.S
        out = []
        for pid, person in self.people.items():
            p = person.p
            days = [d for d, b in person.busy.items() if b]
            need_day = math.ceil(p.day_hours_min * 60 / S - 1e-9)
            if (len(days) < p.days_min
                    or any(person.minutes[d] // S < need_day for d in days)
                    or sum(person.minutes.values()) // S < math.ceil(p.week_hours_min * 60 / S - 1e-9)
                    or any(person.type_week[t.name] < weekly_min_for(p, t) for t in self.prog.session_types)):
                out.append(pid)
        return out

    def changes(self) -> int:
        """Changes to last week (the model's stability term): continuing participants'
        attendances (still possible) this week no longer has, attendances it adds, and last
        week's leaders no longer leading at the same time."""
        if not self.continuing and not self.last_leads:
            return 0
        now = {(pid, sess.option.index) for sess in self.sessions for pid in sess.members if pid in self.continuing}
        leads = {(sess.option.index, sess.staff) for sess in self.sessions}
        return len(self.last_week ^ now) + len(self.last_leads - leads)

    def shortfall_units(self) -> int:
        """Unmet units of the greedy week, as the model's `unmet` term counts them."""
        from iopsched.model import UNMET_UNITS

        S = self.S
        total = 0
        for person in self.people.values():
            p = person.p
            days = [d for d, b in person.busy.items() if b]
            total += UNMET_UNITS["days"] * max(0, p.days_min - len(days))
            need_day = math.ceil(p.day_hours_min * 60 / S - 1e-9)
            for d in days:
                total += max(0, need_day - person.minutes[d] // S)
            need_week = math.ceil(p.week_hours_min * 60 / S - 1e-9)
            total += max(0, need_week - sum(person.minutes.values()) // S)
            for t in self.prog.session_types:
                total += UNMET_UNITS["session"] * max(0, weekly_min_for(p, t) - person.type_week[t.name])
        return total

    def terms(self) -> dict[str, int]:
        """The week's objective terms, counted as the model counts them (model.py)."""
        S = self.S
        t = Counter(unmet=self.shortfall_units(), stability=self.changes())
        clients: Counter = Counter()  # (option, primary therapist) -> their clients in it
        for person in self.people.values():
            t.update(self.person_terms(person))
            for sess in person.sessions:
                if sess.option.stype.kind == "individual" and person.p.primary_therapist:
                    clients[sess.option.index, person.p.primary_therapist] += 1
        # a therapist leads one of the option's sessions: one client at most is with them
        t["continuity"] += sum(k - 1 for (oi, s), k in clients.items()
                               if k > 1 and any(x.staff == s for x in self.open_at[oi]))
        t["group_sessions"] = sum(1 for sess in self.sessions if sess.option.stype.is_group)
        loads = [m for m in self.staff_minutes_week.values() if m]
        t["staff_balance"] = math.ceil(max(loads) / S) if loads else 0
        return dict(t)

    def person_terms(self, person: _Person) -> Counter:
        """One participant's preference terms (routine, time, days, continuity, day services, day tier)."""
        p, t = person.p, Counter()
        days = sorted(d for d, b in person.busy.items() if b)
        if len({d for d, _u in person.options}) > 1 and days:
            t["routine"] += len({min(person.busy[d]) for d in days}) - 1
        if p.preferred_days:
            t["day_preference"] += sum(1 for d in days if d not in p.preferred_days)
        for sess in person.sessions:
            o = sess.option
            t["time_preference"] += _outside(p, o.start)
            if o.stype.kind == "individual" and p.primary_therapist:
                # parallel sessions of one option are interchangeable (the model pairs them)
                t["continuity"] += all(x.staff != p.primary_therapist for x in self.open_at[o.index])
        if self.rules.day_services_min:
            per_day = Counter(sess.option.day for sess in person.sessions)
            t["day_services"] += sum(max(0, self.rules.day_services_min - per_day[d]) for d in days)
        tier = high_tier(self.rules, p)
        if tier:
            counted = Counter(sess.option.day for sess in person.sessions if sess.option.stype.counts_toward_hours)
            t["day_tier"] += sum(1 for d in days if counted[d] < tier)
        return t

    def person_penalty(self, person: _Person) -> int:
        w = self.rules.weights
        return sum(w.get(name, 0) * value for name, value in self.person_terms(person).items())

    def objective(self) -> int:
        """The model's objective for this week (the weights of the config)."""
        w = self.rules.weights
        return sum(w.get(name, 0) * value for name, value in self.terms().items())


class RuinRecreate:
    """Local search on a greedy week: take out an unmet participant and a few who share their
    days, put them back in a new order, keep the week if it is no worse. Deterministic: a
    seeded generator and a budget counted in iterations, never in seconds."""

    def __init__(self, g: Greedy, seed: int = 0, stop: Callable[[], bool] | None = None,
                 on_better: Callable[[], None] | None = None):
        self.g = g
        self.rng = random.Random(seed)
        self.iterations = 0  # iterations run so far
        self.stop = stop or (lambda: False)  # Ctrl-C: end after the current move
        self.on_better = on_better or (lambda: None)  # a better week was kept (progress display)
        # participants who must stay fully met (stage 2 keeps what stage 1 reached)
        self.protect: frozenset[str] = frozenset()
        # participants no schedule can fully meet (the bound): not worth a move of their own
        self.hopeless: frozenset[str] = frozenset()

    def _keeps_protected(self) -> bool:
        return not self.protect or not self.protect.intersection(self.g.unmet_ids())

    def snapshot(self):
        g = self.g
        return ([(s.option, s.staff, s.ci, tuple(s.members), s.pinned) for s in g.sessions],
                {pid: Counter(ps.start_slots) for pid, ps in g.people.items()})

    def restore(self, snap) -> None:
        g = self.g
        sessions, starts = snap
        g.staff_busy.clear()
        g.staff_minutes_day.clear()
        g.staff_minutes_week.clear()
        g.room_used.clear()
        g.sessions = []
        g.open_at.clear()
        g._version += 1
        for pid, ps in g.people.items():  # reset in place: the block index holds these objects
            ps.busy = defaultdict(set)
            ps.minutes = defaultdict(int)
            ps.type_day = Counter()
            ps.type_week = Counter()
            ps.sessions = []
            ps.start_slots = Counter(starts[pid])
        for o, staff, ci, members, pinned in sessions:
            sess = g._reserve(o, staff, ci)
            sess.pinned = pinned
            for pid in members:
                g._add(g.people[pid], sess)

    def _lacks_service(self, person: _Person) -> bool:
        return any(not t.is_group and person.type_week[t.name] < weekly_min_for(person.p, t)
                   for t in self.g.prog.session_types)

    def key(self) -> tuple[int, int, int]:
        """(shortfalls, weighted shortfalls and changes to last week, sessions run): the first
        says whether the week is better for requirements, the second trades them against
        stability (with --previous) as the objective's weights do."""
        g = self.g
        units, changes = g.shortfall_units(), g.changes()
        w = g.rules.weights
        return units, w.get("unmet", 1000) * units + w.get("stability", 100) * changes, len(g.sessions)

    def rebook_services(self, person: _Person) -> bool:
        """Take a participant's services out, add group blocks where the week lacks hours or
        days, then book the services again beside the blocks. Kept only if the week is better
        (`key()[1]`: fewer shortfalls, weighed against changes to last week with --previous);
        a day of services alone leaves the week short."""
        g = self.g
        services = [x for x in person.sessions if not x.option.stype.is_group and not g._held(person, x)]
        if not services:
            return False
        base = self.key()
        snap = self.snapshot()
        for sess in services:
            g._drop(person, sess)
        g.place_blocks(person)
        g.place_services(person)
        if self._better(base):
            return True
        self.restore(snap)
        return False

    def _better(self, base) -> bool:
        """Clean up after a targeted move; is the week better than `base` (`key()[1]`)?"""
        self.g.repair()
        return self.key()[1] < base[1]

    def service_move(self, person: _Person, per_day: int = 6) -> bool:
        """Rebuild one day of a participant around a service they still lack: the service is
        booked first, then a block of groups beside it (a prescriber's afternoon next to an
        afternoon block instead of the morning block they had). Kept only if the week is
        better (as in rebook_services); otherwise the week is restored."""
        g = self.g
        p = person.p
        base = self.key()
        gap = g.rules.max_gap_minutes // g.S
        attended = {d for d, b in person.busy.items() if b}
        for t in g.prog.session_types:
            if t.is_group or person.type_week[t.name] >= weekly_min_for(p, t):
                continue
            prefer = p.primary_therapist if t.kind == "individual" else None
            by_day: dict[int, list[Option]] = defaultdict(list)
            for os_ in person.options.values():
                for o in os_:
                    if o.stype is t:
                        by_day[o.day].append(o)
            for day in sorted(by_day, key=lambda d: (d not in attended,
                                                     bool(p.preferred_days) and d not in p.preferred_days, d)):
                # joinable groups that day: the service goes right before or after one of them
                edges = set()
                for sess in g.sessions:
                    o = sess.option
                    if (o.day == day and o.stype.is_group and (p.participant_id, o.index) in g.wm.a
                            and len(sess.members) < effective_capacity(g.wm.classes[sess.ci], o.stype)):
                        edges.add(o.slot)
                        edges.add(o.slot + o.length)
                if not edges:
                    continue
                dist = {o.index: min(min(abs(o.slot + o.length - e), abs(o.slot - e)) for e in edges)
                        for o in by_day[day]}
                near = sorted(by_day[day], key=lambda o: (dist[o.index], prefer not in o.staff, o.slot))
                for o in near[:per_day]:
                    if dist[o.index] > gap:
                        break
                    snap = self.snapshot()
                    for sess in [x for x in person.sessions if x.option.day == day]:
                        if g._held(person, sess):
                            continue
                        g._drop(person, sess)
                    sess = g._open(o, prefer) if g._fits(person, o) else None
                    if sess is not None:
                        g._add(person, sess)
                        g.place_blocks(person, only_day=day)
                        g.place_services(person)
                        g.place_blocks(person)
                        if self._better(base):
                            return True
                    self.restore(snap)
        return False

    def run(self, iterations: int, patience: int | None = None) -> tuple[int, int]:
        """Mend shortfalls for up to `iterations` moves; stop after `patience` moves (default:
        STALL or a quarter of the budget) without fewer shortfall units."""
        g = self.g
        best, snap = self.key(), self.snapshot()
        stall = 0
        patience = max(STALL, iterations // 4) if patience is None else patience
        for _ in range(iterations):
            if best[0] == 0 or stall >= patience or self.stop():
                break
            unmet = sorted(set(g.unmet_ids()) - self.hopeless)
            if not unmet:
                break
            self.iterations += 1
            target = g.people[self.rng.choice(unmet)]
            if (self._lacks_service(target) and self.service_move(target)) or self.rebook_services(target):
                best, snap, stall = self.key(), self.snapshot(), 0
                self.on_better()
                continue
            mates = sorted({pid for sess in target.sessions for pid in sess.members} - {target.p.participant_id})
            same_track = sorted(pid for pid, ps in g.people.items()
                                if ps.p.track == target.p.track and pid != target.p.participant_id)
            # someone lacking a service competes with those holding services on the same days
            days = {d for d, b in target.busy.items() if b}
            rivals = sorted({pid for sess in g.sessions if not sess.option.stype.is_group
                             and sess.option.day in days for pid in sess.members}
                            - {target.p.participant_id}) if self._lacks_service(target) else []
            pool = sorted(set(mates) | set(self.rng.sample(same_track, min(3, len(same_track))))
                          | set(self.rng.sample(rivals, min(3, len(rivals)))))
            # the unmet participant first, the others in sampled order
            self.ruin_recreate([target] + [g.people[pid] for pid in self.rng.sample(pool, min(len(pool), 4))])
            now = self.key()
            stall = 0 if now[0] < best[0] else stall + 1
            if now[1:] <= best[1:]:
                if now < best:
                    self.on_better()
                best, snap = now, self.snapshot()
            else:
                self.restore(snap)
        return best

    def ruin_recreate(self, victims: list[_Person]) -> None:
        """Take the participants out of their sessions (but those pinned to them) and put
        them back in this order: blocks first, then services; clean up."""
        g = self.g
        for person in victims:
            for sess in list(person.sessions):
                if not g._held(person, sess):
                    g._drop(person, sess)
            person.start_slots.clear()
        for person in victims:
            g.place_blocks(person)
        for person in victims:
            g.place_services(person)
        g.repair()

    def replace_services(self, person: _Person, objective: int) -> bool:
        """Book each of a participant's services again where it costs least now (a service
        before the day's first group gives the day another start time). Kept if the objective
        falls below `objective`; otherwise the week is restored."""
        g = self.g
        units = g.shortfall_units()
        booked = [(x.option.index, x.staff) for x in person.sessions
                  if not x.option.stype.is_group and not g._held(person, x)]
        for oi, staff in booked:
            snap = self.snapshot()  # restoring makes new session objects: look each one up again
            sess = next(x for x in person.sessions if (x.option.index, x.staff) == (oi, staff))
            g._drop(person, sess)
            if g._place_one(person, sess.option.stype):
                g.repair()
                if g.shortfall_units() <= units and g.objective() < objective and self._keeps_protected():
                    return True
            self.restore(snap)
        return False

    def polish(self, iterations: int) -> None:
        """Ruin and recreate for the preferences once the requirements are done: a participant
        with a preference miss (several start times, outside their preferred time) and a few
        who share their sessions, or the members of one of the smallest groups (fewer, fuller
        groups), are taken out and put back. A week is kept when it has no more shortfalls and
        an objective (the model's, `Greedy.objective`) no higher."""
        g = self.g
        best, snap = (g.shortfall_units(), g.objective()), self.snapshot()
        stall = 0
        for i in range(iterations):
            if stall >= max(STALL, iterations // 4) or self.stop():
                break
            self.iterations += 1
            missing = sorted(pid for pid, ps in g.people.items() if g.person_penalty(ps) > 0)
            groups = sorted((x for x in g.sessions if x.option.stype.is_group and not x.pinned),
                            key=lambda x: (len(x.members), x.option.index, x.staff))
            if missing and (i % 2 == 0 or not groups):
                target = g.people[self.rng.choice(missing)]
                if self.replace_services(target, best[1]):
                    best, snap, stall = (g.shortfall_units(), g.objective()), self.snapshot(), 0
                    self.on_better()
                    continue
                mates = sorted({pid for sess in target.sessions for pid in sess.members}
                               - {target.p.participant_id})
                victims = [target] + [g.people[pid] for pid in self.rng.sample(mates, min(len(mates), 2))]
            elif groups:
                small = self.rng.choice(groups[:3])
                victims = [g.people[pid] for pid in sorted(small.members)]
            else:
                break
            self.ruin_recreate(victims)
            now = (g.shortfall_units(), g.objective())
            if now[0] <= best[0] and now[1] <= best[1] and self._keeps_protected():
                stall = 0 if now[1] < best[1] else stall + 1
                if now[1] < best[1]:
                    self.on_better()
                best, snap = now, self.snapshot()
            else:
                stall += 1
                self.restore(snap)


# The local search may take about this share of --time-limit. Its budget is counted in
# iterations (never seconds, so the week is repeatable), from the measured cost of one
# iteration on the 2-core laptop, a + b per participant (docs/model.md, 4): mending a
# shortfall (RuinRecreate.run) and polishing the preferences (RuinRecreate.polish).
RR_SHARE = 0.3
REPAIR_SECONDS = (0.02, 0.0003)
POLISH_SECONDS = (0.006, 0.00016)
MAX_ITERATIONS = 3000


def iteration_seconds(participants: int, cost: tuple[float, float] = REPAIR_SECONDS) -> float:
    return cost[0] + cost[1] * participants


def ruin_recreate_budget(participants: int, time_limit: float = 10.0,
                         cost: tuple[float, float] = REPAIR_SECONDS, spent: float = 0.0) -> int:
    """Iterations of one phase of the local search for a solve of `time_limit` seconds, when
    `spent` (reckoned) seconds of its share are already used."""
    left = max(0.0, RR_SHARE * time_limit - spent)
    return max(10, min(MAX_ITERATIONS, int(left / iteration_seconds(participants, cost))))


def construct(wm: WeekModel, previous=None, strategies=STRATEGIES, first: Greedy | None = None) -> Greedy:
    """The greedy week of each strategy; the one with the fewest shortfall units (then changes
    to last week, then sessions) wins. Deterministic. `first`: the week of a strategy already run."""
    best = None
    for fill, scarce in strategies:
        if first is not None and (fill, scarce) == (first.fill, first.scarce_days):
            g = first
        else:
            g = Greedy(wm, fill, scarce)
            g.run(previous)
        key = (g.shortfall_units(), g.changes(), len(g.sessions))
        if best is None or key < best[0]:
            best = (key, g)
        if key[0] == 0:
            break
    return best[1]


def decisions(g: Greedy) -> tuple[set, Counter, set]:
    """The greedy week as the model's decisions: (leaders on, room classes used, attendances)."""
    y_on, rc_count, a_on = set(), Counter(), set()
    for s in g.sessions:
        y_on.add((s.option.index, s.staff))
        rc_count[s.option.index, s.ci] += 1
        for pid in s.members:
            a_on.add((pid, s.option.index))
    return y_on, rc_count, a_on


def hint_week(g: Greedy) -> tuple[bool, int]:
    """Hint the model with the greedy's week, completed to every variable.
    Returns (the hint is complete and feasible, attendances)."""
    from iopsched.hints import apply_hint, complete_hint

    y_on, rc_count, a_on = decisions(g)
    apply_hint(g.wm, y_on, rc_count, a_on)
    return complete_hint(g.wm), len(a_on)


def greedy_hint(wm: WeekModel, previous=None, seed: int = 0, iterations: int | None = None,
                time_limit: float = 10.0, report: Callable[[int, int], None] | None = None,
                stop: Callable[[], bool] | None = None) -> dict:
    """Run the greedy and hint the model with it. Returns a few counts (for logs and benchmarks).

    `report(objective, participants fully met)` is called for every better week the local
    search keeps; `stop()` true ends the local search after its current move (Ctrl-C)."""
    t0 = time.monotonic()
    g = construct(wm, previous)
    before = g.shortfall_units()
    built_at = time.monotonic()  # the first complete week (every hard rule kept)
    n = len(wm.program.participants)
    all_met_at = [time.monotonic() if before == 0 else None]

    def better() -> None:
        met = n - len(g.unmet_ids())
        if met == n and all_met_at[0] is None:
            all_met_at[0] = time.monotonic()
        if report is not None:
            report(g.objective(), met)

    better()
    rr = RuinRecreate(g, seed, stop, better)
    # first mend shortfalls, then polish the preferences with what is left of the budget
    rr.run(ruin_recreate_budget(n, time_limit) if iterations is None else iterations)
    repaired = rr.iterations
    spent = repaired * iteration_seconds(n)
    polish = (ruin_recreate_budget(n, time_limit, POLISH_SECONDS, spent) if iterations is None
              else iterations - repaired)
    if polish > 0:
        rr.polish(polish)
    complete, attendances = hint_week(g)
    return {"sessions": len(g.sessions), "attendances": attendances, "complete": complete,
            "unmet_units_greedy": before, "unmet_units": g.shortfall_units(), "fill": g.fill,
            "scarce_days": g.scarce_days, "iterations": rr.iterations, "polish_iterations": rr.iterations - repaired,
            "changes": g.changes(), "objective": g.objective(), "all_met_at": all_met_at[0],
            "built_at": built_at,
            # what the local search is reckoned to cost (deterministic: from its iterations)
            "reckoned_seconds": spent + (rr.iterations - repaired) * iteration_seconds(n, POLISH_SECONDS),
            "seconds": time.monotonic() - t0}
