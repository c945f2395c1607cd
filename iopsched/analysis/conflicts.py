"""Hard-rule conflicts in the input, named by their rows, found before any solve.

When a pinned session cannot hold (its leader is absent or lacks the role, no co-leader of a
co-led type is available then, its room is
of the wrong kind or too small, a pinned participant is busy or ineligible, two pinned
rows need the same person or room at once), the solve would only say INFEASIBLE. These
checks say which Pinned rows conflict and why.
"""

from __future__ import annotations

from iopsched.domain import Program, blocked, day_name, eligible, hhmm
from iopsched.errors import InputError, Problem


def pinned_conflicts(program: Program) -> list[Problem]:
    r = program.rules
    file = program.source_path
    staff = program.staff_by_id()
    rooms = program.room_by_id()
    types = program.type_by_name()
    people = program.participant_by_id()
    out: list[Problem] = []

    def bad(pin, column: str, message: str) -> None:
        out.append(Problem(message, file=file, sheet="Pinned", row=pin.row or None, column=column))

    spans = []
    for pin in program.pinned:
        t = types[pin.session_type]
        end = pin.start + t.minutes
        when = f"{day_name(pin.day)} {hhmm(pin.start)}-{hhmm(end)}"
        s = staff[pin.staff_id]
        if t.staff_role not in s.roles:
            bad(pin, "staff_id", f"{s.staff_id} does not hold role '{t.staff_role}' needed by {t.name}")
        if not s.available(pin.day, pin.start, end):
            windows = ", ".join(str(w) for w in s.windows if w.day == pin.day) or "no window that day"
            bad(pin, "staff_id", f"{s.staff_id} is not available {when} (available: {windows})")
        if t.co_leader_role is not None and not any(
                t.co_leader_role in x.roles and x.staff_id != s.staff_id and x.available(pin.day, pin.start, end)
                for x in program.staff):
            bad(pin, "session_type", f"{t.name} is co-led by {'an' if t.co_leader_role[:1] in 'aeiou' else 'a'} "
                f"{t.co_leader_role}, and no one holding that role besides {s.staff_id} is available {when}")
        room = rooms[pin.room_id]
        if t.kind not in room.kinds:
            bad(pin, "room_id", f"room {room.room_id} does not host {t.kind} sessions "
                f"(kinds: {', '.join(sorted(room.kinds))})")
        if not room.fits(len(pin.participants)):
            bad(pin, "room_id", f"room {room.room_id} seats {room.capacity}, "
                f"{len(pin.participants)} participants are pinned")
        if not t.is_group and len(pin.participants) > 1:
            bad(pin, "participants", f"a {t.kind} session has one participant; {len(pin.participants)} pinned")
        for pid in pin.participants:
            p = people[pid]
            if not eligible(p, t):
                bad(pin, "participants", f"{pid} may not attend {t.name} (track, tags or flags)")
            c = blocked(p, pin.day, pin.start, end, r.travel_buffer_minutes)
            if c is not None:
                bad(pin, "participants", f"{pid} has {c} (with the {r.travel_buffer_minutes}-minute "
                    f"travel buffer) during {when}")
        spans.append((pin, end))
    for i, (a, a_end) in enumerate(spans):
        for b, b_end in spans[i + 1:]:
            if a.day != b.day or not (a.start < b_end and b.start < a_end):
                continue
            if a.staff_id == b.staff_id:
                bad(b, "staff_id", f"{b.staff_id} is also pinned on row {a.row} at an overlapping time")
            if a.room_id == b.room_id:
                bad(b, "room_id", f"room {b.room_id} is also pinned on row {a.row} at an overlapping time")
            for pid in sorted(set(a.participants) & set(b.participants)):
                bad(b, "participants", f"{pid} is also pinned on row {a.row} at an overlapping time")
    return out


def check_pinned(program: Program) -> None:
    problems = pinned_conflicts(program)
    if problems:
        raise InputError([Problem("the pinned sessions cannot all hold; no schedule can keep them",
                                  file=program.source_path), *problems])
