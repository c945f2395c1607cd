"""Harder program kinds for `iopsched generate --kind K`: the regimes coordinators actually have.

`classic` (iopsched.generate.classic's Planner) gives easy programs: cohorts that share a block,
rooms about half used. The kinds here are planned the same way (a *witness* week is
built while the program is invented, and only what that week can honour is written),
but the witness is packed tight, so that a solver must pack too:

- `mix`: a day/evening mix in the style of the reported evening-workers case (its
  catalogue: 90-minute Process Group (weekly minimum 2), DBT Skills and Seeking Safety,
  60-minute skills groups, Life Skills led by peer specialists, family sessions led by
  family therapists, 30-minute medication visits that do not count toward hours). Staff
  work an early shift 08:00-16:30 or a late shift 12:30-21:00 (Saturday mornings for some
  early staff when the program opens then); family therapists are on the late shift; each
  prescriber has a morning window on one day and an afternoon-evening window on another.
  About 40% day track (free mornings: second-shift workers, parents, part-time afternoon
  jobs, night shifts), 45% evening (day-shift workers 07:00-15:30, 08:00-17:00,
  09:00-17:30, some 4x10 Mon-Thu, some also working Saturdays when the program opens then),
  the rest afternoon (morning classes, early shifts) or flexible (free all day).
- `evening`: like the case: about 70% employed day-shift workers on the evening track,
  the rest day track.
- `adolescent`: half Adolescent (level IOP-adolescent, school 08:00-15:00 on weekdays, free
  from 15:30 with the travel buffer; some sports practice or a Saturday job), teen groups
  after school (the busy band is 15:30-18:30); the other half adults as in `mix`.
- `prescriber`: `mix` with exactly one prescriber who comes on one day only (one window,
  08:00-21:00). The flagged participants (needs_medication, 35-45% at small and medium) are
  planned on that day first, each with the visit next to (or instead of one group of) their
  run of groups. The day holds 26 visits, so from large on the flagged share is capped by it
  (about 17% at large, 6% at xl).
- `planted`: `mix` plus about 8% (at least 2) planted participants who cannot be fully met
  by any schedule, each for a reason a coordinator recognises and that their own row,
  commitments and the staff windows prove: works every open day 07:00-20:00; free on only
  two days; needs medication but is at work whenever a prescriber is in; family sessions
  but at work whenever a family therapist is in; days_min above the open days; weekly hours
  above days_max x day_hours_max. Reasons differ until all six are used. They are not in the
  witness; `Generated.planted` maps their ids to the reason (and `write_generated` writes it
  to planted.json beside the program).

How the witness is packed:
1. Lanes. The kind's busiest band (evening 17:00-21:00; teen for `adolescent`) gets a lane
   in every group room on every weekday: back-to-back groups, e.g. 17:30 Process Group 90 +
   Psychoeducation 60 + Life Skills 60, or 18:00 Process Group 90 + DBT Skills 90; shapes
   vary by room and day. The other bands get lanes for ~85% of their demand in seats (at
   least 3 days; evening workers at least every weekday). Each group gets its leader then.
2. Participants. Each has commitments drawn first from their band's archetypes, then a week
   chosen from what those leave free: 2, 3, 4 or 5 days (2-day participants are step-down:
   days_min 2 and a weekly minimum of what they get), on each day a run of groups that may
   change rooms (gaps <= 30 minutes, 2-4 h), chosen to bring groups below their minimum up
   first and otherwise the emptiest, so days differ between participants of one band.
   Individual therapy goes before or after the run or in place of one of its groups, never
   on a day of its own; every attended day holds >= 2 h. Someone who finds no week gets
   another shift, then steps down to two days, then becomes flexible.
3. Repair. A group still under its minimum recruits members who can add it to their day, or
   is dissolved and its members re-planned. Empty groups are dropped.
4. Medication and family sessions are booked next to a run (or instead of one of its groups);
   a flag that finds no slot is dropped (an outside prescriber, no family involved).
5. Staff maxima are set from the witness load (its hours plus 10% and 1-3 h), not lavish.
A draw that cannot be completed is replaced by the next one (seeded from kind, size, seed and
attempt number: reproducible). The busiest band's group rooms come out 75-93% used in the
witness (`band_use`); groups average 9-10 of 12 seats at medium and large in `mix`, fewer
in `evening` (a third group room at medium) and in small programs.

Rooms per size (group rooms, offices, telehealth): chosen so that the witness packs tight but
is found; SIZES' participants, staff and days are kept. A room holds one session at a time,
telehealth included, so evening individual sessions need offices as well as group rooms.

| kind                         | small   | medium  | large    | xl        |
|------------------------------|---------|---------|----------|-----------|
| mix, prescriber, planted     | 1, 1, 1 | 2, 2, 1 | 4, 3, 2  | 10, 7, 5  |
| evening                      | 1, 1, 1 | 3, 2, 2 | 5, 4, 4  | 18, 12, 8 |
| adolescent                   | 1, 1, 1 | 3, 2, 1 | 6, 3, 2  | 15, 8, 5  |

`evening` at medium has three group rooms, not the case's two: 42 day-shift workers need
about 380 seat-hours of evening groups, nearly every seat two rooms have after 17:30.

`--rooms N` (the `rooms` argument of `generate`) keeps N rooms once the witness is planned:
group rooms, offices and telehealth in proportion, the biggest first (xl with 15 rooms). With
fewer rooms than the kind's own the witness no longer holds and `Generated.witness` is None
(the program may have no complete schedule at all); with more, rooms are added and the
witness still holds.
"""

