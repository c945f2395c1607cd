"""The heuristic's week in progress: who is booked where, and what is still free.

`WeekState` keeps the bookkeeping every move of the heuristic goes through (leaders' and
rooms' busy slots, staff minutes, each participant's days, minutes and sessions) and the
public operations on it: reserve or close a session, let a participant join or leave one,
check whether a session fits them (rules 1, 6 and the maxima), snapshot and restore. The
construction (`construction.Greedy`) and the local search (`local_search.RuinRecreate`)
change the week only through these.
"""

from __future__ import annotations

import weakref
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from iopsched.cpsat.draft import DraftSession
from iopsched.cpsat.model import Option, WeekModel, effective_capacity
from iopsched.domain import Participant, weekly_min_for


@dataclass
class PersonState:
    p: Participant
    options: dict[tuple[int, int], list[Option]]  # (day, slot) -> options starting there
    busy: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    minutes: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    type_day: Counter = field(default_factory=Counter)
    type_week: Counter = field(default_factory=Counter)
    sessions: list[DraftSession] = field(default_factory=list)
    start_slots: Counter = field(default_factory=Counter)
    need: dict[str, int] = field(default_factory=dict)  # session type -> weekly minimum (theirs)
    week_minutes: int = 0  # sum(minutes.values()), kept by WeekState
    days: int = 0  # days with a session, kept by WeekState


