"""The `classic` kind: easy programs of cohorts that share a block (`Planner`, with the
commitment archetypes of each band); see `generate.programs` for how the witness is built."""

from __future__ import annotations

import math
import random

from iopsched.domain import DAY_NAMES, PREFERRED_WINDOWS
from iopsched.generate.common import (
    ADULT_TRACKS,
    BANDS,
    BUFFER,
    CLOSE,
    COHORT_TARGET,
    FIRST_NAMES,
    LAST_NAMES,
    OPEN,
    SESSION_TYPES,
    TYPES,
    WITNESS_GROUPS,
    Band,
    Busy,
    Cohort,
    Group,
    Person,
    PlanningError,
    RoomSpec,
    Size,
    StaffMember,
    band_counts,
    every,
    hhmm,
    hm,
)

# --- the generator ------------------------------------------------------------------------------

class Planner:
    """Invents one program week together with a schedule that meets every requirement."""

    def __init__(self, size: Size, seed: int):
        self.size = size
        self.rng = random.Random(seed)
        self.days = tuple(range(size.days))
        self.weekdays = tuple(d for d in self.days if d < 5)
        self.busy = Busy()
        self.staff: list[StaffMember] = []
        self.staff_by_id: dict[str, StaffMember] = {}
        self.rooms: list[RoomSpec] = []
        self.cohorts: list[Cohort] = []
        self.people: list[Person] = []
        self.extras: list[dict] = []  # witness individual / family / medication sessions

    # rooms and staff ----------------------------------------------------------------------------
    def make_rooms(self) -> None:
        n = self.size.rooms
        tele = 1 if n < 12 else 2
        group = max(2, math.ceil(n / 2))
        offices = n - tele - group
        kinds_group = ("group", "individual", "family")
        for i in range(group):
            self.rooms.append(RoomSpec(f"R{i + 1}", self.rng.choice((12, 14, 16)), kinds_group))
        for i in range(offices):
            self.rooms.append(RoomSpec(f"R{group + i + 1}", self.rng.choice((3, 4)),
                                       ("individual", "family", "medication")))
        for i in range(tele):
            self.rooms.append(RoomSpec(f"R{group + offices + i + 1}", None,
                                       ("individual", "family", "medication")))

    def make_staff(self) -> None:
        n = self.size.staff
        prescribers = max(1, round(n / 8))
        clinicians = n - prescribers
        shifts = ((hm("08:00"), hm("16:30")), (hm("12:30"), hm("21:00")), (hm("10:00"), hm("18:30")))
        names = self._names(n)
        for i in range(clinicians):
            start, end = shifts[i % 3]
            therapist = (i // 3) % 2 == 0 or i % 7 == 5
            roles = ["therapist", "counselor"] if therapist else ["counselor"]
            if therapist and i % 11 == 9:
                roles = ["therapist"]  # a therapist who does not run counseling groups
            if i % 6 == 1:
                roles.append("bilingual")  # Spanish-speaking: leads the Spanish group
            part_time = n >= 12 and i % 8 == 7
            if part_time:
                workdays = tuple(self.weekdays[k] for k in (0, 2, 4))
            elif len(self.days) > 5 and i % 2 == 1:
                workdays = (1, 2, 3, 4, 5)  # Tue-Sat
            else:
                workdays = self.weekdays
            windows = [(d, start, end) if d < 5 else (d, hm("08:00"), hm("14:00")) for d in workdays]
            self.staff.append(StaffMember(
                f"S{i + 1:02d}", names[i], tuple(roles), max_day=7,
                max_week=18 if part_time else 30, windows=windows,
            ))
        for k in range(prescribers):  # their two days are chosen once the cohorts are known
            i = clinicians + k
            self.staff.append(StaffMember(f"S{i + 1:02d}", "Dr. " + names[i], ("prescriber",),
                                          max_day=6, max_week=10, windows=[]))

    def schedule_prescribers(self) -> None:
        """Each prescriber comes on two days, in a morning or an afternoon-evening window,
        chosen where most participants who need medication meet."""
        windows = {"am": (hm("08:00"), hm("13:30")), "pm": (hm("15:00"), hm("21:00"))}
        halves = {"morning": {"am": 1.0}, "afternoon": {"am": 0.5, "pm": 0.5}, "teen": {"pm": 1.0},
                  "evening": {"pm": 1.0}}
        demand = {(d, h): 0.0 for d in self.days for h in windows}
        for p in self.people:
            if p.needs_medication:
                for d in p.cohort.days:
                    for h, w in halves[p.band.name].items():
                        demand[d, h] += w / len(p.cohort.days)
        for s in self.staff:
            if "prescriber" not in s.roles:
                continue
            chosen: list[tuple[int, str]] = []
            for h in windows:  # one morning and one afternoon-evening, on different days
                d = max((d for d in self.days if all(d != c for c, _ in chosen)),
                        key=lambda d: (demand[d, h], -d))
                demand[d, h] -= 8 if h == "am" else 5
                chosen.append((d, h))
            s.windows = sorted((d, *windows[h]) for d, h in chosen)

    def _names(self, n: int) -> list[str]:
        pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
        self.rng.shuffle(pairs)
        return [f"{f} {last}" for f, last in pairs[:n]]

    # cohorts -----------------------------------------------------------------------------------
    def patterns(self, band: Band) -> list[tuple[int, ...]]:
        days = self.weekdays if band.weekdays_only else self.days
        out: list[tuple[int, ...]] = []
        for a in days:
            for b in days:
                for c in days:
                    if a < b < c and not (b == a + 1 and c == b + 1):  # no three days in a row
                        out.append((a, b, c))
        return out

    def make_cohorts(self) -> None:
        """Split each band into cohorts; spread the cohorts' days evenly over the week."""
        total = {d: 0 for d in self.days}
        for band_name, count in band_counts(self.size).items():
            if count <= 0:
                continue
            band = BANDS[band_name]
            k = max(1, math.ceil(count / COHORT_TARGET[band.audience]))
            sizes = [count // k + (1 if i < count % k else 0) for i in range(k)]
            pats = self.patterns(band)
            self.rng.shuffle(pats)
            load = {d: 0 for d in self.days}
            for i, n in enumerate(sizes):
                ranked = sorted(pats, key=lambda p: (sum(load[d] for d in p), sum(total[d] for d in p)))
                cohort = next((c for c in (Cohort(len(self.cohorts), band, p, size=n) for p in ranked)
                               if self.place_cohort(c, i)), None)
                if cohort is None:
                    raise PlanningError(f"no room or staff for a {band.name} cohort")
                for d in cohort.days:
                    load[d] += n
                    total[d] += n
                self.cohorts.append(cohort)

    def place_cohort(self, cohort: Cohort, i: int) -> bool:
        """Book a group room and leaders for every day of the cohort at one common start time."""
        band = cohort.band
        starts = band.starts[i % len(band.starts):] + band.starts[: i % len(band.starts)]
        names = WITNESS_GROUPS[band.audience]
        for start in starts:
            end = start + 60 * band.groups
            rooms: list[tuple[int, RoomSpec]] = []
            ok = True
            for j, day in enumerate(cohort.days):
                room = self.free_room("group", day, start, end)
                if room is None:
                    ok = False
                    break
                self.busy.book(room.room_id, day, start, end)
                rooms.append((day, room))
                for h in range(band.groups):
                    name = names[(cohort.index + j + h) % len(names)]
                    s = start + 60 * h
                    leader = self.free_staff(TYPES[name]["staff_role"], day, s, s + 60)
                    if leader is None:
                        ok = False
                        break
                    self.book_staff(leader, day, s, s + 60)
                    cohort.groups[day, s] = Group(name, day, s, leader.staff_id, room.room_id)
                if not ok:
                    break
            if ok:
                cohort.start = start
                return True
            for day, room in rooms:  # undo this start and try the next
                self.busy.release(room.room_id, day, start, end)
            for (day, s), g in cohort.groups.items():
                self.unbook_staff(self.staff_by_id[g.staff_id], day, s, s + 60)
            cohort.groups.clear()
        return False

    def free_room(self, kind: str, day: int, start: int, end: int) -> RoomSpec | None:
        # group sessions prefer group rooms; others prefer offices, then telehealth, then group rooms
        def rank(r: RoomSpec) -> int:
            if kind == "group":
                return 0
            return 2 if "group" in r.kinds else (1 if r.capacity is None else 0)

        rooms = sorted((r for r in self.rooms if kind in r.kinds), key=lambda r: (rank(r), r.room_id))
        for r in rooms:
            if self.busy.free(r.room_id, day, start, end):
                return r
        return None

    def free_staff(self, role: str, day: int, start: int, end: int,
                   prefer: str | None = None) -> StaffMember | None:
        ok = [s for s in self.staff if role in s.roles and s.can(day, start, end)
              and self.busy.free(s.staff_id, day, start, end)]
        if not ok:
            return None
        for s in ok:
            if s.staff_id == prefer:
                return s

        def rank(s: StaffMember):
            # keep therapists for therapy and late staff for the evening: prefer the narrowest fit
            spare_roles = len(s.roles) - 1 - ("bilingual" in s.roles)
            window_end = max(e for d, b, e in s.windows if d == day and b <= start)
            return (spare_roles, window_end, s.week_minutes, s.staff_id)

        return min(ok, key=rank)

    def book_staff(self, s: StaffMember, day: int, start: int, end: int) -> None:
        s.book(day, start, end)
        self.busy.book(s.staff_id, day, start, end)

    def unbook_staff(self, s: StaffMember, day: int, start: int, end: int) -> None:
        s.book(day, start, end, sign=-1)
        self.busy.release(s.staff_id, day, start, end)

    # participants ------------------------------------------------------------------------------
    def make_people(self) -> None:
        names = self._names(self.size.participants)
        order = sorted(self.cohorts, key=lambda c: list(BANDS).index(c.band.name))
        n = 0
        for cohort in order:
            for _ in range(cohort.size):
                pid = f"P{n + 1:03d}"
                teen = cohort.band.audience == "teen"
                track = "Adolescent" if teen else self.rng.choices(ADULT_TRACKS, (35, 30, 35))[0]
                p = Person(pid, names[n], track, cohort.band, cohort)
                if not teen and self.rng.random() < 0.2:
                    p.tags.append("women")
                if not teen and self.size.participants >= 60 and self.rng.random() < 0.1:
                    p.tags.append("spanish")
                p.commitments = self.commitments_for(cohort)
                p.needs_medication = self.rng.random() < (0.25 if teen else 0.4)
                p.family_sessions = self.rng.random() < (0.7 if teen else 0.2)
                for (day, s), g in cohort.groups.items():
                    g.members.append(pid)
                    p.sessions.setdefault(day, []).append((s, s + 60))
                self.people.append(p)
                n += 1

    def commitments_for(self, cohort: Cohort) -> list[tuple[int, int, int, str]]:
        """A band archetype's week of commitments that leaves the cohort's block free."""
        for _ in range(20):
            out = ARCHETYPES[cohort.band.name](self.rng, cohort.days, self.days)
            clear = all(not (d == day and cohort.start < e + BUFFER and s - BUFFER < cohort.end)
                        for d, s, e, _ in out for day in cohort.days)
            if clear:
                return sorted(out)
        return []

    # individual, family and medication sessions of the witness ---------------------------------
    def place_extras(self) -> None:
        people = list(self.people)
        self.rng.shuffle(people)
        scarce = ("evening", "teen", "afternoon", "morning")  # fewest free staff and rooms first
        people.sort(key=lambda x: scarce.index(x.band.name))
        for p in people:
            if not self.place(p, "Individual Therapy"):
                raise PlanningError(f"no individual therapy slot for {p.pid} "
                                   f"({p.band.name} band)")
        for p in people:
            if p.needs_medication:
                p.needs_medication = self.place(p, "Medication Management")
        for p in people:
            if p.family_sessions:
                p.family_sessions = self.place(p, "Family Session")

    def place(self, p: Person, type_name: str) -> bool:
        t = TYPES[type_name]
        m = t["minutes"]
        day_max = 4 * 60
        days = list(p.cohort.days)
        self.rng.shuffle(days)
        for day in days:
            lo = min(s for s, _ in p.sessions[day])
            hi = max(e for _, e in p.sessions[day])
            candidates: list[tuple[int, Group | None]] = []
            if m == 60:  # in place of one of the block's groups: the day keeps its hours
                subs = [g for (d, _s), g in p.cohort.groups.items() if d == day and p.pid in g.members
                        and len(g.members) - 1 >= TYPES[g.session_type]["min_size"]]
                self.rng.shuffle(subs)
                candidates += [(g.start, g) for g in subs]
            if p.day_minutes(day) + m <= day_max:  # right before or after the block
                candidates += [(hi, None), (lo - m, None), (hi + 30, None), (lo - m - 30, None)]
            for start, group in candidates:
                end = start + m
                if start < OPEN or end > CLOSE or p.blocked(day, start, end):
                    continue
                if group is None and p.overlaps(day, start, end):
                    continue
                leader = self.free_staff(t["staff_role"], day, start, end, prefer=p.therapist)
                room = self.free_room(t["kind"], day, start, end)
                if leader is None or room is None:
                    continue
                self.book_staff(leader, day, start, end)
                self.busy.book(room.room_id, day, start, end)
                if group is not None:
                    group.members.remove(p.pid)
                    p.sessions[day].remove((start, end))
                p.sessions[day].append((start, end))
                if type_name == "Individual Therapy":
                    p.therapist = leader.staff_id
                self.extras.append({
                    "session_type": type_name, "kind": t["kind"], "day": DAY_NAMES[day],
                    "start": hhmm(start), "end": hhmm(end), "staff_id": leader.staff_id,
                    "room_id": room.room_id, "participants": [p.pid],
                })
                return True
        return False

    # output ------------------------------------------------------------------------------------
    def run(self) -> tuple[dict[str, list[dict]], list[dict]]:
        self.make_rooms()
        self.make_staff()
        self.staff_by_id = {s.staff_id: s for s in self.staff}
        self.make_cohorts()
        self.make_people()
        self.schedule_prescribers()
        self.place_extras()
        return self.sheets(), self.witness()

    def witness(self) -> list[dict]:
        out = []
        for c in self.cohorts:
            for (day, s), g in sorted(c.groups.items()):
                out.append({
                    "session_type": g.session_type, "kind": "group", "day": DAY_NAMES[day],
                    "start": hhmm(s), "end": hhmm(s + 60), "staff_id": g.staff_id,
                    "room_id": g.room_id, "participants": sorted(g.members),
                })
        return out + self.extras

    @staticmethod
    def fits_time(p: Person) -> bool:
        """Do all the block's groups start in the band's preferred time of day?"""
        lo, hi = PREFERRED_WINDOWS[p.band.preferred_time]
        return lo <= p.cohort.start and p.cohort.end - 60 < hi

    def sheets(self) -> dict[str, list[dict]]:
        rng = self.rng
        used_roles = {r for s in self.staff for r in s.roles}
        types = [dict(t) for t in SESSION_TYPES if t["staff_role"] in used_roles]
        staff = [{"staff_id": s.staff_id, "name": s.name, "roles": ", ".join(s.roles),
                  "max_hours_week": s.max_week, "max_hours_day": s.max_day} for s in self.staff]
        avail = [{"staff_id": s.staff_id, "day": DAY_NAMES[d], "start": hhmm(a), "end": hhmm(b)}
                 for s in self.staff for d, a, b in s.windows]
        rooms = [{"room_id": r.room_id, "capacity": r.capacity, "kinds": ", ".join(r.kinds)}
                 for r in self.rooms]
        people, commitments = [], []
        for p in sorted(self.people, key=lambda x: x.pid):
            teen = p.track == "Adolescent"
            row = {
                "participant_id": p.pid, "name": p.name, "track": p.track, "tags": ", ".join(p.tags),
                "level": "IOP-adolescent" if teen else "IOP",
                "preferred_time": p.band.preferred_time
                if rng.random() < 0.35 and self.fits_time(p) else None,
                "preferred_days": ", ".join(DAY_NAMES[d] for d in p.cohort.days)
                if rng.random() < 0.2 else None,
                "primary_therapist": p.therapist if rng.random() < 0.6 else None,
                "needs_medication": p.needs_medication, "family_sessions": p.family_sessions,
            }
            people.append(row)
            for d, s, e, reason in p.commitments:
                commitments.append({"participant_id": p.pid, "day": DAY_NAMES[d], "start": hhmm(s),
                                    "end": hhmm(e), "reason": reason})
        return {"Staff": staff, "StaffAvailability": avail, "Rooms": rooms, "SessionTypes": types,
                "Participants": people, "Commitments": commitments, "Pinned": []}


# --- commitment archetypes per band -----------------------------------------------------------------


def _weekdays(open_days) -> tuple[int, ...]:
    return tuple(d for d in open_days if d < 5)


def _night_shift(rng: random.Random, open_days) -> list[tuple[int, int, int, str]]:
    first = rng.choice((6, 0, 1))  # Sun, Mon or Tue night: four nights in a row
    out = []
    for k in range(4):
        d = (first + k) % 7
        out.append((d, hm("23:00"), 24 * 60, "work"))
        out.append(((d + 1) % 7, 0, hm("07:00"), "work"))
    return out


def _morning(rng: random.Random, cohort_days, open_days):
    wd = _weekdays(open_days)
    kind = rng.choices(("parent", "part_time", "night", "free"), (35, 20, 15, 30))[0]
    if kind == "parent":  # school drop-off and pick-up
        out = every(wd, rng.choice(("14:30", "15:00")), "16:00", "caregiving")
        if rng.random() < 0.5:
            out += every(wd, "07:30", "08:00", "caregiving")
        return out
    if kind == "part_time":  # afternoon job
        days = [d for d in wd if rng.random() < 0.8] or list(wd[:3])
        return every(days, rng.choice(("13:30", "14:00")), rng.choice(("18:00", "19:00")), "work")
    if kind == "night":
        return _night_shift(rng, open_days)
    other = [d for d in wd if d not in cohort_days]
    if other and rng.random() < 0.5:
        d = rng.choice(other)
        return [(d, hm("10:00"), hm("11:00"), "other")]  # probation or medical appointment
    if rng.random() < 0.3:
        return every(wd, "16:00", "18:00", "transport")  # no ride in the late afternoon
    return []


def _afternoon(rng: random.Random, cohort_days, open_days):
    wd = _weekdays(open_days)
    kind = rng.choices(("student", "early_shift", "night", "toddler"), (45, 25, 15, 15))[0]
    if kind == "student":  # morning classes
        out = [(d, hm("08:00"), hm(rng.choice(("11:00", "11:30", "12:00"))), "school") for d in wd]
        if rng.random() < 0.3:
            out.append((rng.choice(wd), hm("18:00"), hm("21:00"), "school"))  # an evening class
        return out
    if kind == "early_shift":
        return every(wd, "06:00", rng.choice(("11:00", "11:30")), "work")
    if kind == "night":
        return _night_shift(rng, open_days)
    return every(wd, "08:00", "11:30", "caregiving")  # a toddler at home until daycare


def _teen(rng: random.Random, cohort_days, open_days):
    wd = _weekdays(open_days)
    out = every(wd, "07:30", rng.choice(("14:30", "15:00")), "school")
    other = [d for d in wd if d not in cohort_days]
    if other and rng.random() < 0.35:
        out.append((rng.choice(other), hm("15:30"), hm("17:30"), "other"))  # sports practice
    if 5 in open_days and rng.random() < 0.3:
        out.append((5, hm("10:00"), hm("14:00"), "work"))  # a Saturday job
    return out


def _evening(rng: random.Random, cohort_days, open_days):
    wd = _weekdays(open_days)
    kind = rng.choices(("full_time", "four_tens", "student", "parent"), (50, 15, 15, 20))[0]
    if kind == "full_time":
        start, end = rng.choice((("08:00", "17:00"), ("08:30", "17:00"), ("07:00", "15:30"),
                                 ("09:00", "17:00")))
        out = every(wd, start, end, "work")
        if 5 in open_days and rng.random() < 0.3:
            out += every((5,), "09:00", "15:00", "work")
        return out
    if kind == "four_tens":
        return every(wd[:4], "07:00", "17:00", "work")
    if kind == "student":
        return every(wd, "09:00", rng.choice(("15:00", "16:00")), "school")
    out = every(wd, "08:00", "16:00", "work")
    return out + every(wd, "16:30", "17:00", "caregiving")  # daycare pick-up


ARCHETYPES = {"morning": _morning, "afternoon": _afternoon, "teen": _teen, "evening": _evening}
