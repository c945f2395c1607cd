"""Construction, part 1: blocks of consecutive group sessions.

Each attended day gets a *block*: consecutive sessions of different types from one start
time, joining a session already opened when it has a seat (fuller groups) and opening a
new one when a leader and a room are free. `place_group_blocks` opens whole blocks for
groups of participants who can attend them together; `place_blocks` gives one participant
the days and hours they still lack.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import defaultdict

from iopsched.cpsat.draft import DraftSession
from iopsched.cpsat.model import Option, WeekModel, effective_capacity
from iopsched.domain import Participant
from iopsched.heuristic.scoring import ScoredWeek, outside_time
from iopsched.heuristic.state import PersonState

# a block that opens a new group for one participant ranks one step lower (docs/model.md, 4)
OPEN_PENALTY = 1


class BlockBuilder(ScoredWeek):
    """Group blocks on top of the week's bookkeeping; `fill` is the share of a group's seats
    filled before another session of it opens."""

    def __init__(self, wm: WeekModel, fill: float = 1.0):
        super().__init__(wm)
        self.fill = fill  # fraction of a group's seats the greedy fills before opening another

    def _seat(self, o: Option) -> DraftSession | None:
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

    def _choice(self, person: PersonState, o: Option):
        """How p could take option o now: (rank, -size, type, option, seat) or None."""
        t = o.stype
        if not self.fits(person, o):
            return None
        if not t.is_group:
            if person.type_week[t.name] < person.need[t.name] and self._can_open(o):
                return (1, 0, t.name, o, None)  # a service the week still needs
            return None
        seat = self._seat(o)
        if seat is not None:
            return (0, -len(seat.members), t.name, o, seat)
        if self._can_open(o):
            return (2, 0, t.name, o, None)
        return None

    def _block(self, person: PersonState, day: int, slot: int, target: int, memo: dict | None = None):
        """Plan a chain of group sessions from `slot`: list of (option, existing session|None).

        `memo` caches each option's choice while nothing changes (one search of place_blocks)."""
        plan, minutes, u = [], 0, slot
        used_types: set[str] = set()
        memo = {} if memo is None else memo
        # rule 6 for the chain as a whole (_choice checks each session alone): the hours it
        # adds stay within the day's and the week's maximum
        p = person.p
        room = min(p.day_hours_max * 60 - person.minutes[day], p.week_hours_max * 60 - person.week_minutes)
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
            choices.sort(key=lambda c: (c[0], person.type_week[c[2]] >= person.need[c[2]], *c[1:3]))
            _, _, _, o, seat = choices[0]
            plan.append((o, seat))
            used_types.add(o.stype.name)
            minutes += o.stype.minutes
            if o.stype.counts_toward_hours:
                room -= o.stype.minutes
            u += o.length
        return plan, minutes

    def _can_open(self, o: Option) -> bool:
        """Is a leader (and a co-leader) and a room free for a new session of o? (cached until
        resources change)"""
        hit = self._open_cache.get(o.index)
        if hit is not None and hit[0] == self._version:
            return hit[1]
        ok = self.leaders_for(o) is not None and any(self.room_free(c, o) for c in o.classes)
        self._open_cache[o.index] = (self._version, ok)
        return ok

    def _score(self, person: PersonState, day: int, slot: int, plan) -> tuple:
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

    def _service_only(self, person: PersonState, day: int) -> bool:
        """A day holding only individual/family/medication sessions so far (a block may join it)."""
        mine = [g for g in person.sessions if g.option.day == day]
        return bool(mine) and all(not g.option.stype.is_group for g in mine)

    def _compact_with(self, person: PersonState, day: int, slots) -> bool:
        gap = self.rules.max_gap_minutes // self.S
        allslots = sorted(set(person.busy.get(day, ())) | set(slots))
        return all(b - a - 1 <= gap for a, b in itertools.pairwise(allslots))

    def _needs_day(self, person: PersonState) -> bool:
        _, _, need_days, week_target = self._targets(person.p)
        days = [d for d, b in person.busy.items() if b and not self._service_only(person, d)]
        if len(days) >= person.p.days_max:
            return False
        return len(days) < need_days or person.week_minutes < week_target

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
            heap: list[tuple[tuple[int, int, int], int, int]] = []
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
        sessions = [x if x is not None else self.open_session(o) for o, x in zip(chain, existing, strict=True)]
        if any(sess is None for sess in sessions):  # cannot happen: checked in _best_chain
            for sess, x in zip(sessions, existing, strict=True):
                if sess is not None and x is None:
                    self.close_session(sess)
            return False
        for person in takers:
            for sess in sessions:
                self.join(person, sess)  # type: ignore[arg-type]  # None was ruled out above
            self.add_start(person, chain[0].slot)
        return True

    def _best_chain(self, people: set[int], day: int, slot: int, length: int):
        """Group sessions back to back from `slot` for `length` minutes, and who can take them all."""
        waiting = [ps for ps in self.people_at.get((day, slot), ()) if id(ps) in people
                   and self._needs_day(ps) and (not ps.busy.get(day) or self._service_only(ps, day))]
        chain: list[Option] = []
        existing: list[DraftSession | None] = []  # a pinned session the block goes through
        u, minutes = slot, 0
        used: set[str] = set()
        while minutes < length:
            best = None
            for o in self._group_options_at(day, u):
                pinned = next((x for x in self.open_at[o.index] if x.pinned), None)
                if o.stype.name in used or (pinned is None and (o.stype.tags_required or not self._can_open(o))):
                    continue
                a = self.wm.a
                fits = [ps for ps in waiting if (ps.p.participant_id, o.index) in a and self.fits(ps, o)]
                need = o.stype.min_size - (len(pinned.members) if pinned else 0)
                # the type most of them can take, and still need this week, wins
                needers = sum(1 for ps in fits if ps.type_week[o.stype.name] < ps.need[o.stype.name])
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
                   and ps.week_minutes + counted <= ps.p.week_hours_max * 60]
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
    def _miss(person: PersonState, day: int, slot: int, start: int) -> int:
        """Preference misses of a block starting at (day, slot) for this participant: another
        start time than their other days (routine), outside their preferred time, or days."""
        p = person.p
        routine = bool(person.start_slots) and slot not in person.start_slots
        return routine + outside_time(p, start) + (bool(p.preferred_days) and day not in p.preferred_days)

    def _room_cap(self, o: Option) -> int:
        return max((effective_capacity(self.wm.classes[c], o.stype) for c in o.classes if self.room_free(c, o)),
                   default=0)

    def _group_options_at(self, day: int, slot: int) -> list[Option]:
        if not hasattr(self, "_by_day_slot"):
            self._by_day_slot: dict[tuple[int, int], list[Option]] = defaultdict(list)
            for o in self.wm.options:
                if o.stype.is_group:
                    self._by_day_slot[o.day, o.slot].append(o)
        return self._by_day_slot.get((day, slot), [])

    def place_blocks(self, person: PersonState, only_day: int | None = None) -> bool:
        """Blocks on new days until the participant's days and hours are met (True if one was placed)."""
        p = person.p
        day_target, per_day, need_days, week_target = self._targets(p)
        placed = False
        for _round in range(self.rules.days.__len__()):
            have_days = [d for d, b in person.busy.items() if b and not self._service_only(person, d)]
            have_week = person.week_minutes
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
                sess = seat if seat is not None else self.open_session(o)
                if sess is None:
                    break
                self.join(person, sess)
            self.add_start(person, slot)
            placed = True
        return placed

