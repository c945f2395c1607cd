"""Regenerate the bundled sample program: sample_data/program.xlsx and sample_data/program_csv/.

Run from the repository root:  python sample_data/make_sample.py

A small, hand-written Intensive Outpatient Program week (Mon-Fri) meant to be read:
a coordinator can learn the workbook format from it. Every name is made up.
- Day track (groups about 09:00-12:00): parents with school runs, a night-shift
  worker, a part-time worker, people between jobs or with a court date.
- Evening track (groups about 17:30-21:00): full-time workers and students.
- Two adolescents after school (groups from 15:30).
- 7 staff: two day clinicians, one mid-day and two evening clinicians, a
  prescriber who comes on Tuesday morning and Thursday evening only, and a peer
  recovery specialist (Mon-Thu mornings, Tue and Thu evenings) who co-leads every
  Relapse Prevention group beside its counselor (SessionTypes.co_leader_role); SUD and
  Dual participants attend it once a week.
- 3 rooms: two group rooms (also used for individual and family sessions) and a
  telehealth room (no seat limit) for individual, family and medication visits.
- One pinned session: the Monday 09:00 Process Group in Group Room A with S02.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from iopsched.workbook.program_writer import write_program_csv_folder, write_program_workbook  # noqa: E402

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")

STAFF = [
    {"staff_id": "S01", "name": "Dana Example", "roles": "therapist, counselor",
     "max_hours_week": 28, "max_hours_day": 6},
    {"staff_id": "S02", "name": "Jordan Sample", "roles": "counselor",
     "max_hours_week": 28, "max_hours_day": 6},
    {"staff_id": "S03", "name": "Riley Placeholder", "roles": "therapist, counselor",
     "max_hours_week": 28, "max_hours_day": 6},
    {"staff_id": "S04", "name": "Morgan Testcase", "roles": "counselor",
     "max_hours_week": 24, "max_hours_day": 6},
    {"staff_id": "S05", "name": "Casey Fictional", "roles": "therapist, counselor",
     "max_hours_week": 28, "max_hours_day": 6},
    {"staff_id": "S06", "name": "Dr. Robin Madeup", "roles": "prescriber",
     "max_hours_week": 10, "max_hours_day": 5},
    {"staff_id": "S07", "name": "Jesse Notreal", "roles": "peer specialist",
     "max_hours_week": 16, "max_hours_day": 4},
]


def window(staff_id: str, days, start: str, end: str) -> list[dict]:
    return [{"staff_id": staff_id, "day": d, "start": start, "end": end} for d in days]


STAFF_AVAILABILITY = (
    window("S01", WEEKDAYS, "08:00", "14:00")  # day clinician
    + window("S02", WEEKDAYS, "08:00", "14:00")  # day counselor
    + window("S05", WEEKDAYS, "11:00", "19:00")  # mid-day: day track, adolescents, early evening
    + window("S03", WEEKDAYS, "15:00", "21:00")  # evening clinician
    + window("S04", ("Mon", "Tue", "Wed", "Thu"), "15:00", "21:00")  # evening counselor
    + window("S06", ("Tue",), "08:00", "13:00")  # prescriber: Tuesday morning
    + window("S06", ("Thu",), "16:00", "21:00")  # ... and Thursday evening
    + window("S07", ("Mon", "Tue", "Wed", "Thu"), "09:00", "13:00")  # peer specialist: mornings
    + window("S07", ("Tue", "Thu"), "17:00", "21:00")  # ... and two evenings
)

ROOMS = [
    {"room_id": "R1", "capacity": 14, "kinds": "group, individual, family"},  # Group Room A
    {"room_id": "R2", "capacity": 10, "kinds": "group, individual, family"},  # Group Room B
    {"room_id": "R3", "capacity": None, "kinds": "individual, family, medication"},  # telehealth
]

ADULT = "SUD, MH, Dual"


def group(name, role, min_size, max_size, tracks, tags="", weekly_min=None, weekly_max=None,
          co_leader_role=None) -> dict:
    return {"session_type": name, "kind": "group", "minutes": 60, "staff_role": role,
            "min_size": min_size, "max_size": max_size, "tracks": tracks, "tags_required": tags,
            "weekly_min": weekly_min, "weekly_max": weekly_max, "daily_max": 1, "counts_toward_hours": True,
            "co_leader_role": co_leader_role}


def service(name, kind, minutes, role) -> dict:
    return {"session_type": name, "kind": kind, "minutes": minutes, "staff_role": role,
            "min_size": None, "max_size": None, "tracks": "", "tags_required": "",
            "weekly_min": 1, "weekly_max": 1, "daily_max": 1, "counts_toward_hours": True,
            "co_leader_role": None}


SESSION_TYPES = [
    group("Process Group", "counselor", 4, 12, ADULT),
    # co-led: a counselor and the peer recovery specialist (S07) run every session together;
    # once a week for everyone in the SUD and Dual tracks
    group("Relapse Prevention", "counselor", 3, 12, "SUD, Dual", weekly_min=1, co_leader_role="peer specialist"),
    group("CBT Skills", "therapist", 3, 12, ADULT),
    group("DBT Skills", "therapist", 3, 12, "MH, Dual"),
    group("Psychoeducation", "counselor", 3, 12, ADULT),
    group("Life Skills", "counselor", 3, 12, ADULT),
    group("Women's Group", "counselor", 3, 10, ADULT, tags="women", weekly_max=1),
    group("Teen Process Group", "counselor", 2, 8, "Adolescent"),
    group("Teen Skills Group", "therapist", 2, 8, "Adolescent"),
    service("Individual Therapy", "individual", 60, "therapist"),
    service("Family Session", "family", 60, "therapist"),
    service("Medication Management", "medication", 30, "prescriber"),
]


def person(pid, name, track, tags="", level="IOP", preferred_time=None, preferred_days=None,
           primary_therapist=None, needs_medication=False, family_sessions=False) -> dict:
    return {"participant_id": pid, "name": name, "track": track, "tags": tags, "level": level,
            "preferred_time": preferred_time, "preferred_days": preferred_days,
            "primary_therapist": primary_therapist, "needs_medication": needs_medication,
            "family_sessions": family_sessions}


PARTICIPANTS = [
    # day track
    person("P01", "Alex Example", "SUD", preferred_time="morning", primary_therapist="S01",
           needs_medication=True),  # parent: school pick-up
    person("P02", "Avery Sample", "Dual", primary_therapist="S01", needs_medication=True,
           family_sessions=True),  # between jobs
    person("P03", "Blake Pretend", "MH", tags="women"),  # part-time job in the afternoons
    person("P04", "Drew Notreal", "SUD", preferred_time="morning"),  # night shifts
    person("P05", "Emery Dummy", "Dual", tags="women", primary_therapist="S05"),  # school runs
    person("P06", "Finley Mockley", "MH", needs_medication=True),  # cares for a parent Tue/Thu
    person("P07", "Harper Specimen", "SUD", preferred_days="Mon, Tue, Thu"),  # court date Wed
    person("P08", "Jamie Invented", "MH", tags="women"),  # paratransit drop-off at 08:30
    person("P09", "Kai Fictional", "Dual", family_sessions=True),
    person("P10", "Lee Madeup", "SUD", primary_therapist="S05"),  # dialysis Mon/Wed/Fri afternoons
    person("P11", "Noel Placeholder", "MH", preferred_time="morning"),
    # evening track
    person("P12", "Parker Testcase", "SUD", preferred_time="evening", primary_therapist="S03",
           needs_medication=True),  # full-time 08:00-17:00
    person("P13", "Quinn Sample", "MH", family_sessions=True),  # full-time 09:00-17:00
    person("P14", "Reese Example", "Dual", tags="women"),  # student, classes until 15:00
    person("P15", "Robin Dummy", "SUD", preferred_days="Mon, Tue, Thu"),  # four 10-hour days
    person("P16", "Rowan Notreal", "Dual", primary_therapist="S03"),  # works, then daycare pick-up
    person("P17", "Sage Pretend", "MH", preferred_time="evening"),  # early shift 07:00-15:30
    person("P18", "Sam Invented", "SUD"),  # college classes
    # adolescents
    person("P19", "Skyler Mockley", "Adolescent", level="IOP-adolescent", preferred_time="afternoon",
           family_sessions=True),
    person("P20", "Taylor Specimen", "Adolescent", level="IOP-adolescent", needs_medication=True,
           family_sessions=True),  # soccer practice on Wednesdays
]


def busy(pid: str, days, start: str, end: str, reason: str) -> list[dict]:
    return [{"participant_id": pid, "day": d, "start": start, "end": end, "reason": reason}
            for d in days]


COMMITMENTS = (
    busy("P01", WEEKDAYS, "15:00", "16:00", "caregiving")  # school pick-up
    + busy("P03", ("Mon", "Wed", "Fri"), "14:00", "19:00", "work")
    # night shift Mon-Thu nights: an overnight shift is two rows, before and after midnight
    + busy("P04", ("Mon", "Tue", "Wed", "Thu"), "23:00", "24:00", "work")
    + busy("P04", ("Tue", "Wed", "Thu", "Fri"), "00:00", "07:00", "work")
    + busy("P05", WEEKDAYS, "07:30", "08:15", "caregiving")  # school drop-off
    + busy("P05", WEEKDAYS, "14:30", "15:30", "caregiving")  # and pick-up
    + busy("P06", ("Tue", "Thu"), "13:00", "17:00", "caregiving")
    + busy("P07", ("Wed",), "09:00", "11:00", "other")  # court date
    + busy("P08", WEEKDAYS, "07:00", "08:30", "transport")
    + busy("P10", ("Mon", "Wed", "Fri"), "13:30", "17:30", "other")  # dialysis
    + busy("P12", WEEKDAYS, "08:00", "17:00", "work")
    + busy("P13", WEEKDAYS, "09:00", "17:00", "work")
    + busy("P14", WEEKDAYS, "08:00", "15:00", "school")
    + busy("P15", ("Mon", "Tue", "Wed", "Thu"), "07:00", "17:00", "work")
    + busy("P16", WEEKDAYS, "08:00", "16:00", "work")
    + busy("P16", WEEKDAYS, "16:30", "17:00", "caregiving")  # daycare pick-up
    + busy("P17", WEEKDAYS, "07:00", "15:30", "work")
    + busy("P18", ("Mon", "Wed", "Fri"), "09:00", "16:00", "school")
    + busy("P18", ("Tue", "Thu"), "10:00", "14:00", "school")
    + busy("P19", WEEKDAYS, "07:30", "15:00", "school")
    + busy("P20", WEEKDAYS, "07:30", "15:00", "school")
    + busy("P20", ("Wed",), "15:30", "17:30", "other")  # soccer practice
)

PINNED = [
    # the Monday morning Process Group always runs at 09:00 in Group Room A with S02;
    # the solver fills it with day-track participants (no list given)
    {"session_type": "Process Group", "day": "Mon", "start": "09:00", "staff_id": "S02",
     "room_id": "R1", "participants": ""},
]

SHEETS = {
    "Staff": STAFF,
    "StaffAvailability": STAFF_AVAILABILITY,
    "Rooms": ROOMS,
    "SessionTypes": SESSION_TYPES,
    "Participants": PARTICIPANTS,
    "Commitments": COMMITMENTS,
    "Pinned": PINNED,
}


def main() -> None:
    xlsx = write_program_workbook(HERE / "program.xlsx", SHEETS)
    folder = write_program_csv_folder(HERE / "program_csv", SHEETS)
    print(f"wrote {xlsx.relative_to(HERE.parent)} and {folder.relative_to(HERE.parent)}/")


if __name__ == "__main__":
    main()
