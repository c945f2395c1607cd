"""Seeded, realistic program weeks at the four sizes of SCHEDULING.md's scale table.

`generate_sheets(size, seed)` returns the rows of a program workbook (the sheets of
WORKBOOK.md); the same size and seed always give the same rows. This module is the
`classic` kind (easy programs, the default); the harder kinds (`mix`, `evening`,
`adolescent`, `prescriber`, `planted`) live in iopsched.generate.kinds and are reached through
the same functions' `kind` argument.

Feasibility is guaranteed by construction: the generator plans a *witness* week
while it invents the program, and only writes what that week can honour.
1. Rooms and staff are made first (shift windows: early 08:00-16:30, middle
   10:00-18:30, late 12:30-21:00; part-time prescribers on two days).
2. Participants come in cohorts of 5-12 who share a time band and three days:
   morning (day track, ~09:00-12:00), afternoon (12:30-15:30, students with morning
   classes, early-shift workers), adolescent (15:30-17:30, after school) and evening
   (17:30-20:30, full-time workers). Each cohort-day books a group room and a leader
   for each of its groups.
3. Each participant's commitments (work, school, school pick-ups, night shifts,
   appointments) are drawn from their band's archetypes and kept clear of the
   cohort's block plus the 30-minute travel buffer.
4. Each participant's Medication Management, Individual Therapy and Family Session
   is booked next to, or in place of one group of, their block with a free staff
   member and room. A medication or family flag that finds no free slot is dropped
   (that participant sees an outside prescriber / has no family involved); an
   individual session that finds none makes the generator start over with a seed
   derived from the given one (rare; still reproducible).
The witness (`generate_with_witness`) is a valid schedule meeting every requirement,
so the solver always has an answer with nothing unmet. The generated sizes use about
30% (small) to 60% (large, xl) of the room-hours and half of the staff hours.

Rooms for xl: the scale table's 15 rooms cannot hold 400 participants' weeks when a
room holds one session at a time (rule 4, telehealth included): ~360 group hours plus
~400 individual, ~100 family and ~70 medication hours need ~925 of the 15 rooms'
1065 open room-hours. xl therefore gets 24 rooms (~55% used).

Names are fake on purpose (first names + surnames such as "Example").
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from iopsched.domain import DAY_NAMES, PREFERRED_WINDOWS
from iopsched.errors import InputError
from iopsched.workbook.program_writer import write_program_workbook


@dataclass(frozen=True)
class Size:
    participants: int
    staff: int
    rooms: int
    days: int


SIZES: dict[str, Size] = {
    "small": Size(20, 6, 3, 5),
    "medium": Size(60, 12, 5, 5),
    "large": Size(150, 25, 8, 6),
    "xl": Size(400, 60, 24, 6),  # the scale table says 15 rooms: too few, see the module docstring
}

OPEN, CLOSE, SLOT, BUFFER = 8 * 60, 21 * 60, 30, 30  # the config defaults the program relies on
ADULT_TRACKS = ("SUD", "MH", "Dual")
KINDS = ("classic", "mix", "evening", "adolescent", "prescriber", "planted")  # generate/kinds.py


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- the catalogue of services ------------------------------------------------------------------

def _st(name, kind, minutes, role, mn=None, mx=None, tracks="", tags="", wmin=None, wmax=None):
    return {
        "session_type": name, "kind": kind, "minutes": minutes, "staff_role": role,
        "min_size": mn, "max_size": mx, "tracks": tracks, "tags_required": tags,
        "weekly_min": wmin, "weekly_max": wmax, "daily_max": 1, "counts_toward_hours": True,
    }


ADULT = "SUD, MH, Dual"
SESSION_TYPES: list[dict] = [
    _st("Process Group", "group", 60, "counselor", 4, 12, ADULT),
    _st("Relapse Prevention", "group", 60, "counselor", 4, 12, "SUD, Dual"),
    _st("CBT Skills", "group", 60, "therapist", 3, 12, ADULT),
    _st("DBT Skills", "group", 60, "therapist", 3, 12, "MH, Dual"),
    _st("Psychoeducation", "group", 60, "counselor", 3, 12, ADULT),
    _st("Life Skills", "group", 60, "counselor", 3, 12, ADULT),
    _st("Women's Group", "group", 60, "counselor", 3, 10, ADULT, tags="women", wmax=2),
    _st("Spanish Process Group", "group", 60, "bilingual", 3, 10, ADULT, tags="spanish", wmax=2),
    _st("Teen Process Group", "group", 60, "counselor", 3, 8, "Adolescent"),
    _st("Teen Skills Group", "group", 60, "therapist", 3, 8, "Adolescent"),
    _st("Teen Psychoeducation", "group", 60, "counselor", 3, 8, "Adolescent"),
    _st("Individual Therapy", "individual", 60, "therapist", wmin=1, wmax=1),
    _st("Family Session", "family", 60, "therapist", wmin=1, wmax=1),
    _st("Medication Management", "medication", 30, "prescriber", wmin=1, wmax=1),
]
TYPES = {t["session_type"]: t for t in SESSION_TYPES}
# groups every participant of a band may attend: what the witness week uses
WITNESS_GROUPS = {
    "adult": ("Process Group", "CBT Skills", "Psychoeducation", "Life Skills"),
    "teen": ("Teen Process Group", "Teen Skills Group", "Teen Psychoeducation"),
}

FIRST_NAMES = (
    "Alex", "Avery", "Blake", "Casey", "Dana", "Drew", "Emery", "Finley", "Harper", "Jamie",
    "Jordan", "Kai", "Lee", "Morgan", "Noel", "Parker", "Quinn", "Reese", "Riley", "Robin",
    "Rowan", "Sage", "Sam", "Skyler", "Taylor",
)
LAST_NAMES = (
    "Example", "Sample", "Placeholder", "Testcase", "Fictional", "Madeup", "Mockley", "Dummy",
    "Specimen", "Notreal", "Pretend", "Invented", "Imaginary", "Synthetic", "Testwell", "Fakename",
    "Standin", "Mockup", "Anon", "Draft",
)


class PlanningError(RuntimeError):
    """The witness week could not be completed (the generator then tries the next draw)."""


# --- time bands -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Band:
    name: str
    starts: tuple[int, ...]  # candidate block starts, in order of preference
    groups: int  # group hours in the block
    audience: str  # adult | teen
    preferred_time: str
    weekdays_only: bool


BANDS = {
    "morning": Band("morning", tuple(map(hm, ("09:00", "10:00", "09:30", "08:30", "11:00"))), 3,
                    "adult", "morning", False),
    "afternoon": Band("afternoon", (hm("12:30"), hm("13:00")), 3, "adult", "afternoon", True),
    "teen": Band("teen", (hm("15:30"), hm("16:00")), 2, "teen", "afternoon", True),
    "evening": Band("evening", (hm("17:30"), hm("18:00")), 3, "adult", "evening", True),
}
COHORT_TARGET = {"adult": 10, "teen": 7}


def band_counts(size: Size) -> dict[str, int]:
    """How many participants in each time band."""
    n = size.participants
    teen = max(4, round(0.10 * n))
    evening = max(5, round(0.20 * n))
    afternoon = round(0.20 * n) if n >= 60 else 0
    return {"teen": teen, "evening": evening, "afternoon": afternoon,
            "morning": n - teen - evening - afternoon}


# --- calendars of rooms, staff and participants ---------------------------------------------------

N_SLOTS = (CLOSE - OPEN) // SLOT


def _slots(start: int, end: int) -> range:
    return range((start - OPEN) // SLOT, (end - OPEN) // SLOT)


class Busy:
    """Which (who, day, slot) are taken."""

    def __init__(self) -> None:
        self.taken: dict[tuple[str, int], bytearray] = {}

    def free(self, who: str, day: int, start: int, end: int) -> bool:
        row = self.taken.get((who, day))
        return row is None or not any(row[u] for u in _slots(start, end))

    def book(self, who: str, day: int, start: int, end: int) -> None:
        row = self.taken.setdefault((who, day), bytearray(N_SLOTS))
        for u in _slots(start, end):
            assert not row[u], (who, day, start)
            row[u] = 1

    def release(self, who: str, day: int, start: int, end: int) -> None:
        row = self.taken[who, day]
        for u in _slots(start, end):
            row[u] = 0


@dataclass
class StaffMember:
    staff_id: str
    name: str
    roles: tuple[str, ...]
    max_day: int  # hours
    max_week: int
    windows: list[tuple[int, int, int]]  # (day, start, end)
    day_minutes: dict[int, int] = field(default_factory=dict)
    week_minutes: int = 0

    def can(self, day: int, start: int, end: int) -> bool:
        if not any(d == day and s <= start and end <= e for d, s, e in self.windows):
            return False
        m = end - start
        return (self.day_minutes.get(day, 0) + m <= self.max_day * 60
                and self.week_minutes + m <= self.max_week * 60)

    def book(self, day: int, start: int, end: int, sign: int = 1) -> None:
        self.day_minutes[day] = self.day_minutes.get(day, 0) + sign * (end - start)
        self.week_minutes += sign * (end - start)


@dataclass
class RoomSpec:
    room_id: str
    capacity: int | None
    kinds: tuple[str, ...]


@dataclass
class Person:
    pid: str
    name: str
    track: str
    band: Band
    cohort: Cohort
    tags: list[str] = field(default_factory=list)
    commitments: list[tuple[int, int, int, str]] = field(default_factory=list)
    needs_medication: bool = False
    family_sessions: bool = False
    therapist: str | None = None  # leader of the witness individual session
    # witness: day -> [(start, end)] of every session attended, the block's groups included
    sessions: dict[int, list[tuple[int, int]]] = field(default_factory=dict)

    def blocked(self, day: int, start: int, end: int) -> bool:
        return any(d == day and start < e + BUFFER and s - BUFFER < end
                   for d, s, e, _ in self.commitments)

    def day_minutes(self, day: int) -> int:
        return sum(e - s for s, e in self.sessions.get(day, []))

    def overlaps(self, day: int, start: int, end: int) -> bool:
        return any(start < e and s < end for s, e in self.sessions.get(day, []))


@dataclass
class Group:
    """One group session of the witness week."""

    session_type: str
    day: int
    start: int
    staff_id: str
    room_id: str
    members: list[str] = field(default_factory=list)


@dataclass
class Cohort:
    index: int
    band: Band
    days: tuple[int, ...]
    start: int = 0
    size: int = 0
    groups: dict[tuple[int, int], Group] = field(default_factory=dict)  # (day, start) -> group

    @property
    def end(self) -> int:
        return self.start + 60 * self.band.groups


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

def _every(days, start: str, end: str, reason: str) -> list[tuple[int, int, int, str]]:
    return [(d, hm(start), hm(end), reason) for d in days]


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
        out = _every(wd, rng.choice(("14:30", "15:00")), "16:00", "caregiving")
        if rng.random() < 0.5:
            out += _every(wd, "07:30", "08:00", "caregiving")
        return out
    if kind == "part_time":  # afternoon job
        days = [d for d in wd if rng.random() < 0.8] or list(wd[:3])
        return _every(days, rng.choice(("13:30", "14:00")), rng.choice(("18:00", "19:00")), "work")
    if kind == "night":
        return _night_shift(rng, open_days)
    other = [d for d in wd if d not in cohort_days]
    if other and rng.random() < 0.5:
        d = rng.choice(other)
        return [(d, hm("10:00"), hm("11:00"), "other")]  # probation or medical appointment
    if rng.random() < 0.3:
        return _every(wd, "16:00", "18:00", "transport")  # no ride in the late afternoon
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
        return _every(wd, "06:00", rng.choice(("11:00", "11:30")), "work")
    if kind == "night":
        return _night_shift(rng, open_days)
    return _every(wd, "08:00", "11:30", "caregiving")  # a toddler at home until daycare


def _teen(rng: random.Random, cohort_days, open_days):
    wd = _weekdays(open_days)
    out = _every(wd, "07:30", rng.choice(("14:30", "15:00")), "school")
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
        out = _every(wd, start, end, "work")
        if 5 in open_days and rng.random() < 0.3:
            out += _every((5,), "09:00", "15:00", "work")
        return out
    if kind == "four_tens":
        return _every(wd[:4], "07:00", "17:00", "work")
    if kind == "student":
        return _every(wd, "09:00", rng.choice(("15:00", "16:00")), "school")
    out = _every(wd, "08:00", "16:00", "work")
    return out + _every(wd, "16:30", "17:00", "caregiving")  # daycare pick-up


ARCHETYPES = {"morning": _morning, "afternoon": _afternoon, "teen": _teen, "evening": _evening}


# --- public API ---------------------------------------------------------------------------------

def _check_size(size: str) -> Size:
    if size not in SIZES:
        raise InputError(f"unknown size {size!r}; valid sizes: {', '.join(SIZES)}")
    return SIZES[size]


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    return kind


@dataclass
class Generated:
    """A generated program: its sheets, a witness week (None when `rooms` removed rooms it
    uses) and the planted participants no schedule can fully meet (id -> reason)."""

    sheets: dict[str, list[dict]]
    witness: list[dict] | None
    planted: dict[str, str] = field(default_factory=dict)


def _classic(spec: Size, size: str, seed: int) -> tuple[dict[str, list[dict]], list[dict]]:
    for attempt in range(20):  # a rare unlucky draw is replaced by the next, reproducibly
        try:
            return Planner(spec, seed if attempt == 0 else seed * 7919 + attempt).run()
        except PlanningError:
            continue
    raise PlanningError(f"could not generate a feasible {size} program from seed {seed}")


def generate(size: str, seed: int, kind: str = "classic", rooms: int | None = None) -> Generated:
    """A program of `kind` (KINDS; see iopsched.generate.kinds) with its witness week.

    `rooms` keeps that many rooms once the witness is planned (proportionally, biggest group
    rooms first); with fewer rooms than planned the witness no longer holds and is None.
    """
    spec = _check_size(size)
    if _check_kind(kind) == "classic":
        witness: list[dict] | None
        sheets, witness = _classic(spec, size, seed)
        planted: dict[str, str] = {}
    else:
        from iopsched.generate.kinds import plan_kind

        sheets, witness, planted = plan_kind(kind, size, spec, seed)
    if rooms is not None:
        from iopsched.generate.kinds import resize_rooms

        if not resize_rooms(sheets, rooms):
            witness = None
    return Generated(sheets, witness, planted)


def generate_with_witness(size: str, seed: int, kind: str = "classic", rooms: int | None = None
                          ) -> tuple[dict[str, list[dict]], list[dict] | None]:
    """The program's sheets and a witness week (session rows with their participants)."""
    g = generate(size, seed, kind, rooms)
    return g.sheets, g.witness


