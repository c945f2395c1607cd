"""The model's options and room classes: every (session type, day, start slot) a session
could have, the staff who may lead or co-lead it and the room classes it may use, filtered
by the hard rules' filters (`cpsat.rules`); and the (participant, option) pairs that can
ever hold."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from iopsched.cpsat.rules import rules_of
from iopsched.domain import (
    Participant,
    Program,
    Room,
    SessionType,
)

lsum = cp_model.LinearExpr.sum  # faster than sum() over many variables
wsum = cp_model.LinearExpr.weighted_sum


@dataclass(frozen=True)
class Option:
    """A (session type, day, start slot) at which sessions of the type may run."""

    index: int
    type_index: int
    stype: SessionType
    day: int
    slot: int  # index on the day's grid
    start: int  # minutes since midnight
    end: int
    length: int  # in slots
    staff: tuple[str, ...]  # qualified and available leaders
    classes: tuple[int, ...]  # room classes that fit
    co_staff: tuple[str, ...] = ()  # qualified and available co-leaders (co-led types only)


@dataclass(frozen=True)
class RoomClass:
    """Identical rooms (same capacity and kinds), or a single pinned room."""

    rooms: tuple[Room, ...]
    capacity: int | None
    kinds: frozenset[str]


def room_classes(program: Program) -> list[RoomClass]:
    """Aggregate identical rooms; rooms named on the Pinned sheet stay on their own."""
    pinned_rooms = {p.room_id for p in program.pinned}
    groups: dict[tuple, list[Room]] = defaultdict(list)
    for r in program.rooms:
        key = ("pinned", r.room_id) if r.room_id in pinned_rooms else (r.capacity, tuple(sorted(r.kinds)))
        groups[key].append(r)
    return [RoomClass(tuple(rs), rs[0].capacity, rs[0].kinds) for _, rs in sorted(groups.items(), key=lambda kv: str(kv[0]))]


def build_options(program: Program, classes: list[RoomClass]) -> list[Option]:
    """Every (session type, day, start) a session may run at, with who may lead it and which
    room classes fit it: the candidates on the slot grid inside opening hours, narrowed by the
    HARD_RULES filters of scope "candidate", "leader", "co_leader" (co-led types only: an option
    without a possible co-leader cannot run) and "room"."""
    r = program.rules
    S = r.slot_minutes
    n_slots = (r.close - r.open) // S
    keep_option, keep_leader, keep_co, keep_room = (rules_of(scope) for scope in
                                                    ("candidate", "leader", "co_leader", "room"))
    days = tuple(r.days) + tuple(day for day in range(7) if day not in r.days)  # closed days last
    options: list[Option] = []
    for ti, t in enumerate(program.session_types):
        length = t.minutes // S
        fitting = tuple(ci for ci, c in enumerate(classes) if all(f(program, c, t) for f in keep_room))
        if not fitting:
            continue
        for day in days:
            for u in range(n_slots - length + 1):  # rule 2: on the grid, inside opening hours
                start = r.open + u * S
                o = Option(len(options), ti, t, day, u, start, start + t.minutes, length, (), fitting)
                if not all(f(program, o) for f in keep_option):
                    continue
                staff = tuple(s.staff_id for s in program.staff if all(f(program, s, o) for f in keep_leader))
                co_staff = tuple(s.staff_id for s in program.staff if t.co_led
                                 and all(f(program, s, o) for f in keep_co))
                if staff and (co_staff or not t.co_led):
                    options.append(replace(o, staff=staff, co_staff=co_staff))
    return options


def attendable(program: Program, options: list[Option]) -> list[tuple[Participant, Option]]:
    """(participant, option) pairs that can ever hold: the participant may attend the option
    (the "attendance" filters: dates, commitments widened by the travel buffer, eligibility,
    maxima), and a group option has at least min_size such participants (repeated until nothing
    changes; implied by rule 5, and kept when a test drops rule 5: such a group could run
    empty, never fuller)."""
    pairs = []
    filters = rules_of("attendance")
    for p in program.participants:
        may = [f(program, p) for f in filters]
        for o in options:
            for can in may:
                if not can(o):
                    break
            else:
                pairs.append((p, o))
    while True:
        count: dict[int, int] = defaultdict(int)
        for _p, o in pairs:
            count[o.index] += 1
        dead = {o.index for _p, o in pairs if o.stype.is_group and count[o.index] < o.stype.min_size}
        if not dead:
            return pairs
        pairs = [(p, o) for p, o in pairs if o.index not in dead]


def slots_needed(hours: float, slot_minutes: int) -> int:
    """Slots of the grid that hold at least `hours` hours."""
    return math.ceil(hours * 60 / slot_minutes - 1e-9)