class WeekState:
    def __init__(self, wm: WeekModel):
        self.wm = wm
        self.prog = wm.program
        self.rules = wm.program.rules
        self.S = wm.slot_minutes
        self.staff_busy: dict[tuple[str, int], set[int]] = defaultdict(set)
        self.staff_minutes_day: Counter = Counter()
        self.staff_minutes_week: Counter = Counter()
        self.room_used: Counter = Counter()  # (class, day, slot) -> rooms in use
        self.sessions: list[DraftSession] = []
        self.open_at: dict[int, list[DraftSession]] = defaultdict(list)  # option index -> sessions
        self.staff = wm.program.staff_by_id()
        self._version = 0  # bumped whenever a leader or room is taken or freed
        self._open_cache: dict[int, tuple[int, bool]] = {}
        # the undo of every change (`snapshot`, `restore`): (function, arguments), newest last;
        # _base is the position of its first entry since the week began
        self._undo: list[tuple[Callable, tuple]] = []
        self._base = 0
        self._marks: weakref.WeakSet[Snapshot] = weakref.WeakSet()
        self.last_week: set[tuple[str, int]] = set()  # (participant, option) of last week's week
        self.last_leads: set[tuple[int, str]] = set()  # (option, leader) of last week's sessions
        self.last_co_leads: set[tuple[int, str]] = set()  # (option, co-leader) of last week's sessions
        self.continuing: set[str] = set()  # participants in last week's schedule
        self.people: dict[str, PersonState] = {}
        for p in self.prog.participants:
            need = {t.name: weekly_min_for(p, t) for t in self.prog.session_types}
            self.people[p.participant_id] = PersonState(p, defaultdict(list), need=need)
        for (pid, oi) in wm.a:
            o = wm.options[oi]
            self.people[pid].options[o.day, o.slot].append(o)
        # who could start something at (day, slot): the block search looks only at them
        self.people_at: dict[tuple[int, int], list[PersonState]] = defaultdict(list)
        for person in sorted(self.people.values(), key=lambda ps: ps.p.participant_id):
            for key in person.options:
                self.people_at[key].append(person)

    # --- resources ----------------------------------------------------------------------------
    def staff_free(self, s: str, o: Option) -> bool:
        busy = self.staff_busy[s, o.day]
        if any(o.slot + k in busy for k in range(o.length)):
            return False
        st = self.staff[s]
        m = o.stype.minutes
        if st.max_hours_day is not None and self.staff_minutes_day[s, o.day] + m > st.max_hours_day * 60:
            return False
        return not (st.max_hours_week is not None and self.staff_minutes_week[s] + m > st.max_hours_week * 60)

    def leaders_for(self, o: Option, prefer: str | None = None, fixed: str | None = None,
                    prefer_co: str | None = None) -> tuple[str, str | None] | None:
        """A free leader and, for a co-led type, a free co-leader who is someone else:
        (leader, co-leader or None), or None when there is no such pair. `fixed`: the leader
        is given (a pinned or last week's session); `prefer` / `prefer_co`: the leader and the
        co-leader to try first (last week's). Versatile staff (therapists, prescribers) are
        kept free: fewest roles first."""
        def order(candidates, first):
            return sorted(candidates, key=lambda s: (s != first, len(self.staff[s].roles),
                                                     self.staff_minutes_week[s], s))
        leaders = [fixed] if fixed is not None else order(o.staff, prefer)
        co_leaders = order(o.co_staff, prefer_co) if o.stype.co_led else []
        for leader in leaders:
            if not self.staff_free(leader, o):
                continue
            if not o.stype.co_led:
                return leader, None
            co = next((s for s in co_leaders if s != leader and self.staff_free(s, o)), None)
            if co is not None:
                return leader, co
        return None

    def room_free(self, ci: int, o: Option) -> bool:
        n = len(self.wm.classes[ci].rooms)
        return all(self.room_used[ci, o.day, o.slot + k] < n for k in range(o.length))

    def place_pinned(self) -> None:
        """Rule 8: pinned sessions first, with their leader, room and participants."""
        by_key = self.wm.option_by_key
        room_class = self.wm.room_class
        for pin in self.prog.pinned:
            o = by_key[pin.session_type, pin.day, pin.start]
            pair = self.leaders_for(o, fixed=pin.staff_id)  # the co-leader of a co-led pin: anyone free
            co = pair[1] if pair is not None else None
            sess = self.reserve(o, pin.staff_id, room_class[pin.room_id], co)
            sess.pinned = True
            for pid in pin.participants:
                self.join(self.people[pid], sess)

    def seed(self, previous) -> None:
        """Last week's sessions first, where they still fit, with their continuing participants."""
        self.remember(previous)
        self.load(previous.sessions)

    def remember(self, previous) -> None:
        """Last week's attendances and leaders, for the stability term (`changes`)."""
        by_key = self.wm.option_by_key
        for s in previous.sessions:
            self.continuing.update(pid for pid in s.participants if pid in self.people)
            o = by_key.get((s.session_type, s.day, s.start))
            if o is not None:
                self.last_week.update((pid, o.index) for pid in s.participants if (pid, o.index) in self.wm.a)
                if s.staff_id in o.staff:
                    self.last_leads.add((o.index, s.staff_id))
                if s.co_leader_id is not None and s.co_leader_id in o.co_staff:
                    self.last_co_leads.add((o.index, s.co_leader_id))

    def load(self, sessions) -> None:
        """Place these sessions (a Schedule's) where they still fit, with their participants;
        a session at a pinned session's time and leader joins the pinned one."""
        by_key = self.wm.option_by_key
        room_class = self.wm.room_class
        for s in sorted(sessions, key=lambda x: (x.day, x.start, x.session_type, x.staff_id)):
            o = by_key.get((s.session_type, s.day, s.start))
            if o is None or s.staff_id not in o.staff:
                continue
            sess = next((x for x in self.open_at[o.index] if x.pinned and x.staff == s.staff_id), None)
            ci = None
            co = None
            if sess is None:
                pair = self.leaders_for(o, fixed=s.staff_id, prefer_co=s.co_leader_id)  # last week's
                if pair is None:
                    continue
                co = pair[1]
                classes = [room_class.get(s.room_id), *sorted(o.classes)]
                ci = next((c for c in classes if c in o.classes and self.room_free(c, o)), None)
                if ci is None:
                    continue
            members = [self.people[pid] for pid in s.participants
                       if pid in self.people and (pid, o.index) in self.wm.a
                       and (sess is None or pid not in sess.members)]
            members = [ps for ps in members if self.fits(ps, o)]
            if sess is None:
                if not members or (o.stype.is_group and len(members) < o.stype.min_size):
                    continue
                assert ci is not None  # a room class was found above
                sess = self.reserve(o, s.staff_id, ci, co)
            room = effective_capacity(self.wm.classes[sess.ci], o.stype) if o.stype.is_group else 1
            for ps in members[: max(0, room - len(sess.members))]:
                self.join(ps, sess)
                self.add_start(ps, o.slot)

    def _book_staff(self, s: str, o: Option, sign: int) -> None:
        """Mark staff member s busy (sign 1) or free (-1) for a session of option o."""
        busy = self.staff_busy[s, o.day]
        for k in range(o.length):
            if sign > 0:
                busy.add(o.slot + k)
            else:
                busy.discard(o.slot + k)
        self.staff_minutes_day[s, o.day] += sign * o.stype.minutes
        self.staff_minutes_week[s] += sign * o.stype.minutes

    def reserve(self, o: Option, leader: str, ci: int, co_leader: str | None = None) -> DraftSession:
        sess = DraftSession(o, leader, ci, co_staff=co_leader)
        self._take(sess)
        self.sessions.append(sess)
        self.open_at[o.index].append(sess)
        self._undo.append((self._unreserve, (sess,)))
        return sess

    def _take(self, sess: DraftSession, sign: int = 1) -> None:
        """The session's leader, co-leader and room are busy (sign 1) or free (-1) for its slots."""
        self._version += 1
        o = sess.option
        for s in (sess.staff,) if sess.co_staff is None else (sess.staff, sess.co_staff):
            self._book_staff(s, o, sign)
        for k in range(o.length):
            self.room_used[sess.ci, o.day, o.slot + k] += sign

    def _free(self, sess: DraftSession) -> None:
        self._take(sess, -1)

    def _unreserve(self, sess: DraftSession) -> None:
        """Undo `reserve` (the session is the last one reserved: undo runs newest first)."""
        self._free(sess)
        self.sessions.pop()
        self.open_at[sess.option.index].pop()

    def open_session(self, o: Option, prefer: str | None = None) -> DraftSession | None:
        pair = self.leaders_for(o, prefer)
        if pair is None:
            return None
        classes = sorted(o.classes, key=lambda ci: (effective_capacity(self.wm.classes[ci], o.stype), ci))
        if o.stype.is_group:
            classes.reverse()
        ci = next((c for c in classes if self.room_free(c, o)), None)
        if ci is None:
            return None
        return self.reserve(o, pair[0], ci, pair[1])

    def close_session(self, sess: DraftSession) -> None:
        at, at_option = self.sessions.index(sess), self.open_at[sess.option.index].index(sess)
        self._free(sess)
        del self.sessions[at]
        del self.open_at[sess.option.index][at_option]
        self._undo.append((self._reopen, (sess, at, at_option)))

    def _reopen(self, sess: DraftSession, at: int, at_option: int) -> None:
        """Undo `close_session`: back in its place in both lists."""
        self._take(sess)
        self.sessions.insert(at, sess)
        self.open_at[sess.option.index].insert(at_option, sess)

    # --- participant side ---------------------------------------------------------------------
    def fits(self, person: PersonState, o: Option) -> bool:
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
            if person.week_minutes + t.minutes > p.week_hours_max * 60:
                return False
        return not (person.days >= p.days_max and not person.busy.get(o.day))

    def lacks_service(self, person: PersonState) -> bool:
        """Is the participant below the weekly minimum of a non-group type?"""
        return any(not t.is_group and person.type_week[t.name] < person.need[t.name]
                   for t in self.prog.session_types)

    def add_start(self, person: PersonState, slot: int) -> None:
        """A block of the participant's starts at `slot` (their routine)."""
        person.start_slots[slot] += 1
        self._undo.append((self._unstart, (person, slot)))

    @staticmethod
    def _unstart(person: PersonState, slot: int) -> None:
        person.start_slots[slot] -= 1
        if not person.start_slots[slot]:
            del person.start_slots[slot]

    def clear_starts(self, person: PersonState) -> None:
        """Forget the participant's block starts (they are placed again)."""
        self._undo.append((self._restarts, (person, Counter(person.start_slots))))
        person.start_slots.clear()

    @staticmethod
    def _restarts(person: PersonState, starts: Counter) -> None:
        person.start_slots.clear()
        person.start_slots.update(starts)

    def join(self, person: PersonState, sess: DraftSession) -> None:
        sess.members.append(person.p.participant_id)
        person.sessions.append(sess)
        self._enter(person, sess.option, 1)
        self._undo.append((self._unjoin, (person, sess)))

    def _unjoin(self, person: PersonState, sess: DraftSession) -> None:
        """Undo `join` (the newest member and session: undo runs newest first)."""
        sess.members.pop()
        person.sessions.pop()
        self._enter(person, sess.option, -1)

    def leave(self, person: PersonState, sess: DraftSession) -> None:
        at_member, at_session = sess.members.index(person.p.participant_id), person.sessions.index(sess)
        del sess.members[at_member]
        del person.sessions[at_session]
        self._enter(person, sess.option, -1)
        self._undo.append((self._rejoin, (person, sess, at_member, at_session)))

    def _rejoin(self, person: PersonState, sess: DraftSession, at_member: int, at_session: int) -> None:
        """Undo `leave`: back in its place in both lists."""
        sess.members.insert(at_member, person.p.participant_id)
        person.sessions.insert(at_session, sess)
        self._enter(person, sess.option, 1)

    @staticmethod
    def _enter(person: PersonState, o: Option, sign: int) -> None:
        """The participant's slots, minutes and type counts with (1) or without (-1) option o."""
        busy = person.busy[o.day]
        person.days -= bool(busy)
        for k in range(o.length):
            if sign > 0:
                busy.add(o.slot + k)
            else:
                busy.discard(o.slot + k)
        person.days += bool(busy)
        if o.stype.counts_toward_hours:
            person.minutes[o.day] += sign * o.stype.minutes
            person.week_minutes += sign * o.stype.minutes
        person.type_day[o.stype.name, o.day] += sign
        person.type_week[o.stype.name] += sign

    def drop(self, person: PersonState, sess: DraftSession) -> None:
        """Take the participant out of a session; a session left empty is closed (unless pinned)."""
        self.leave(person, sess)
        if not sess.members and not sess.pinned:
            self.close_session(sess)

    def held(self, person: PersonState, sess: DraftSession) -> bool:
        """Is the participant pinned to this session (rule 8: they stay in it)?"""
        return sess.pinned and person.p.participant_id in self.pinned_people(sess)

    def pinned_people(self, sess: DraftSession) -> set[str]:
        o = sess.option
        return {pid for pin in self.prog.pinned
                if (pin.session_type, pin.day, pin.start, pin.staff_id) == (o.stype.name, o.day, o.start, sess.staff)
                for pid in pin.participants}

    # --- going back: every change above leaves its undo in a journal ------------------------
    def snapshot(self) -> Snapshot:
        """A point to come back to with `restore`. The journal keeps the undo of every change
        since the oldest snapshot still held (one no longer referenced is forgotten)."""
        live = [m.at for m in self._marks if m.at >= 0]
        oldest = min(live, default=self._base + len(self._undo))
        if oldest > self._base:  # nobody can go back before the oldest snapshot held
            del self._undo[: oldest - self._base]
            self._base = oldest
        mark = Snapshot(self._base + len(self._undo))
        self._marks.add(mark)
        return mark

    def restore(self, snap: Snapshot) -> None:
        """Back to a `snapshot`: the changes since undone, newest first (was: every resource
        and participant rebuilt from the sessions, half of the local search's time)."""
        if snap.at < self._base:
            raise ValueError("restore: this snapshot was undone or is older than the journal")
        for later in self._marks:  # what was after this point is undone: those points are gone
            if later.at > snap.at:
                later.at = -1
        while self._base + len(self._undo) > snap.at:
            undo, args = self._undo.pop()
            undo(*args)

    def week(self) -> list[tuple]:
        """The sessions as plain data (option, leader, room class, members, pinned, co-leader)."""
        return [(s.option, s.staff, s.ci, tuple(s.members), s.pinned, s.co_staff) for s in self.sessions]


class Snapshot:
    """A point of a `WeekState`'s journal (-1: undone, no longer a point to go back to)."""

    __slots__ = ("__weakref__", "at")

    def __init__(self, at: int):
        self.at = at
