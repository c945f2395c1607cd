"""The local search on a greedy week: ruin and recreate, deterministic.

It changes the week only through `WeekState`'s public operations (join, drop, fits, held,
open_session, snapshot, restore) and the construction's placements.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable

from iopsched.cpsat.model import Option, effective_capacity
from iopsched.heuristic.construction import Greedy
from iopsched.heuristic.state import PersonState

STALL = 50  # the local search stops after this many (or a quarter of its budget) without fewer shortfalls


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


    def key(self) -> tuple[int, int, int]:
        """(shortfalls, weighted shortfalls and changes to last week, sessions run): the first
        says whether the week is better for requirements, the second trades them against
        stability (with --previous) as the objective's weights do."""
        g = self.g
        units, changes = g.shortfall_units(), g.changes()
        w = g.rules.weights
        return units, w.get("unmet", 1000) * units + w.get("stability", 100) * changes, len(g.sessions)

    def rebook_services(self, person: PersonState) -> bool:
        """Take a participant's services out, add group blocks where the week lacks hours or
        days, then book the services again beside the blocks. Kept only if the week is better
        (`key()[1]`: fewer shortfalls, weighed against changes to last week with --previous);
        a day of services alone leaves the week short."""
        g = self.g
        services = [x for x in person.sessions if not x.option.stype.is_group and not g.held(person, x)]
        if not services:
            return False
        base = self.key()
        snap = self.g.snapshot()
        for sess in services:
            g.drop(person, sess)
        g.place_blocks(person)
        g.place_services(person)
        if self._better(base):
            return True
        self.g.restore(snap)
        return False

    def _better(self, base) -> bool:
        """Clean up after a targeted move; is the week better than `base` (`key()[1]`)?"""
        self.g.repair()
        return self.key()[1] < base[1]

    def service_move(self, person: PersonState, per_day: int = 6) -> bool:
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
            if t.is_group or person.type_week[t.name] >= person.need[t.name]:
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
                    snap = self.g.snapshot()
                    for sess in [x for x in person.sessions if x.option.day == day]:
                        if g.held(person, sess):
                            continue
                        g.drop(person, sess)
                    opened = g.open_session(o, prefer) if g.fits(person, o) else None
                    if opened is not None:
                        g.join(person, opened)
                        g.place_blocks(person, only_day=day)
                        g.place_services(person)
                        g.place_blocks(person)
                        if self._better(base):
                            return True
                    self.g.restore(snap)
        return False

    def run(self, iterations: int, patience: int | None = None) -> tuple[int, int, int]:
        """Mend shortfalls for up to `iterations` moves; stop after `patience` moves (default:
        STALL or a quarter of the budget) without fewer shortfall units."""
        g = self.g
        best, snap = self.key(), self.g.snapshot()
        stall = 0
        patience = default_patience(iterations) if patience is None else patience
        for _ in range(iterations):
            if best[0] == 0 or stall >= patience or self.stop():
                break
            unmet = sorted(set(g.unmet_ids()) - self.hopeless)
            if not unmet:
                break
            self.iterations += 1
            target = g.people[self.rng.choice(unmet)]
            if (self.g.lacks_service(target) and self.service_move(target)) or self.rebook_services(target):
                best, snap, stall = self.key(), self.g.snapshot(), 0
                self.on_better()
                continue
            mates = sorted({pid for sess in target.sessions for pid in sess.members} - {target.p.participant_id})
            same_track = sorted(pid for pid, ps in g.people.items()
                                if ps.p.track == target.p.track and pid != target.p.participant_id)
            # someone lacking a service competes with those holding services on the same days
            days = {d for d, b in target.busy.items() if b}
            rivals = sorted({pid for sess in g.sessions if not sess.option.stype.is_group
                             and sess.option.day in days for pid in sess.members}
                            - {target.p.participant_id}) if self.g.lacks_service(target) else []
            pool = sorted(set(mates) | set(self.rng.sample(same_track, min(3, len(same_track))))
                          | set(self.rng.sample(rivals, min(3, len(rivals)))))
            # the unmet participant first, the others in sampled order
            self.ruin_recreate([target] + [g.people[pid] for pid in self.rng.sample(pool, min(len(pool), RUIN))])
            now = self.key()
            stall = 0 if now[0] < best[0] else stall + 1
            if now[1:] <= best[1:]:
                if now < best:
                    self.on_better()
                best, snap = now, self.g.snapshot()
            else:
                self.g.restore(snap)
        return best

    def ruin_recreate(self, victims: list[PersonState]) -> None:
        """Take the participants out of their sessions (but those pinned to them) and put
        them back in this order: blocks first, then services; clean up."""
        g = self.g
        for person in victims:
            for sess in list(person.sessions):
                if not g.held(person, sess):
                    g.drop(person, sess)
            g.clear_starts(person)
        for person in victims:
            g.place_blocks(person)
        for person in victims:
            g.place_services(person)
        g.repair()

    def replace_services(self, person: PersonState, objective: int) -> bool:
        """Book each of a participant's services again where it costs least now (a service
        before the day's first group gives the day another start time). Kept if the objective
        falls below `objective`; otherwise the week is restored."""
        g = self.g
        units = g.shortfall_units()
        booked = [(x.option.index, x.staff) for x in person.sessions
                  if not x.option.stype.is_group and not g.held(person, x)]
        for oi, staff in booked:
            snap = self.g.snapshot()  # restoring makes new session objects: look each one up again
            sess = next(x for x in person.sessions if (x.option.index, x.staff) == (oi, staff))
            g.drop(person, sess)
            if g.place_one(person, sess.option.stype):
                g.repair()
                if g.shortfall_units() <= units and g.objective() < objective and self._keeps_protected():
                    return True
            self.g.restore(snap)
        return False

    def polish(self, iterations: int, patience: int | None = None) -> None:
        """Ruin and recreate for the preferences once the requirements are done: a participant
        with a preference miss (several start times, outside their preferred time) and a few
        who share their sessions, or the members of one of the smallest groups (fewer, fuller
        groups), are taken out and put back. A week is kept when it has no more shortfalls and
        an objective (the model's, `Greedy.objective`) no higher. Stops after `patience` moves
        without a lower objective (default: `default_patience`)."""
        g = self.g
        best, snap = (g.shortfall_units(), g.objective()), self.g.snapshot()
        stall = 0
        patience = default_patience(iterations) if patience is None else patience
        for i in range(iterations):
            if stall >= patience or self.stop():
                break
            self.iterations += 1
            missing = sorted(pid for pid, ps in g.people.items() if g.person_penalty(ps) > 0)
            groups = sorted((x for x in g.sessions if x.option.stype.is_group and not x.pinned),
                            key=lambda x: (len(x.members), x.option.index, x.staff))
            if missing and (i % 2 == 0 or not groups):
                target = g.people[self.rng.choice(missing)]
                if self.replace_services(target, best[1]):
                    best, snap, stall = (g.shortfall_units(), g.objective()), self.g.snapshot(), 0
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
                best, snap = now, self.g.snapshot()
            else:
                stall += 1
                self.g.restore(snap)



