"""The generated kinds' resources: names, rooms and staff, the lanes of group sessions in
each band, bookings, the prescribers' days, staff maxima from the witness load, the witness
and the sheets written (`KindResources`, which `kind_weeks.KindWeeks` and then
`kinds.KindPlanner` build on); the rooms override and the band measure."""

from __future__ import annotations

import math
import random

from iopsched.domain import DAY_NAMES
from iopsched.errors import InputError
from iopsched.generate.common import (
    FIRST_NAMES,
    LAST_NAMES,
    Busy,
    RoomSpec,
    Size,
    StaffMember,
    hhmm,
    hm,
)
from iopsched.generate.kind_catalogue import (
    BAND_WINDOWS,
    BANDS,
    KIND_TYPES,
    LEVELS,
    POOL60,
    POOL90,
    PRESCRIBER_DAY_WINDOW,
    SPECS,
    TEEN_TYPES,
    TYPES,
    Extra,
    GSession,
    KBand,
    KPerson,
)


class KindResources:
    """A kind's program being invented: its staff, rooms and witness sessions."""

    def __init__(self, kind: str, size_name: str, size: Size, rng: random.Random):
        self.spec = SPECS[kind]
        self.size_name = size_name
        self.size = size
        self.rng = rng
        self.days = tuple(range(size.days))
        self.weekdays = tuple(d for d in self.days if d < 5)
        self.busy = Busy()
        self.staff: list[StaffMember] = []
        self.staff_by_id: dict[str, StaffMember] = {}
        self.rooms: list[RoomSpec] = []
        self.sessions: list[GSession] = []
        self.by_day: dict[int, list[GSession]] = {d: [] for d in self.days}
        self.people: list[KPerson] = []
        self.by_pid: dict[str, KPerson] = {}
        self.extras: list[Extra] = []
        self.med_day: int | None = None
        self.planted_ids: list[str] = []

    # names, rooms and staff --------------------------------------------------------------------
    def names(self, n: int) -> list[str]:
        pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
        self.rng.shuffle(pairs)
        return [f"{f} {last}" for f, last in pairs[:n]]

    def make_rooms(self) -> None:
        group, offices, tele = self.spec.rooms[self.size_name]
        for i in range(group):
            kinds = ("group", "family") if i % 2 == 1 else ("group",)
            self.rooms.append(RoomSpec(f"GR-{i + 1}", self.rng.choice((12, 14)), kinds))
        for i in range(offices):
            self.rooms.append(RoomSpec(f"OFF-{i + 1}", self.rng.choice((3, 4)),
                                       ("individual", "family", "medication")))
        for i in range(tele):
            self.rooms.append(RoomSpec(f"TELE-{i + 1}", None, ("individual", "family", "medication")))

    def make_staff(self) -> None:
        n = self.size.staff
        prescribers = 1 if self.spec.one_prescriber else max(1, round(n / 8))
        clinicians = n - prescribers
        late = min(clinicians - 2, max(2, round(clinicians * self.spec.late)))
        late_roles = (("therapist", "counselor"), ("counselor", "peer_specialist"),
                      ("therapist", "family_therapist"), ("therapist", "counselor"),
                      ("counselor",), ("therapist", "family_therapist", "counselor"),
                      ("therapist",), ("counselor", "peer_specialist"))
        early_roles = (("therapist", "counselor"), ("counselor", "peer_specialist"),
                       ("therapist",), ("counselor",), ("therapist", "counselor"))
        names = self.names(n)
        early_shift, late_shift = (hm("08:00"), hm("16:30")), (hm("12:30"), hm("21:00"))
        for i in range(clinicians):
            is_late = i < late
            j = i if is_late else i - late
            roles = late_roles[j % len(late_roles)] if is_late else early_roles[j % len(early_roles)]
            start, end = late_shift if is_late else early_shift
            windows = [(d, start, end) for d in self.weekdays]
            if 5 in self.days and not is_late and j % 2 == 0:  # Tue-Sat, Saturday morning
                windows = [(d, start, end) for d in self.weekdays[1:]] + [(5, hm("08:00"), hm("14:00"))]
            self.staff.append(StaffMember(f"S{i + 1:02d}", names[i], roles, max_day=8,
                                          max_week=40, windows=windows))
        for k in range(prescribers):  # windows are chosen once the week is known
            i = clinicians + k
            self.staff.append(StaffMember(f"S{i + 1:02d}", "Dr. " + names[i], ("prescriber",),
                                          max_day=12, max_week=12, windows=[]))
        if self.spec.one_prescriber:
            self.med_day = self.rng.choice(self.weekdays[1:4])
            self.staff[-1].windows = [(self.med_day, *PRESCRIBER_DAY_WINDOW)]
        self.staff_by_id = {s.staff_id: s for s in self.staff}

    # free staff and rooms ----------------------------------------------------------------------
    def free_staff(self, role: str, day: int, start: int, end: int,
                   prefer: str | None = None) -> StaffMember | None:
        ok = [s for s in self.staff if role in s.roles and s.can(day, start, end)
              and self.busy.free(s.staff_id, day, start, end)]
        for s in ok:
            if s.staff_id == prefer:
                return s
        return min(ok, key=lambda s: (len(s.roles), s.week_minutes, s.staff_id), default=None)

    def free_room(self, kind: str, day: int, start: int, end: int) -> RoomSpec | None:
        def rank(r: RoomSpec) -> tuple:
            if kind == "group":
                return (0, r.room_id)
            return (2 if "group" in r.kinds else (1 if r.capacity is None else 0), r.room_id)

        for r in sorted((r for r in self.rooms if kind in r.kinds), key=rank):
            if self.busy.free(r.room_id, day, start, end):
                return r
        return None

    def book(self, who: StaffMember, room: RoomSpec, day: int, start: int, end: int) -> None:
        who.book(day, start, end)
        self.busy.book(who.staff_id, day, start, end)
        self.busy.book(room.room_id, day, start, end)

    def release(self, staff_id: str, room_id: str, day: int, start: int, end: int) -> None:
        self.staff_by_id[staff_id].book(day, start, end, sign=-1)
        self.busy.release(staff_id, day, start, end)
        self.busy.release(room_id, day, start, end)

    # lanes ----------------------------------------------------------------------------------------
    def group_rooms(self) -> list[RoomSpec]:
        return [r for r in self.rooms if "group" in r.kinds]

    def make_lanes(self) -> None:
        busy = BANDS[self.spec.busy]
        for day in self.weekdays:
            for room in self.group_rooms():
                self.place_lane(busy, day, [room])
        demand: dict[str, float] = {}
        for p in self.people:
            band = p.band
            if band == "flex" and busy.audience != "adult":  # the flexible fill adult lanes
                band = "day"
            if band in BANDS and band != busy.name:
                demand[band] = demand.get(band, 0) + 9
        for name in ("teen", "day", "afternoon", "evening"):
            if demand.get(name, 0) < 6 * 9:  # too few for lanes of their own: they join others
                continue
            lane = BANDS[name]
            days = [d for d in self.days if d < 5 or lane.saturday]
            # ~85% of the seats; evening workers need four or five evenings to choose from
            least = len(self.weekdays) if name == "evening" else 3
            lanes = max(least, math.ceil(demand[name] / (3.25 * 11 * 0.85)))
            self.rng.shuffle(days)
            if self.med_day in days:  # the flagged come on the prescriber's day: room for them
                days.remove(self.med_day)
                days = [self.med_day] * len(self.group_rooms()) + days
            placed, misses, i = 0, 0, 0
            while placed < lanes and misses < len(days):  # round the days until all are full
                day = days[i % len(days)]
                i += 1
                if self.place_lane(lane, day, self.group_rooms()):
                    placed, misses = placed + 1, 0
                else:
                    misses += 1

    def place_lane(self, band: KBand, day: int, rooms: list[RoomSpec]) -> bool:
        shapes = list(band.shapes)
        self.rng.shuffle(shapes)
        for room in rooms:
            for start, durs in shapes:
                end = start + sum(durs)
                if not self.busy.free(room.room_id, day, start, end):
                    continue
                made = self.make_lane(band, day, room, start, durs)
                if made:
                    return True
        return False

    def make_lane(self, band: KBand, day: int, room: RoomSpec, start: int, durs) -> bool:
        aud = band.audience
        pool60 = list(POOL60[aud])
        self.rng.shuffle(pool60)
        if aud == "adult" and self.size.participants >= 60 and self.rng.random() < 0.15:
            pool60.insert(0, "Women's Group")
        pool90 = list(POOL90[aud])
        if aud == "adult":  # a lane's second 90-minute group: DBT (MH, Dual) from medium on
            second = ("DBT Skills", "Seeking Safety") if self.size.participants >= 60 else \
                ("Seeking Safety",)
            pool90 = ["Process Group", self.rng.choice(second)]
        made: list[GSession] = []
        s = start
        used: list[str] = []
        for d in durs:
            names = [x for x in (pool90 if d == 90 else pool60) if x not in used]
            chosen = None
            for name in names:
                t = TYPES[name]
                leader = self.free_staff(t["staff_role"], day, s, s + d)
                if leader is not None:
                    leader.book(day, s, s + d)
                    self.busy.book(leader.staff_id, day, s, s + d)
                    chosen = GSession(name, day, s, s + d, room.room_id, leader.staff_id,
                                      min(t["max_size"], room.capacity or t["max_size"]),
                                      t["min_size"])
                    break
            if chosen is None:
                for g in made:
                    self.staff_by_id[g.staff_id].book(day, g.start, g.end, sign=-1)
                    self.busy.release(g.staff_id, day, g.start, g.end)
                return False
            made.append(chosen)
            used.append(chosen.type_name)
            s += d
        self.busy.book(room.room_id, day, start, s)
        self.sessions += made
        self.by_day[day] += made
        return True

    # the prescribers' days, staff maxima and the output ----------------------------------------
    def schedule_prescribers(self) -> None:
        """Each prescriber: a morning window on one day, an afternoon-evening one on another,
        where the participants who need medication attend."""
        windows = {"am": (hm("08:30"), hm("13:00")), "pm": (hm("15:00"), hm("21:00"))}
        demand = {(d, h): 0.0 for d in self.days for h in windows}
        for p in self.people:
            if p.needs_medication:
                for d, items in p.items.items():
                    h = "am" if min(x.start for x in items) < hm("13:00") else "pm"
                    demand[d, h] += 1 / len(p.items)
        for s in self.staff:
            if "prescriber" not in s.roles:
                continue
            chosen: list[tuple[int, str]] = []
            for h in windows:
                d = max((d for d in self.days if all(d != c for c, _ in chosen)),
                        key=lambda d, h=h: (demand[d, h], -d))  # type: ignore[misc]
                demand[d, h] -= 9
                chosen.append((d, h))
            s.windows = sorted((d, *windows[h]) for d, h in chosen)

    def tighten_staff(self) -> None:
        """Maxima from the witness load: its hours plus ~10% and 1-3 h, never lavish."""
        for s in self.staff:
            if "prescriber" in s.roles:
                hours = sum(b - a for _, a, b in s.windows) / 60
                s.max_day = math.ceil(max((b - a for _, a, b in s.windows), default=0) / 60)
                s.max_week = math.ceil(hours)
                continue
            load = s.week_minutes / 60
            s.max_week = max(6, min(40, math.ceil(load * 1.1) + self.rng.choice((1, 2, 3))))
            peak = max(s.day_minutes.values(), default=0) / 60
            s.max_day = max(4, min(8, math.ceil(peak) + self.rng.choice((0, 1))))

    def witness(self) -> list[dict]:
        rows = []
        for g in sorted(self.sessions, key=lambda g: (g.day, g.start, g.room_id)):
            rows.append({"session_type": g.type_name, "kind": "group", "day": DAY_NAMES[g.day],
                         "start": hhmm(g.start), "end": hhmm(g.end), "staff_id": g.staff_id,
                         "room_id": g.room_id, "participants": sorted(g.members)})
        for x in sorted(self.extras, key=lambda x: (x.day, x.start, x.room_id)):
            rows.append({"session_type": x.type_name, "kind": TYPES[x.type_name]["kind"],
                         "day": DAY_NAMES[x.day], "start": hhmm(x.start), "end": hhmm(x.end),
                         "staff_id": x.staff_id, "room_id": x.room_id, "participants": [x.pid]})
        return rows

    def sheets(self) -> dict[str, list[dict]]:
        rng = self.rng
        teen = any(p.teen for p in self.people)
        types = [dict(t) for t in KIND_TYPES if teen or t["session_type"] not in TEEN_TYPES]
        staff = [{"staff_id": s.staff_id, "name": s.name, "roles": ", ".join(s.roles),
                  "max_hours_week": s.max_week, "max_hours_day": s.max_day} for s in self.staff]
        avail = [{"staff_id": s.staff_id, "day": DAY_NAMES[d], "start": hhmm(a), "end": hhmm(b)}
                 for s in self.staff for d, a, b in sorted(s.windows)]
        rooms = [{"room_id": r.room_id, "capacity": r.capacity, "kinds": ", ".join(r.kinds)}
                 for r in self.rooms]
        people, commitments = [], []
        for p in sorted(self.people, key=lambda x: x.pid):
            level = LEVELS[p.level]
            week = p.week_minutes()
            row: dict[str, object] = {"participant_id": p.pid, "name": p.name, "track": p.track,
                                      "tags": ", ".join(p.tags), "level": p.level}
            if p.days_min != level[0]:
                row["days_min"] = p.days_min
            if p.days_max != level[1]:
                row["days_max"] = p.days_max
            if p.planted == "week_hours_above_max":
                row["week_hours_min"] = row["week_hours_max"] = p.wh_min // 60
            elif p.wh_min != level[4] and not p.planted:
                row["week_hours_min"] = min(level[4] // 60, week // 60)
            band = BANDS.get(p.band)
            starts = [min(x.start for x in v) for v in p.items.values()]
            if band and starts and rng.random() < 0.35:
                lo, hi = {"morning": (0, 720), "afternoon": (720, 1020), "evening": (1020, 1440)}[
                    band.preferred_time]
                if all(lo <= s < hi for s in starts):
                    row["preferred_time"] = band.preferred_time
            if p.items and rng.random() < 0.2:
                row["preferred_days"] = ", ".join(DAY_NAMES[d] for d in sorted(p.items))
            if p.therapist and rng.random() < 0.6:
                row["primary_therapist"] = p.therapist
            row["needs_medication"] = p.needs_medication
            row["family_sessions"] = p.family_sessions
            people.append(row)
            for d, s, e, reason in p.commitments:
                commitments.append({"participant_id": p.pid, "day": DAY_NAMES[d],
                                    "start": hhmm(s), "end": hhmm(e), "reason": reason})
        return {"Staff": staff, "StaffAvailability": avail, "Rooms": rooms, "SessionTypes": types,
                "Participants": people, "Commitments": commitments, "Pinned": []}


# --- measures ---------------------------------------------------------------------------------

def band_use(sheets: dict[str, list[dict]], witness: list[dict], n_days: int) -> dict[str, float]:
    """Share of each band's room-hours in the group rooms that the witness uses (any session
    in a group room counts), over the band's days: weekdays, and Saturday for the day band."""
    group = [r["room_id"] for r in sheets["Rooms"] if "group" in (r["kinds"] or "")]
    out = {}
    for name, (a, b) in BAND_WINDOWS.items():
        days = [DAY_NAMES[d] for d in range(n_days) if d < 5 or BANDS[name].saturday]
        used = 0
        for s in witness:
            if s["room_id"] in group and s["day"] in days:
                used += max(0, min(b, hm(s["end"])) - max(a, hm(s["start"])))
        out[name] = used / (len(group) * len(days) * (b - a)) if group else 0.0
    return out


# --- rooms override ---------------------------------------------------------------------------

def _category(r: dict) -> int:
    kinds = r["kinds"] or ""
    return 0 if "group" in kinds else (2 if r["capacity"] is None else 1)


def resize_rooms(sheets: dict[str, list[dict]], n: int) -> bool:
    """Keep n rooms: group rooms, offices and telehealth in proportion, the biggest group rooms
    (and offices) first; add rooms (copies of each category's first) when n is larger. Returns
    whether every room of the planned week is still there (the witness still holds)."""
    rooms = sheets["Rooms"]
    if n < 1:
        raise InputError(f"--rooms must be at least 1, got {n}")
    if n == len(rooms):
        return True
    cats: list[list[dict]] = [[], [], []]
    for r in rooms:
        cats[_category(r)].append(r)
    for c in cats[:2]:
        c.sort(key=lambda r: -(r["capacity"] or 0))  # stable: by id among equal capacities
    total = len(rooms)
    quota = [len(c) * n / total for c in cats]
    keep = [int(q) for q in quota]
    for i in sorted(range(3), key=lambda i: (-(quota[i] - keep[i]), i))[: n - sum(keep)]:
        keep[i] += 1
    for i in range(3):  # every category that existed keeps a room when there is one to give
        if cats[i] and keep[i] == 0:
            j = max(range(3), key=lambda j: keep[j])
            if keep[j] > 1:
                keep[j] -= 1
                keep[i] += 1
    if n < total:
        kept = {id(r) for i, c in enumerate(cats) for r in c[: keep[i]]}
        sheets["Rooms"] = [r for r in rooms if id(r) in kept]
        return False
    ids = {r["room_id"] for r in rooms}
    prefix = ("GR-", "OFF-", "TELE-")
    for i, c in enumerate(cats):
        template = c[0] if c else {"capacity": (12, 4, None)[i], "kinds": (
            "group", "individual, family, medication", "individual, family, medication")[i]}
        k = len(c)
        for _ in range(keep[i] - len(c)):
            while f"{prefix[i]}{k + 1}" in ids:
                k += 1
            ids.add(f"{prefix[i]}{k + 1}")
            rooms.append({"room_id": f"{prefix[i]}{k + 1}", "capacity": template["capacity"],
                          "kinds": template["kinds"]})
    return True
