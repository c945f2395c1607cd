"""Construction, part 2: services, clean-up and the whole greedy week.

Participants are placed one at a time, most constrained first: blocks of group sessions
(`blocks.BlockBuilder`), then individual, family and medication sessions right before or
after a block. Groups that end below their minimum size are dissolved, and so is any
participant day that dissolving breaks (gap or order). The result keeps every hard rule,
so CP-SAT starts from a feasible schedule and only has to improve it.
"""

from __future__ import annotations

import itertools

from iopsched.cpsat.draft import DraftSession
from iopsched.cpsat.model import Option, WeekModel
from iopsched.heuristic.blocks import BlockBuilder
from iopsched.heuristic.scoring import outside_time
from iopsched.heuristic.state import PersonState

# (fill, scarce days) tried in turn, the week with the fewest shortfalls wins: `fill` is the
# share of a group's seats filled before another session opens; services offered on
# `scarce days` or fewer days are booked before the blocks (7: every service first)
STRATEGIES = ((1.0, 2), (0.8, 2), (1.0, 7), (0.8, 7))


class Greedy(BlockBuilder):
    """The greedy week: `run()` places everyone; `scarce_days`: services offered on that
    many days or fewer are booked before the blocks."""

    def __init__(self, wm: WeekModel, fill: float = 1.0, scarce_days: int = 2):
        super().__init__(wm, fill)
        self.scarce_days = scarce_days

    def _leave_day(self, person: PersonState, day: int) -> list[DraftSession] | None:
        """Take the participant out of a day when every group there stays at its minimum."""
        sessions = [g for g in person.sessions if g.option.day == day]
        if any(g.pinned or (g.option.stype.is_group and len(g.members) <= g.option.stype.min_size)
               or not g.option.stype.is_group for g in sessions):
            return None
        for g in sessions:
            self.leave(person, g)
        return sessions

    def _service_day(self, person: PersonState, t) -> bool:
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
            if self.place_blocks(person, only_day=day) and self.place_one(person, t, only_day=day):
                return True
            for g in [g for g in person.sessions if g.option.day == day]:  # undo the new day
                self.drop(person, g)
            if left is not None:
                for g in left:
                    self.join(person, g)
        return False

    def place_services(self, person: PersonState) -> None:
        """Weekly minimums of non-group types, next to a block (gap rule kept)."""
        for t in self.prog.session_types:
            if t.is_group:
                continue
            while person.type_week[t.name] < person.need[t.name]:
                if not self.place_one(person, t) and not self._service_day(person, t):
                    break

    def place_one(self, person: PersonState, t, only_day: int | None = None) -> bool:
        p = person.p
        gap = self.rules.max_gap_minutes // self.S
        candidates = []
        days = [d for d, b in person.busy.items() if b and (only_day is None or d == only_day)]
        for day in days:
            lo, hi = min(person.busy[day]), max(person.busy[day])
            for o in (o for (d, _u), os_ in person.options.items() if d == day for o in os_):
                if o.stype is not t or not self.fits(person, o):
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
                        + w.get("time_preference", 0) * outside_time(p, o.start)
                        + w.get("continuity", 0) * (prefer is not None and prefer not in o.staff))
                candidates.append((cost, day, o.slot, o, prefer))
        candidates.sort(key=lambda c: c[:3])
        for _, _, _, o, prefer in candidates:
            sess = self.open_session(o, prefer)
            if sess is not None:
                self.join(person, sess)
                return True
        return self._swap_in(person, t, only_day)

    @staticmethod
    def _new_start(person: PersonState, day: int, slot: int) -> bool:
        """Would a session at `slot` give the day a first start time no other day has?"""
        busy = person.busy.get(day)
        if not busy or slot >= min(busy):
            return False
        return slot not in {min(b) for d, b in person.busy.items() if b and d != day}

    def _swap_in(self, person: PersonState, t, only_day: int | None = None) -> bool:
        """Leave one group session that stays above its minimum to make room for a service."""
        prefer = person.p.primary_therapist if t.kind == "individual" else None
        groups = [g for g in person.sessions if g.option.stype.is_group and not g.pinned
                  and len(g.members) > g.option.stype.min_size
                  and (only_day is None or g.option.day == only_day)]
        groups.sort(key=lambda g: (-len(g.members), g.option.day, g.option.slot))
        for g in groups:
            day = g.option.day
            self.leave(person, g)
            for o in sorted((o for (d, _u), os_ in person.options.items() if d == day for o in os_
                             if o.stype is t), key=lambda o: (prefer not in o.staff, abs(o.slot - g.option.slot))):
                if self.fits(person, o) and self._gap_ok(person, day, o):
                    sess = self.open_session(o, prefer)
                    if sess is not None:
                        self.join(person, sess)
                        return True
            self.join(person, g)
        return False

    def _gap_ok(self, person: PersonState, day: int, o: Option) -> bool:
        """Would adding o keep the day compact (rule 7)?"""
        slots = sorted(person.busy[day] | {o.slot + k for k in range(o.length)})
        gap = self.rules.max_gap_minutes // self.S
        return all(b - a - 1 <= gap for a, b in itertools.pairwise(slots))

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
                        self.leave(self.people[pid], sess)
                    self.close_session(sess)
                    changed = True
            for person in self.people.values():
                for day in list(person.busy):
                    slots = sorted(person.busy[day])
                    gap = self.rules.max_gap_minutes // self.S
                    if any(b - a - 1 > gap for a, b in itertools.pairwise(slots)):
                        for sess in [s for s in person.sessions if s.option.day == day]:
                            if self.held(person, sess):
                                continue
                            self.drop(person, sess)
                        changed = True
            for sess in list(self.sessions):
                if not sess.members and not sess.option.stype.is_group and not sess.pinned:
                    self.close_session(sess)
                    changed = True

    def anchor_services(self) -> None:
        """Services reachable on few days (a prescriber twice a week) are booked first, so the
        participant's blocks can be built around them."""
        for person in sorted(self.people.values(), key=lambda ps: ps.p.participant_id):
            p = person.p
            for t in self.prog.session_types:
                if t.is_group or person.type_week[t.name] >= person.need[t.name]:
                    continue
                opts = [o for os_ in person.options.values() for o in os_ if o.stype is t]
                days = {o.day for o in opts}
                if not opts or len(days) > self.scarce_days:
                    continue
                prefer = p.primary_therapist if t.kind == "individual" else None
                for o in sorted(opts, key=lambda o: (bool(p.preferred_days) and o.day not in p.preferred_days,
                                                     o.day, o.slot)):
                    if self.fits(person, o):
                        sess = self.open_session(o, prefer)
                        if sess is not None:
                            self.join(person, sess)
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
                    self.leave(person, g)
                if self.fits(person, o) and self._compact_with(person, o.day, span):
                    self.join(person, sess)
                else:
                    for g in clash:
                        self.join(person, g)

    def release_lonely_services(self) -> None:
        """A booked service on a day no block joined would leave a day too short: free it."""
        for person in self.people.values():
            for day in [d for d, b in person.busy.items() if b]:
                if self._service_only(person, day):
                    for g in [g for g in person.sessions if g.option.day == day and not g.pinned]:
                        self.drop(person, g)

    def run(self, previous=None) -> list[DraftSession]:
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


def construct(wm: WeekModel, previous=None, strategies=STRATEGIES, first: Greedy | None = None) -> Greedy:
    """The greedy week of each strategy; the one with the fewest shortfall units (then changes
    to last week, then sessions) wins. Deterministic. `first`: the week of a strategy already run."""
    best: tuple[tuple[int, int, int], Greedy] | None = None
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
    assert best is not None, "no strategy to construct with"
    return best[1]