from __future__ import annotations

import random

from iopsched.generate.common import (
    KINDS,
    PlanningError,
    Size,
    every,
    hm,
)
from iopsched.generate.kind_catalogue import (
    ARCHETYPES,
    BAND_WINDOWS,
    PLANTED_REASONS,
    PRESCRIBER_DAY_WINDOW,
    GSession,
    KPerson,
    eligible,
    free_windows,
)
from iopsched.generate.kind_resources import band_use, resize_rooms
from iopsched.generate.kind_weeks import KindWeeks

__all__ = ["BAND_WINDOWS", "KINDS", "band_use", "plan_kind", "resize_rooms"]


# --- the planner -------------------------------------------------------------------------------

class KindPlanner(KindWeeks):
    """Invents one program week of a kind together with a tight witness schedule: filling,
    repair, services, the prescriber's day and planted participants on top of `KindWeeks`
    (the people and their weeks) and `KindResources` (rooms, staff, lanes, the sheets)."""

    # filling, repair ----------------------------------------------------------------------------
    def fill(self) -> None:
        def slack(p: KPerson) -> float:
            free = sum(b - a for d in self.days for a, b in p.free.get(d, ()))
            return free + (10_000 if p.band == "flex" else 0) + 600 * self.rng.random()

        order = sorted(self.people, key=slack)
        failed = []
        for p in order:
            if self.plan_week(p):
                continue
            if p.med_day is not None:  # no visit on the prescriber's day: no medication
                p.med_day, p.needs_medication = None, False
                if self.plan_week(p):
                    continue
            failed.append(p)
        for p in failed:  # redraw their commitments (another shift), step down to two days a
            for attempt in range(5):  # week, then make them flexible
                if attempt == 3:
                    p.k, p.days_min, p.wh_min = 2, 2, (240 if p.teen else 300)
                if attempt == 4:
                    p.band = "flex"
                if attempt != 3:
                    p.commitments = sorted(ARCHETYPES[p.band](self.rng, self.days))
                    p.free = {d: free_windows(p.commitments, d) for d in self.days}
                if self.plan_week(p):
                    break
            else:
                raise PlanningError(f"no week for {p.pid} ({p.band})")

    def repair(self) -> None:
        for _ in range(10 * len(self.sessions) + 10):
            under = [g for g in self.sessions if g.alive and 0 < len(g.members) < g.min_size]
            if not under:
                return
            g = min(under, key=lambda g: (len(g.members), g.day, g.start, g.room_id))
            if self.recruit(g):
                continue
            g.alive = False
            hit = [self.by_pid[pid] for pid in list(g.members)]
            for p in hit:
                self.unplan(p)
            for p in hit:
                if not self.plan_week(p):
                    raise PlanningError(f"no week for {p.pid} after dissolving a group")
        raise PlanningError("group sizes did not settle")

    def recruit(self, g: GSession) -> bool:
        people = [p for p in self.people if g.day in p.items and p.pid not in g.members
                  and eligible(p, g.type_name) and p.fits(g.day, g.start, g.end)]
        self.rng.shuffle(people)
        for p in people:
            if len(g.members) >= g.min_size:
                return True
            items = p.items[g.day]
            hit = [x for x in items if x.start < g.end and g.start < x.end]
            if any(not x.is_group or len(x.members) <= x.min_size for x in hit):
                continue
            rest = [x for x in items if x not in hit] + [g]
            if not self.day_ok(p, rest) or not self.week_ok(p, g.day, rest):
                continue
            for x in hit:
                x.members.remove(p.pid)
            g.members.append(p.pid)
            p.items[g.day] = sorted(rest, key=lambda x: x.start)
        return len(g.members) >= g.min_size

    def drop_empty(self) -> None:
        for g in self.sessions:
            if g.alive and not g.members:
                g.alive = False
            if not g.alive:
                self.staff_by_id[g.staff_id].book(g.day, g.start, g.end, sign=-1)
                self.busy.release(g.staff_id, g.day, g.start, g.end)
                self.busy.release(g.room_id, g.day, g.start, g.end)
        self.sessions = [g for g in self.sessions if g.alive]
        self.by_day = {d: [g for g in self.by_day[d] if g.alive] for d in self.days}

    def place_services(self) -> None:
        people = list(self.people)
        self.rng.shuffle(people)
        order = {"evening": 0, "teen": 1, "afternoon": 2, "flex": 3, "day": 4}
        people.sort(key=lambda p: order[p.band])
        for p in people:
            if p.needs_medication and p.med_day is None:
                p.needs_medication = self.place_extra(p, "Medication Management", list(p.items))
        for p in people:
            if p.family_sessions:
                p.family_sessions = self.place_extra(p, "Family Session", list(p.items))

    # planted participants ----------------------------------------------------------------------
    def make_planted(self) -> None:
        reasons = list(PLANTED_REASONS)
        self.rng.shuffle(reasons)
        names = self.names(self.size.participants)
        for i, pid in enumerate(sorted(self.planted_ids)):
            reason = reasons[i % len(reasons)]
            band = "day" if reason in ("no_family_therapist_time",) else "flex"
            p = self.new_person(pid, names[int(pid[1:]) - 1], band)
            p.k, p.days_min, p.wh_min = 3, 3, 540 if not p.teen else 360
            p.planted = reason
            p.needs_medication = reason == "no_prescriber_time"
            p.family_sessions = reason == "no_family_therapist_time"
            p.commitments = self.planted_commitments(reason)
            if reason == "days_min_above_open_days":
                p.days_min = p.days_max = len(self.days) + 1
            if reason == "week_hours_above_max":
                p.wh_min = p.wh_max = (min(p.days_max, len(self.days)) * p.dh_max) + 120
            self.people.append(p)
            self.by_pid[pid] = p

    def planted_commitments(self, reason: str) -> list[tuple[int, int, int, str]]:
        days = list(self.days)
        if reason == "works_all_day":
            return every(days, "07:00", "20:00", "work")
        if reason == "two_free_days":
            free = sorted(self.rng.sample(days, 2))
            return [(d, hm("07:00"), hm("21:30"), "caregiving") for d in days if d not in free]
        role = {"no_prescriber_time": "prescriber", "no_family_therapist_time": "family_therapist"}
        if reason in role:
            out = []
            for d in days:
                ws = [(a, b) for s in self.staff if role[reason] in s.roles
                      for dd, a, b in s.windows if dd == d]
                if ws:
                    out.append((d, min(a for a, _ in ws), max(b for _, b in ws), "work"))
            return out
        return every(self.weekdays, "14:00", "22:00", "work")  # the level reasons: a day track

    # the whole week ------------------------------------------------------------------------------
    def run(self) -> tuple[dict[str, list[dict]], list[dict], dict[str, str]]:
        self.make_rooms()
        self.make_staff()
        self.make_people()
        if self.spec.one_prescriber:
            self.choose_medication()
        self.make_lanes()
        self.fill()
        self.repair()
        self.drop_empty()
        if not self.spec.one_prescriber:
            self.schedule_prescribers()
        self.place_services()
        if self.spec.one_prescriber:
            self.trim_medication()
        self.make_planted()
        self.tighten_staff()
        planted = {p.pid: p.planted for p in self.people if p.planted}
        return self.sheets(), self.witness(), planted

    def choose_medication(self) -> None:
        """Prescriber kind: the participants who will need medication must come on its day."""
        for p in self.people:
            p.needs_medication = False
        # the visit is next to a run of groups: evening workers who come at 17:30 or later
        # compete for the few evening half-hours, so the flagged are mostly day and flexible
        med = self.med_day
        assert med is not None, "the prescriber kind has a prescriber's day"
        people = [p for p in self.people if p.free.get(med)]
        weight = {p.pid: self.rng.random() * (0.35 if min(
            a for a, _ in p.free[med]) >= hm("17:00") else 1.0) for p in people}
        people.sort(key=lambda p: -weight[p.pid])
        a, b = PRESCRIBER_DAY_WINDOW
        want = min(round(0.5 * len(self.people)), (b - a) // 30 + 4)  # some find no slot
        for p in people[:want]:
            p.needs_medication = True
            p.med_day = self.med_day

    def trim_medication(self) -> None:
        """At most 45% flagged (visits at the end of a day are given back); from medium down
        at least 35%, else this draw is replaced."""
        med = self.med_day
        assert med is not None, "the prescriber kind has a prescriber's day"
        flagged = [p for p in self.people if p.needs_medication]
        self.rng.shuffle(flagged)
        extra = len(flagged) - int(0.45 * len(self.people))
        for p in flagged:
            if extra <= 0:
                break
            items = p.items[med]
            visit = next(x for x in items if x.type_name == "Medication Management")
            if visit in (items[0], items[-1]) and self.day_ok(p, [x for x in items if x is not visit]):
                items.remove(visit)
                self.extras.remove(visit)
                self.release(visit.staff_id, visit.room_id, visit.day, visit.start, visit.end)
                p.needs_medication, p.med_day = False, None
                extra -= 1
        share = sum(p.needs_medication for p in self.people) / len(self.people)
        if self.size.participants <= 60 and not 0.35 <= share <= 0.45:
            raise PlanningError(f"medication share {share:.0%} outside 35-45%")


# --- entry point --------------------------------------------------------------------------------

def plan_kind(kind: str, size_name: str, size: Size, seed: int):
    """(sheets, witness, planted) of a kind other than classic."""
    for attempt in range(30):  # an unlucky draw is replaced by the next, reproducibly
        rng = random.Random(f"{kind}:{size_name}:{seed}:{attempt}")
        try:
            return KindPlanner(kind, size_name, size, rng).run()
        except PlanningError:
            continue
    raise PlanningError(f"could not generate a feasible {kind} {size_name} program from seed {seed}")
