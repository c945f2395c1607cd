"""The generated kinds' participants and their weeks (`KindWeeks`, on top of `KindResources`;
`kinds.KindPlanner` builds on it): the people and their bands, the runs of groups one can
attend on a day, a week chosen from them (steps 2 and 4 of `generate.kinds`' docstring), the
checks of a day and of a week, and individual, medication and family sessions booked next to
a run."""

from __future__ import annotations

import itertools
import math

from iopsched.generate.common import (
    CLOSE,
    OPEN,
    SLOT,
)
from iopsched.generate.kind_catalogue import (
    ARCHETYPES,
    DAY_COUNTS,
    LEVELS,
    MAX_GAP,
    TYPES,
    Extra,
    GSession,
    KPerson,
    eligible,
    free_windows,
    weekly_needs,
)
from iopsched.generate.kind_resources import KindResources


class KindWeeks(KindResources):
    """The participants of one program week of a kind and their weeks in the witness, on top
    of `KindResources`' rooms, staff and lanes."""

    # participants --------------------------------------------------------------------------
    def band_counts(self, n: int) -> dict[str, int]:
        shares = self.spec.shares
        counts = {b: round(n * s) for b, s in shares.items()}
        main = max(shares, key=lambda b: shares[b])
        counts[main] += n - sum(counts.values())
        adult = [b for b in counts if b in ("day", "evening")]  # (afternoon: evening lanes)
        big = max(adult, key=lambda b: counts[b])
        for b in adult:  # too few for lanes of their own: they come with the biggest adult band
            if b != big and counts[b] < 6:
                counts[big] += counts.pop(b)
        return counts

    def make_people(self) -> None:
        n = self.size.participants
        planted = 0
        if self.spec.planted:
            planted = max(2, round(self.spec.planted * n))
        counts = self.band_counts(n - planted)
        names = self.names(n)
        ids = [f"P{i + 1:03d}" for i in range(n)]
        self.rng.shuffle(ids)
        bands = [b for b, c in counts.items() for _ in range(c)]
        self.planted_ids = ids[len(bands):]
        for pid, band in zip(ids, bands, strict=False):
            self.people.append(self.new_person(pid, names[int(pid[1:]) - 1], band))
        self.by_pid = {p.pid: p for p in self.people}

    def new_person(self, pid: str, name: str, band: str) -> KPerson:
        rng = self.rng
        teen = band == "teen"
        track = "Adolescent" if teen else rng.choices(("SUD", "MH", "Dual"), (35, 30, 35))[0]
        level = "IOP-adolescent" if teen else "IOP"
        p = KPerson(pid, name, track, band, level)
        if not teen and rng.random() < 0.25:
            p.tags.append("women")
        p.commitments = sorted(ARCHETYPES[band](rng, self.days))
        p.free = {d: free_windows(p.commitments, d) for d in self.days}
        (p.days_min, p.days_max, p.dh_min, p.dh_max, p.wh_min, p.wh_max) = LEVELS[level]
        counts, weights = DAY_COUNTS["teen" if teen else "default"]
        p.k = rng.choices(counts, weights)[0]
        if p.k == 2:  # step-down: two days a week
            p.days_min, p.wh_min = 2, (240 if teen else 300)
        p.needs_medication = rng.random() < (0.25 if teen else 0.4)
        p.family_sessions = rng.random() < (0.6 if teen else 0.2)
        return p

    def band_days(self, p: KPerson) -> list[int]:
        return [d for d in self.days if p.free.get(d)]

    # a participant's week ---------------------------------------------------------------------
    def score(self, g: GSession) -> float:
        n = len(g.members)
        if 0 < n < g.min_size:
            return 10.0
        return 4.0 * (g.cap - n) / g.cap

    def chains(self, p: KPerson, day: int) -> list[tuple[float, list[GSession], int]]:
        """Runs of groups p can attend on `day`: gaps <= 30 min, distinct types, 2-4 h."""
        ok = [g for g in self.by_day[day] if g.alive and len(g.members) < g.cap
              and p.fits(day, g.start, g.end) and eligible(p, g.type_name)]
        ok.sort(key=lambda g: (g.start, g.room_id))
        scores = {id(g): self.score(g) + self.rng.random() for g in ok}
        out: list[tuple[float, list[GSession], int]] = []

        def extend(chain: list[GSession], minutes: int, total: float) -> None:
            if minutes >= p.dh_min:
                out.append((total, chain, minutes))
            if len(chain) == 4:
                return
            last = chain[-1]
            used = {g.type_name for g in chain}
            nxt = [g for g in ok if 0 <= g.start - last.end <= MAX_GAP and g.type_name not in used
                   and minutes + g.end - g.start <= p.dh_max]
            nxt.sort(key=lambda g: -scores[id(g)])
            for g in nxt[:3]:
                extend([*chain, g], minutes + g.end - g.start, total + scores[id(g)])

        for g in ok:
            extend([g], g.end - g.start, scores[id(g)])
        return out

    def plan_week(self, p: KPerson) -> bool:
        cands = {}
        for d in self.band_days(p):
            cs = self.chains(p, d)
            if cs:
                cands[d] = cs
        if len(cands) < p.days_min or (p.med_day is not None and p.med_day not in cands):
            return False
        needs = weekly_needs(p)
        best = {d: max(c[0] for c in cs) + 2 * self.rng.random() for d, cs in cands.items()}
        order = sorted(cands, key=lambda d: -best[d])
        if p.med_day is not None:
            order.remove(p.med_day)
            order.insert(0, p.med_day)
        top = min(p.days_max, len(cands))
        # the prescriber's day: other runs that day, for a free visit next to one of them
        alts = [None] if p.med_day is None else \
            [None, *sorted(cands[p.med_day], key=lambda c: -c[0])[:8]]
        for k in list(range(max(p.k, p.days_min), top + 1)) + list(range(p.days_min, p.k)):
            chosen = sorted(order[:k])
            for alt in alts:
                plan = self.pick_chains(p, chosen, cands, needs, {p.med_day: alt} if alt else {})
                if plan is None:
                    continue
                for d, chain in plan.items():
                    p.items[d] = list(chain)
                    for g in chain:
                        g.members.append(p.pid)
                if self.place_extra(p, "Individual Therapy", chosen, fresh=True) and (
                        p.med_day is None
                        or self.place_extra(p, "Medication Management", [p.med_day], fresh=True)):
                    return True
                self.unplan(p)
        return False

    def pick_chains(self, p: KPerson, days: list[int], cands, needs, fixed) -> dict | None:
        plan: dict[int, list[GSession]] = {}
        acc = 0
        have = {name: 0 for name, _ in needs}
        for i, d in enumerate(days):
            left = len(days) - i
            need = max(p.dh_min, math.ceil((p.wh_min - acc) / left / 30) * 30)
            short = [name for name, m in needs if m - have[name] >= left]
            options = [c for c in cands[d] if all(any(g.type_name == n for g in c[1]) for n in short)]
            options = [fixed[d]] if d in fixed else (options or cands[d])
            long_enough = [c for c in options if c[2] >= need]
            # the best-scored run that is long enough, without taking seats it does not need
            if long_enough:
                pick = max(long_enough, key=lambda c, need=need: c[0] - (c[2] - need) / 10)  # type: ignore[misc]
            else:
                pick = max(options, key=lambda c: (c[2], c[0]))
            plan[d] = pick[1]
            acc += pick[2]
            for g in pick[1]:
                if g.type_name in have:
                    have[g.type_name] += 1
        if acc < p.wh_min or acc > p.wh_max or any(have[n] < m for n, m in needs):
            return None
        return plan

    def unplan(self, p: KPerson) -> None:
        for items in p.items.values():
            for x in items:
                if isinstance(x, GSession):
                    x.members.remove(p.pid)
                else:
                    self.release(x.staff_id, x.room_id, x.day, x.start, x.end)
                    self.extras.remove(x)
        p.items = {}

    # checks of one day and of the week -------------------------------------------------------
    def day_ok(self, p: KPerson, items: list) -> bool:
        items = sorted(items, key=lambda x: x.start)
        for a, b in itertools.pairwise(items):
            if b.start < a.end or b.start - a.end > MAX_GAP:
                return False
        names = [x.type_name for x in items]
        return len(names) == len(set(names)) and p.dh_min <= p.minutes(items) <= p.dh_max

    def week_ok(self, p: KPerson, day: int, items: list) -> bool:
        other = {d: v for d, v in p.items.items() if d != day}
        if items:
            other[day] = items
        week = sum(p.minutes(v) for v in other.values())
        if not (p.wh_min <= week <= p.wh_max and p.days_min <= len(other) <= p.days_max):
            return False
        counts: dict[str, int] = {}
        for v in other.values():
            for x in v:
                counts[x.type_name] = counts.get(x.type_name, 0) + 1
        for name, c in counts.items():
            wmax = TYPES[name]["weekly_max"]
            if wmax is not None and c > wmax:
                return False
        return all(counts.get(name, 0) >= m for name, m in weekly_needs(p))

    # individual, medication and family sessions -------------------------------------------------
    def place_extra(self, p: KPerson, type_name: str, days: list[int], fresh: bool = False) -> bool:
        """Book a session of `type_name` next to p's chain on one of `days`, or instead of one
        (or, for a 30-minute visit, part of one) of its groups; the day stays >= 2 h. `fresh`:
        p has just been put in those groups, so leaving one cannot break its minimum."""
        t = TYPES[type_name]
        m = t["minutes"]
        days = [d for d in days if d in p.items]
        self.rng.shuffle(days)
        for day in days:
            items = p.items[day]
            lo = min(x.start for x in items)
            hi = max(x.end for x in items)
            xs = list(range(lo - m - MAX_GAP, hi + MAX_GAP + 1, SLOT))
            self.rng.shuffle(xs)
            xs.sort(key=lambda x: 0 if x in (hi, lo - m) else (2 if x in (hi + 30, lo - m - 30) else 1))
            for x in xs:
                y = x + m
                if x < OPEN or y > CLOSE or not p.fits(day, x, y):
                    continue
                hit = [g for g in items if g.start < y and x < g.end]
                if any(not g.is_group or (len(g.members) <= g.min_size and not fresh)
                       for g in hit):
                    continue
                new = Extra(type_name, day, x, y, "", "", p.pid)
                rest = [g for g in items if g not in hit] + [new]
                if not self.day_ok(p, rest) or not self.week_ok(p, day, rest):
                    continue
                leader = self.free_staff(t["staff_role"], day, x, y, prefer=p.therapist)
                room = self.free_room(t["kind"], day, x, y)
                if leader is None or room is None:
                    continue
                self.book(leader, room, day, x, y)
                new.staff_id, new.room_id = leader.staff_id, room.room_id
                for g in hit:
                    g.members.remove(p.pid)
                p.items[day] = sorted(rest, key=lambda g: g.start)
                self.extras.append(new)
                if type_name == "Individual Therapy":
                    p.therapist = leader.staff_id
                return True
        return False