def generate_sheets(size: str, seed: int, kind: str = "classic",
                    rooms: int | None = None) -> dict[str, list[dict]]:
    """The rows of a generated program workbook, sheet by sheet (WORKBOOK.md)."""
    return generate(size, seed, kind, rooms).sheets


def config_text(size: str) -> str:
    """A config (TOML) whose open days match the generated program (Mon-Sat for large and xl)."""
    days = ", ".join(f'"{d}"' for d in DAY_NAMES[: _check_size(size).days])
    return (f"# config for a generated {size} program\n"
            f"days = [{days}]\nopen = \"{hhmm(OPEN)}\"\nclose = \"{hhmm(CLOSE)}\"\n"
            f"slot_minutes = {SLOT}\ntravel_buffer_minutes = {BUFFER}\n")


def write_generated(size: str, seed: int, out: Path, kind: str = "classic",
                    rooms: int | None = None, referrals: float = 0.0) -> Path:
    """Write a generated program: to `out` if it ends .xlsx, else to `out/program.xlsx`.
    `referrals`: a Referrals sheet of that many percent of the participants (`referrals.py`).

    In folder mode a matching `config.toml` (open days) is written beside it, and for a kind
    with planted participants `planted.json` (their ids and why no schedule can meet them).
    """
    g = generate(size, seed, kind, rooms)
    if referrals:
        from iopsched.generate.referrals import add_referrals

        add_referrals(g.sheets, referrals, seed)
    out = Path(out)
    if out.suffix.lower() == ".xlsx":
        return write_program_workbook(out, g.sheets)
    out.mkdir(parents=True, exist_ok=True)
    from iopsched.workbook.safe_io import write_text_atomic

    write_text_atomic(out / "config.toml", config_text(size))
    if g.planted:
        import json

        write_text_atomic(out / "planted.json", json.dumps(g.planted, indent=2, sort_keys=True) + "\n")
    return write_program_workbook(out / "program.xlsx", g.sheets)
