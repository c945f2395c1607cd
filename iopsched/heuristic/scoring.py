"""The heuristic week's requirements and objective terms, counted as the model counts them."""

from __future__ import annotations

import math
from collections import Counter

from iopsched.cpsat.model import UNMET_UNITS, high_tier, slots_needed
from iopsched.domain import PREFERRED_WINDOWS, Participant
from iopsched.heuristic.state import PersonState, WeekState


def outside_time(p: Participant, start: int) -> bool:
    """Does a session starting at `start` fall outside the participant's preferred time of day?"""
    if not p.preferred_time:
        return False
    lo, hi = PREFERRED_WINDOWS[p.preferred_time]
    return not lo <= start < hi


class ScoredWeek(WeekState):
    """A week that can count its shortfalls, changes to last week and objective terms."""

    def unmet_ids(self) -> list[str]:
        S = self.S
        out = []
        for pid, person in self.people.items():
            p = person.p
            days = [d for d, b in person.busy.items() if b]
            need_day = slots_needed(p.day_hours_min, S)
            if (len(days) < p.days_min
                    or any(person.minutes[d] // S < need_day for d in days)
                    or person.week_minutes // S < slots_needed(p.week_hours_min, S)
                    or any(person.type_week[t.name] < person.need[t.name] for t in self.prog.session_types)):
                out.append(pid)
        return out

    def changes(self) -> int:
        """Changes to last week (the model's stability term): continuing participants'
        attendances (still possible) this week no longer has, attendances it adds, and last
        week's leaders and co-leaders no longer leading (co-leading) at the same time."""
        if not self.continuing and not self.last_leads and not self.last_co_leads:
            return 0
        now = {(pid, sess.option.index) for sess in self.sessions for pid in sess.members if pid in self.continuing}
        leads = {(sess.option.index, sess.staff) for sess in self.sessions}
        co_leads = {(sess.option.index, sess.co_staff) for sess in self.sessions if sess.co_staff is not None}
        return len(self.last_week ^ now) + len(self.last_leads - leads) + len(self.last_co_leads - co_leads)

    def shortfall_units(self) -> int:
        """Unmet units of the greedy week, as the model's `unmet` term counts them."""
        return sum(self.person_units(person) for person in self.people.values())

    def person_units(self, person: PersonState) -> int:
        """One participant's unmet units, as the model's `unmet` term counts them."""
        S = self.S
        p = person.p
        days = [d for d, b in person.busy.items() if b]
        total = UNMET_UNITS["days"] * max(0, p.days_min - len(days))
        need_day = slots_needed(p.day_hours_min, S)
        for d in days:
            total += max(0, need_day - person.minutes[d] // S)
        need_week = slots_needed(p.week_hours_min, S)
        total += max(0, need_week - person.week_minutes // S)
        for t in self.prog.session_types:
            total += UNMET_UNITS["session"] * max(0, person.need[t.name] - person.type_week[t.name])
        return total

    def terms(self) -> dict[str, int]:
        """The week's objective terms, counted as the model counts them (cpsat/model.py)."""
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

    def person_terms(self, person: PersonState) -> Counter:
        """One participant's preference terms (routine, time, days, continuity, day services, day tier)."""
        p, t = person.p, Counter[str]()
        days = sorted(d for d, b in person.busy.items() if b)
        if len({d for d, _u in person.options}) > 1 and days:
            t["routine"] += len({min(person.busy[d]) for d in days}) - 1
        if p.preferred_days:
            t["day_preference"] += sum(1 for d in days if d not in p.preferred_days)
        for sess in person.sessions:
            o = sess.option
            t["time_preference"] += outside_time(p, o.start)
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

    def person_penalty(self, person: PersonState) -> int:
        w = self.rules.weights
        return sum(w.get(name, 0) * value for name, value in self.person_terms(person).items())

    def objective(self) -> int:
        """The model's objective for this week (the weights of the config)."""
        w = self.rules.weights
        return sum(w.get(name, 0) * value for name, value in self.terms().items())

