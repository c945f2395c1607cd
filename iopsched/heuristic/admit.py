"""The admissions heuristic (issue 19): referrals inserted into stage 1's week one at a time.

For each referral in rank order: their blocks and services where the week has room; if that
leaves them short, a short ruin and recreate aimed at them (the referral and a few of those in
care who hold seats at the referral's times, taken out and put back in a new order, or the
referral's services booked again beside other groups). A week is kept when the referral is no
further from fully met and everyone else within their cap (in care: their stage-1 shortfall
units; admitted referrals: 0). A referral still short is taken out again: all or nothing.
Deterministic: a seeded generator and budgets counted in moves, never in seconds.
"""

from __future__ import annotations

from collections.abc import Callable

from iopsched.heuristic.construction import Greedy
from iopsched.heuristic.local_search import RuinRecreate
from iopsched.heuristic.state import PersonState

# a referral's moves end after this many in a row without fewer shortfall units
PATIENCE = 25


class Admitter:
    """Referrals into a loaded week (`Greedy.load`), all or nothing, within everyone's cap."""

    def __init__(self, g: Greedy, caps: dict[str, int], seed: int = 0,
                 stop: Callable[[], bool] | None = None):
        self.g = g
        self.caps = dict(caps)  # participant -> the most shortfall units they may have
        self.rr = RuinRecreate(g, seed, stop)
        self.stop = stop or (lambda: False)
        self.moves = 0  # ruin-and-recreate moves so far (the reckoned cost)

    def excess(self) -> int:
        """Shortfall units above the caps, over everyone capped."""
        g = self.g
        return sum(max(0, g.person_units(g.people[pid]) - cap) for pid, cap in self.caps.items())

    def within_caps(self) -> bool:
        return self.excess() == 0

    def units(self, person: PersonState) -> int:
        return self.g.person_units(person)

    def admit(self, rid: str, moves: int, patience: int = PATIENCE) -> bool:
        """Try to admit one referral (fully met, nobody above their cap) in at most `moves`
        moves; on success they join the capped (cap 0), else the week is as before.

        The moves lower the referral's shortfall units plus everyone's units above their cap
        (a week may seat the referral and leave someone in care short for a while: the next
        moves mend them); a week no worse is kept."""
        g = self.g
        person = g.people[rid]
        before = g.snapshot()
        self._place(person)
        cur = self.units(person) + self.excess()
        if cur and self.excess():  # (placing them took someone's seat: from the week before)
            g.restore(before)
            cur = self.units(person)
        best = g.snapshot()
        stall = 0
        for i in range(moves):
            if cur == 0 or stall >= patience or self.stop():
                break
            self.moves += 1
            self._move(person, i)
            now = self.units(person) + self.excess()
            if now <= cur:
                stall = 0 if now < cur else stall + 1
                cur, best = now, g.snapshot()
            else:
                stall += 1
                g.restore(best)
        if cur == 0 and person.sessions:
            self.caps[rid] = 0
            return True
        g.restore(before)
        return False

    def _place(self, person: PersonState) -> None:
        g = self.g
        for _ in range(2):  # a second pass: the services may leave room for another day's block
            g.place_blocks(person)
            g.place_services(person)
        g.repair()  # (a group opened for the referral alone is below its minimum)

    def _move(self, person: PersonState, i: int) -> None:
        """One move: for someone above their cap, mostly a move of theirs (as RuinRecreate.run
        mends a shortfall); else one aimed at the referral: their services booked again
        (every third move when a service is missing), or the referral and a few of those
        holding what they lack taken out and put back (the referral first or last)."""
        rr, g = self.rr, self.g
        over = sorted(pid for pid, cap in self.caps.items() if g.person_units(g.people[pid]) > cap)
        if over and rr.rng.random() < 0.7:
            self._mend(g.people[rr.rng.choice(over)])
            return
        if i % 3 == 2 and g.lacks_service(person):
            if rr.service_move(person):
                return
        elif i % 3 == 1 and rr.rebook_services(person):
            return
        lacking, near = self._rivals(person)
        pool = lacking if lacking and (not near or rr.rng.random() < 0.7) else near
        k = min(len(pool), rr.rng.choice((1, 2, 3, 4)))
        others = [g.people[pid] for pid in rr.rng.sample(pool, k)]
        if near and rr.rng.random() < 0.5:  # and one who shares the referral's sessions or times
            extra = rr.rng.choice(near)
            if g.people[extra] not in others:
                others.append(g.people[extra])
        victims = [person, *others] if rr.rng.random() < 0.6 else [*others, person]
        rr.ruin_recreate(victims)

    def _mend(self, target: PersonState) -> None:
        """A move for someone above their cap: their services booked again beside other groups,
        or they and a few who share their sessions or track taken out and put back."""
        rr, g = self.rr, self.g
        if (g.lacks_service(target) and rr.service_move(target)) or rr.rebook_services(target):
            return
        tid = target.p.participant_id
        mates = sorted({pid for sess in target.sessions for pid in sess.members if pid in self.caps} - {tid})
        same = sorted(pid for pid in self.caps if pid != tid and g.people[pid].p.track == target.p.track)
        pool = sorted(set(mates) | set(rr.rng.sample(same, min(3, len(same)))))
        rr.ruin_recreate([target] + [g.people[pid] for pid in rr.rng.sample(pool, min(len(pool), 3))])

    def _rivals(self, person: PersonState) -> tuple[list[str], list[str]]:
        """Those in the week (in care or admitted) who hold what the referral lacks (seats in
        the groups of a type they are short of, at times they could attend; the leaders' time
        of a service they are short of), and those who share the referral's sessions or, when
        they are few, the referral's times."""
        g = self.g
        p = person.p
        rid = p.participant_id
        opts = [o for os_ in person.options.values() for o in os_]
        short = {t.name for t in g.prog.session_types if person.type_week[t.name] < person.need[t.name]}
        reach_opts = {o.index for o in opts if o.stype.name in short}
        leaders = {s for o in opts if o.stype.name in short and not o.stype.is_group for s in o.staff}
        lacking: set[str] = set()
        for sess in g.sessions:
            o = sess.option
            if o.index in reach_opts or (not o.stype.is_group and sess.staff in leaders):
                lacking.update(sess.members)
        near = {pid for sess in person.sessions for pid in sess.members}
        if len(near) < 3:
            reach = {(o.day, o.slot + k) for o in opts for k in range(o.length)}
            for sess in g.sessions:
                o = sess.option
                if any((o.day, o.slot + k) in reach for k in range(o.length)):
                    near.update(sess.members)
        return (sorted(pid for pid in lacking - {rid} if pid in self.caps),
                sorted(pid for pid in near - {rid} if pid in self.caps))

