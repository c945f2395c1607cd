"""An empty program workbook for a coordinator to fill in (`iopsched template`).

Every sheet and column of the contract (WORKBOOK.md, "Input 1") in the contract's
order; each header cell carries a comment explaining its column, and the columns
with a fixed set of values get a drop-down list (rows 2..500). Drop-downs only warn:
the reader also accepts full day names, other spellings of yes/no and the config's
own levels of care.
"""

from __future__ import annotations

from pathlib import Path

from iopsched.domain import DAY_NAMES, KINDS, PREFERRED_TIMES
from iopsched.errors import InputError
from iopsched.workbook.program_writer import CONTRACT_COLUMNS
from iopsched.workbook.safe_io import atomic_path

LAST_ROW = 500
TIME = "HH:MM 24-hour text such as 09:00 or 17:30 (an Excel time or 9:00 AM also works)."
DAY = "Mon..Sun (full names also work)."
COLUMN_HELP: dict[str, dict[str, str]] = {
    "Staff": {
        "staff_id": "Required. Unique id of the staff member, e.g. S01.",
        "name": "Optional. Display name.",
        "roles": "Required. Comma-separated roles, e.g. 'counselor, therapist'. Matched against "
                 "SessionTypes.staff_role.",
        "max_hours_week": "Optional. Most hours of sessions this person leads in a week; blank = no limit.",
        "max_hours_day": "Optional. Most hours of sessions this person leads in a day; blank = no limit.",
    },
    "StaffAvailability": {
        "staff_id": "Required. A staff_id from sheet Staff. One row per window; a staff member "
                    "works only inside their windows.",
        "day": "Required. " + DAY,
        "start": "Required. Window start, " + TIME,
        "end": "Required. Window end (after start), " + TIME,
    },
    "Rooms": {
        "room_id": "Required. Unique id of the room, e.g. R1.",
        "capacity": "Seats. Blank = unlimited (telehealth).",
        "kinds": "Required. Comma-separated session kinds the room can host: group, individual, "
                 "family, medication.",
    },
    "SessionTypes": {
        "session_type": "Required. Unique name, e.g. 'Process Group', 'Individual Therapy'.",
        "kind": "Required. group, individual, family or medication.",
        "minutes": "Required. Duration; a multiple of the config's slot_minutes (default 30).",
        "staff_role": "Required. The role a leader must hold (see Staff.roles).",
        "min_size": "Groups: fewest participants in a session (non-groups: 1).",
        "max_size": "Groups: most participants in a session (non-groups: 1).",
        "tracks": "Optional. Comma-separated tracks whose participants may attend; blank = all.",
        "tags_required": "Optional. Comma-separated tags; only participants holding all of them may "
                         "attend (gender-specific, language, court-ordered groups).",
        "weekly_min": "Optional. Sessions of this type each participant needs per week (default 0; "
                      "for family/medication only flagged participants count).",
        "weekly_max": "Optional. Most sessions of this type per participant per week; blank = no limit.",
        "daily_max": "Optional. Most sessions of this type per participant per day (default 1).",
        "counts_toward_hours": "Optional. yes/no: does it count toward program hours (default yes).",
        "co_leader_role": "Optional (iopsched extension). A role (see Staff.roles) for a second "
                          "staff member who runs every session of the type beside the leader, e.g. "
                          "'peer specialist'; both must be available and free, and both count the "
                          "hours. Blank = one leader.",
    },
    "Participants": {
        "participant_id": "Required. Unique id; the only participant identifier written to "
                          "distributed outputs.",
        "name": "Optional. Protected health information: never printed to the terminal or logs.",
        "track": "Required. Clinical track, e.g. SUD, MH, Dual, Adolescent.",
        "tags": "Optional. Comma-separated tags, e.g. 'women, spanish' (see SessionTypes.tags_required).",
        "level": "Optional. Level of care from the config: IOP (default), IOP-adolescent, PHP or "
                 "your own.",
        "days_min": "Optional. Override of the level's fewest days per week.",
        "days_max": "Optional. Override of the level's most days per week.",
        "day_hours_min": "Optional. Override of the level's fewest hours on an attended day.",
        "day_hours_max": "Optional. Override of the level's most hours on a day.",
        "week_hours_min": "Optional. Override of the level's fewest hours per week.",
        "week_hours_max": "Optional. Override of the level's most hours per week.",
        "preferred_time": "Optional. morning (starts before 12:00), afternoon (12:00-17:00), "
                          "evening (from 17:00); blank = any.",
        "preferred_days": "Optional. Comma-separated days, e.g. 'Mon, Wed, Fri'.",
        "primary_therapist": "Optional. staff_id of the therapist for individual sessions.",
        "needs_medication": "Optional. yes/no: needs medication management (blank = no).",
        "family_sessions": "Optional. yes/no: has family sessions (blank = no).",
        "start_date": "Optional (iopsched extension). Admission date, YYYY-MM-DD: no sessions "
                      "before it in the week solved (iopsched solve --week-of).",
        "end_date": "Optional (iopsched extension). Discharge date, YYYY-MM-DD: no sessions after it.",
        "certified_until": "Optional (iopsched extension). Last day of the participant's current "
                           "certification of need, YYYY-MM-DD: `iopsched report` flags a "
                           "recertification due within the week.",
    },
    "Commitments": {
        "participant_id": "Required. A participant_id from sheet Participants. One row per time "
                          "the participant cannot attend (the travel buffer is added around it).",
        "day": "Required. " + DAY,
        "start": "Required. " + TIME,
        "end": "Required. After start; split an overnight shift into two rows (e.g. 23:00-24:00 "
               "and 00:00-07:00 the next day).",
        "reason": "Optional. work, school, caregiving, transport or other.",
    },
    "Pinned": {
        "session_type": "Required. A session_type from sheet SessionTypes. Optional sheet: sessions "
                        "the coordinator fixes.",
        "day": "Required. " + DAY,
        "start": "Required. " + TIME,
        "staff_id": "Required. The leader, a staff_id from sheet Staff.",
        "room_id": "Required. A room_id from sheet Rooms.",
        "participants": "Optional. Comma-separated participant_ids who must attend.",
    },
}
YES_NO = ("yes", "no")
# (sheet, column) -> allowed values of its drop-down
DROPDOWNS: dict[tuple[str, str], tuple[str, ...]] = {
    ("StaffAvailability", "day"): DAY_NAMES,
    ("Commitments", "day"): DAY_NAMES,
    ("Pinned", "day"): DAY_NAMES,
    ("SessionTypes", "kind"): KINDS,
    ("SessionTypes", "counts_toward_hours"): YES_NO,
    ("Participants", "level"): ("IOP", "IOP-adolescent", "PHP"),
    ("Participants", "preferred_time"): PREFERRED_TIMES,
    ("Participants", "needs_medication"): YES_NO,
    ("Participants", "family_sessions"): YES_NO,
    ("Commitments", "reason"): ("work", "school", "caregiving", "transport", "other"),
}


def write_template(path: Path) -> None:
    """Write the empty program workbook to `path` (.xlsx), replacing it atomically."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"{path}: the template is an Excel workbook; give a name ending .xlsx")
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for sheet, columns in CONTRACT_COLUMNS.items():
        ws = wb.create_sheet(sheet)
        for j, col in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=j, value=col)
            cell.font = bold
            cell.fill = fill
            comment = Comment(COLUMN_HELP[sheet][col], "iopsched")
            comment.width, comment.height = 320, 110
            cell.comment = comment
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = max(len(col) + 4, 12)
            values = DROPDOWNS.get((sheet, col))
            if values:
                dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                                    allow_blank=True, errorStyle="warning", showErrorMessage=True)
                dv.error = "Expected one of: " + ", ".join(values)
                dv.errorTitle = col[:32]
                dv.add(f"{letter}2:{letter}{LAST_ROW}")
                ws.add_data_validation(dv)
        ws.freeze_panes = "A2"
    with atomic_path(path) as tmp:
        wb.save(tmp)