# The local search may take about this share of --time-limit. Its budget is counted in
# iterations (never seconds, so the week is repeatable), from the measured cost of one
# iteration on the 2-core laptop, a + b per participant (docs/model.md, 4): mending a
# shortfall (RuinRecreate.run) and polishing the preferences (RuinRecreate.polish).
RR_SHARE = 0.3
RUIN = 4
REPAIR_SECONDS = (0.018, 0.00008)  # with the undo journal (was 0.02 + 0.0003 per participant)
POLISH_SECONDS = (0.006, 0.00016)
MAX_ITERATIONS = 3000


def default_patience(iterations: int) -> int:
    """Moves without progress after which a phase of `iterations` moves stops: a quarter of
    them, at least STALL."""
    return max(STALL, iterations // 4)


def iteration_seconds(participants: int, cost: tuple[float, float] = REPAIR_SECONDS) -> float:
    return cost[0] + cost[1] * participants


def ruin_recreate_budget(participants: int, time_limit: float = 10.0,
                         cost: tuple[float, float] = REPAIR_SECONDS, spent: float = 0.0) -> int:
    """Iterations of one phase of the local search for a solve of `time_limit` seconds, when
    `spent` (reckoned) seconds of its share are already used."""
    left = max(0.0, RR_SHARE * time_limit - spent)
    return max(10, min(MAX_ITERATIONS, int(left / iteration_seconds(participants, cost))))
