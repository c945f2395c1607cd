"""From a solve's values to individual sessions: the aggregated options split into sessions
with a leader (and a co-leader for a co-led type), a room (interval colouring per room class)
and a roster."""

from __future__ import annotations

from collections import defaultdict

from iopsched.cpsat.draft import DraftSession
from iopsched.cpsat.model import Option, WeekModel, effective_capacity
from iopsched.domain import day_name
from iopsched.schedule import Session


def extract(wm: WeekModel, solver) -> list[Session]:
    """The week's sessions from the model's values (`solver.value`)."""
    prog = wm.program
    pins_at: dict[tuple[str, int, int], list] = defaultdict(list)
    for pin in prog.pinned:
        pins_at[pin.session_type, pin.day, pin.start].append(pin)
    room_class = wm.room_class
    drafts: list[DraftSession] = []
    for o in wm.options:
        leaders = [s for s in o.staff if solver.value(wm.y[o.index, s])]
        if not leaders:
            continue
        classes = []
        for ci in o.classes:
            classes += [ci] * solver.value(wm.rc[o.index, ci])
        people = sorted(pid for pid, _ in _attendees(wm, solver, o))
        pins = pins_at.get((o.stype.name, o.day, o.start), [])
        copies = _split(wm, solver, o, leaders, classes, people, pins, room_class)
        if o.stype.co_led:
            _pair_co_leaders(wm, solver, o, copies)
        drafts += copies
    return _assign_rooms(wm, drafts)


def _pair_co_leaders(wm: WeekModel, solver, o: Option, copies: list[DraftSession]) -> None:
    """Give each of the option's sessions one of its co-leaders (there are as many as
    sessions: sum(z) = sum(y)). The co-leaders are interchangeable within the option, so they
    go in order of id to the sessions in order of leader (never a session's own leader: the
    model keeps anyone from leading and co-leading at once)."""
    co_leaders = [s for s in o.co_staff if solver.value(wm.z[o.index, s])]
    ordered = sorted(copies, key=lambda c: c.staff)
    for c, co in zip(ordered, co_leaders, strict=False):
        c.co_staff = co


def _attendees(wm: WeekModel, solver, o: Option):
    for p in wm.program.participants:
        v = wm.a.get((p.participant_id, o.index))
        if v is not None and solver.value(v):
            yield p.participant_id, v


def _split(wm, solver, o: Option, leaders, classes, people, pins, room_class) -> list[DraftSession]:
    """Split an option's n sessions into copies, each with a leader, a room class and participants."""
    t = o.stype
    copies: list[DraftSession] = []
    free_staff = list(leaders)
    free_classes = list(classes)
    assigned: set[str] = set()
    for pin in pins:
        free_staff.remove(pin.staff_id)
        ci = room_class[pin.room_id]
        free_classes.remove(ci)
        members = list(pin.participants)
        assigned |= set(members)
        copies.append(DraftSession(o, pin.staff_id, ci, members, pinned=True, room=pin.room_id))
    if not t.is_group:
        _pair_one_to_one(wm, solver, o, copies, free_staff, free_classes, people, assigned)
        return copies
    for staff, ci in zip(free_staff, free_classes, strict=False):
        copies.append(DraftSession(o, staff, ci))
    # sizes: lower bounds first, then water-fill up to each room's effective capacity
    caps = [effective_capacity(wm.classes[c.ci], t) for c in copies]
    sizes = [max(t.min_size, len(c.members)) for c in copies]
    total = len(people)
    while sum(sizes) < total:
        free = [i for i in range(len(copies)) if sizes[i] < caps[i]]
        # (no free seat only when a model without rule 4/5's seats is solved: tests/test_rules_bind.py)
        best = min(free or range(len(copies)), key=lambda i: (sizes[i], i))
        sizes[best] += 1
    rest = [pid for pid in people if pid not in assigned]
    for c, size in zip(copies, sizes, strict=True):
        need = size - len(c.members)
        c.members += rest[:need]
        rest = rest[need:]
    return copies


def _pair_one_to_one(wm, solver, o, copies, free_staff, free_classes, people, assigned) -> None:
    """Non-group option: one participant per leader; primary therapists get their own clients."""
    rest = [pid for pid in people if pid not in assigned]
    open_pins = {c.staff: c for c in copies if not c.members}
    pairs = []
    participants = wm.program.participant_by_id()
    for pid in list(rest):
        ap = wm.a_primary.get((pid, o.index))
        if ap is None or not solver.value(ap):
            continue
        prim = participants[pid].primary_therapist
        if prim in open_pins:
            open_pins.pop(prim).members = [pid]
            rest.remove(pid)
        elif prim in free_staff:
            free_staff.remove(prim)
            rest.remove(pid)
            pairs.append((prim, pid))
    for c in open_pins.values():  # a pinned session without a named participant
        if rest:
            c.members = [rest.pop(0)]
    pairs += list(zip(free_staff, rest, strict=False))
    for (staff, pid), ci in zip(pairs, free_classes, strict=False):
        copies.append(DraftSession(o, staff, ci, [pid]))


def _assign_rooms(wm: WeekModel, drafts: list[DraftSession]) -> list[Session]:
    """Give each session a concrete room: interval colouring per room class and day."""
    by_class_day: dict[tuple[int, int], list[DraftSession]] = defaultdict(list)
    for c in drafts:
        by_class_day[c.ci, c.option.day].append(c)
    for (ci, _day), items in by_class_day.items():
        rooms = [r.room_id for r in wm.classes[ci].rooms]
        busy_until = {r: -1 for r in rooms}
        items.sort(key=lambda c: (c.option.start, c.option.end, c.option.stype.name, c.staff))
        for c in items:
            o = c.option
            if c.room is not None:
                busy_until[c.room] = o.end
                continue
            # the first free room; none is free only in a model without rule 4's room overlap
            room = next((r for r in rooms if busy_until[r] <= o.start), min(rooms, key=lambda r: busy_until[r]))
            busy_until[room] = o.end
            c.room = room
    sessions = []
    drafts.sort(key=lambda c: (c.option.day, c.option.start, c.option.stype.name, c.staff))
    counter: dict[tuple[int, int], int] = defaultdict(int)
    for c in drafts:
        o = c.option
        assert c.room is not None  # (every draft has one by now: pinned or given above)
        counter[o.day, o.start] += 1
        sid = f"{day_name(o.day)}-{o.start // 60:02d}{o.start % 60:02d}-{counter[o.day, o.start]:02d}"
        sessions.append(Session(sid, o.stype.name, o.stype.kind, o.day, o.start, o.end, c.staff, c.room,
                                tuple(sorted(c.members)), c.pinned, c.co_staff))
    return sessions
