"""The heuristic's week in progress: who is booked where, and what is still free.

`WeekState` keeps the bookkeeping every move of the heuristic goes through (leaders' and
rooms' busy slots, staff minutes, each participant's days, minutes and sessions) and the
public operations on it: reserve or close a session, let a participant join or leave one,
check whether a session fits them (rules 1, 6 and the maxima), snapshot and restore. The
construction (`construction.Greedy`) and the local search (`local_search.RuinRecreate`)
change the week only through these.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from iopsched.cpsat.model import Option, WeekModel, effective_capacity
from iopsched.domain import Participant


@dataclass
class Booked:
    option: Option
    staff: str
    ci: int
    members: list[str] = field(default_factory=list)
    pinned: bool = False
    co_staff: str | None = None  # the co-leader of a co-led type's session (issue 19)


@dataclass
class PersonState:
    p: Participant
    options: dict[tuple[int, int], list[Option]]  # (day, slot) -> options starting there
    busy: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    minutes: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    type_day: Counter = field(default_factory=Counter)
    type_week: Counter = field(default_factory=Counter)
    sessions: list[Booked] = field(default_factory=list)
    start_slots: Counter = field(default_factory=Counter)


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
        self.sessions: list[Booked] = []
        self.open_at: dict[int, list[Booked]] = defaultdict(list)  # option index -> sessions
        self.staff = wm.program.staff_by_id()
        self._version = 0  # bumped whenever a leader or room is taken or freed
        self._open_cache: dict[int, tuple[int, bool]] = {}
        self.last_week: set[tuple[str, int]] = set()  # (participant, option) of last week's week
        self.last_leads: set[tuple[int, str]] = set()  # (option, leader) of last week's sessions
        self.last_co_leads: set[tuple[int, str]] = set()  # (option, co-leader) of last week's sessions
        self.continuing: set[str] = set()  # participants in last week's schedule
        self.people: dict[str, PersonState] = {}
        for p in self.prog.participants:
            self.people[p.participant_id] = PersonState(p, defaultdict(list))
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

    def leaders_for(self, o: Option, prefer: str | None = None,
                    fixed: str | None = None) -> tuple[str, str | None] | None:
        """A free leader and, for a co-led type, a free co-leader who is someone else:
        (leader, co-leader or None), or None when there is no such pair. `fixed`: the leader
        is given (a pinned or last week's session); `prefer`: the leader to try first.
        Versatile staff (therapists, prescribers) are kept free: fewest roles first."""
        def order(candidates, first):
            return sorted(candidates, key=lambda s: (s != first, len(self.staff[s].roles),
                                                     self.staff_minutes_week[s], s))
        leaders = [fixed] if fixed is not None else order(o.staff, prefer)
        co_leaders = order(o.co_staff, None) if o.stype.co_led else []
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
                pair = self._last_leaders(o, s)
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
                ps.start_slots[o.slot] += 1

    def _last_leaders(self, o: Option, s) -> tuple[str, str | None] | None:
        """Last week's leader of session s, with its co-leader when still free (else another)."""
        co = s.co_leader_id
        if (o.stype.co_led and co in o.co_staff and co != s.staff_id
                and self.staff_free(s.staff_id, o) and self.staff_free(co, o)):
            return s.staff_id, co
        return self.leaders_for(o, fixed=s.staff_id)

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

    def reserve(self, o: Option, leader: str, ci: int, co_leader: str | None = None) -> Booked:
        self._version += 1
        sess = Booked(o, leader, ci, co_staff=co_leader)
        for s in (leader,) if co_leader is None else (leader, co_leader):
            self._book_staff(s, o, 1)
        for k in range(o.length):
            self.room_used[ci, o.day, o.slot + k] += 1
        self.sessions.append(sess)
        self.open_at[o.index].append(sess)
        return sess

    def open_session(self, o: Option, prefer: str | None = None) -> Booked | None:
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

    def close_session(self, sess: Booked) -> None:
        self._version += 1
        o = sess.option
        for s in (sess.staff,) if sess.co_staff is None else (sess.staff, sess.co_staff):
            self._book_staff(s, o, -1)
        for k in range(o.length):
            self.room_used[sess.ci, o.day, o.slot + k] -= 1
        self.sessions.remove(sess)
        self.open_at[o.index].remove(sess)


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
            if sum(person.minutes.values()) + t.minutes > p.week_hours_max * 60:
                return False
        return not (not person.busy.get(o.day) and sum(1 for b in person.busy.values() if b) >= p.days_max)

    def join(self, person: PersonState, sess: Booked) -> None:
        o = sess.option
        sess.members.append(person.p.participant_id)
        person.sessions.append(sess)
        for k in range(o.length):
            person.busy[o.day].add(o.slot + k)
        if o.stype.counts_toward_hours:
            person.minutes[o.day] += o.stype.minutes
        person.type_day[o.stype.name, o.day] += 1
        person.type_week[o.stype.name] += 1

    def leave(self, person: PersonState, sess: Booked) -> None:
        o = sess.option
        sess.members.remove(person.p.participant_id)
        person.sessions.remove(sess)
        for k in range(o.length):
            person.busy[o.day].discard(o.slot + k)
        if o.stype.counts_toward_hours:
            person.minutes[o.day] -= o.stype.minutes
        person.type_day[o.stype.name, o.day] -= 1
        person.type_week[o.stype.name] -= 1

    def drop(self, person: PersonState, sess: Booked) -> None:
        """Take the participant out of a session; a session left empty is closed (unless pinned)."""
        self.leave(person, sess)
        if not sess.members and not sess.pinned:
            self.close_session(sess)

    def held(self, person: PersonState, sess: Booked) -> bool:
        """Is the participant pinned to this session (rule 8: they stay in it)?"""
        return sess.pinned and person.p.participant_id in self.pinned_people(sess)

    def pinned_people(self, sess: Booked) -> set[str]:
        o = sess.option
        return {pid for pin in self.prog.pinned
                if (pin.session_type, pin.day, pin.start, pin.staff_id) == (o.stype.name, o.day, o.start, sess.staff)
                for pid in pin.participants}
    def snapshot(self):
        """The week as plain data, to go back to with `restore`."""
        return ([(s.option, s.staff, s.ci, tuple(s.members), s.pinned, s.co_staff) for s in self.sessions],
                {pid: Counter(ps.start_slots) for pid, ps in self.people.items()})

    def restore(self, snap) -> None:
        """Back to a `snapshot`: every resource and participant rebuilt from its sessions."""
        sessions, starts = snap
        self.staff_busy.clear()
        self.staff_minutes_day.clear()
        self.staff_minutes_week.clear()
        self.room_used.clear()
        self.sessions = []
        self.open_at.clear()
        self._version += 1
        for pid, ps in self.people.items():  # reset in place: the block index holds these objects
            ps.busy = defaultdict(set)
            ps.minutes = defaultdict(int)
            ps.type_day = Counter()
            ps.type_week = Counter()
            ps.sessions = []
            ps.start_slots = Counter(starts[pid])
        for o, staff, ci, members, pinned, co_staff in sessions:
            sess = self.reserve(o, staff, ci, co_staff)
            sess.pinned = pinned
            for pid in members:
                self.join(self.people[pid], sess)
