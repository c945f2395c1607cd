"""`iopsched report` (issue 18): compliance and utilisation figures, their writers, the CLI,
the solve's Compliance sheet and the `day_tier` objective term."""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from builders import (
    PROGRAM_COLUMNS,
    make_program,
    participant,
    program_sheets,
    session,
    write_schedule_xlsx,
    write_sheets,
)
from typer.testing import CliRunner

from iopsched.cli import app
from iopsched.domain import SessionType
from iopsched.errors import ConfigError, InputError
from iopsched.generate.programs import KINDS, write_generated
from iopsched.report.compliance import check_matches, figures
from iopsched.schedule import Schedule
from iopsched.workbook.config import load_config, rules_from_dict

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
WEEK = "2026-12-07"  # a Monday
MONDAY = dt.date(2026, 12, 7)


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def sheet_rows(path: Path, sheet: str) -> list[dict]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()
    header = [str(h).strip().lower() for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v not in (None, "") for v in r)]


def minutes(text: str) -> int:
    h, m = str(text).split(":")[:2]
    return int(h) * 60 + int(m)


# --- the hand-made week: known figures per day and per participant --------------------------------

CHECK_IN = SessionType("Check-in", "group", 30, "counselor", 2, 10, counts_toward_hours=False)


def hand_made(tmp_path: Path) -> tuple[Path, Path, Path]:
    """P01: Mon 4 services (4 h, high tier), Tue 2 (2 h, below 3), Thu 3 (2.5 h): 8.5 h, below
    the IOP minimum of 9. P02: 3 services Mon, Tue, Thu (9 h) plus a Check-in on Mon that does
    not count toward hours; certified until Wed of the week. P03 attends nothing. P04 is PHP,
    which the config maps to no rule set."""
    people = (
        participant("P01", name="Alice Example"),
        participant("P02", name="Bob Example", certified_until=MONDAY + dt.timedelta(days=2)),
        participant("P03", "MH", name="Carol Example", certified_until=MONDAY + dt.timedelta(days=30)),
        participant("P04", "MH", level="PHP", name="Dana Example"),
    )
    program = make_program(participants=people,
                           session_types=(*make_program().session_types, CHECK_IN))
    sessions = [
        session("M1", "Process Group", "Mon", "09:00", "C1", "R1", ("P01", "P02")),
        session("M2", "Skills Group", "Mon", "10:00", "C1", "R1", ("P01", "P02")),
        session("M3", "Relapse Prevention", "Mon", "11:00", "C2", "R2", ("P01", "P02")),
        session("M4", "Individual Therapy", "Mon", "12:00", "T1", "O1", ("P01",)),
        session("M5", "Check-in", "Mon", "12:00", "C2", "R2", ("P02", "P04"), end="12:30"),
        session("T1", "Process Group", "Tue", "09:00", "C1", "R1", ("P01", "P02")),
        session("T2", "Skills Group", "Tue", "10:00", "C1", "R1", ("P01", "P02")),
        session("T3", "Relapse Prevention", "Tue", "11:00", "C2", "R2", ("P02", "P04")),
        session("H1", "Process Group", "Thu", "09:00", "C1", "R1", ("P01", "P02")),
        session("H2", "Skills Group", "Thu", "10:00", "C1", "R1", ("P01", "P02")),
        session("H3", "Medication Management", "Thu", "11:00", "M1", "O1", ("P01",)),
        session("H4", "Relapse Prevention", "Thu", "11:00", "C2", "R2", ("P02", "P04")),
    ]
    schedule = Schedule(sessions=sessions, summary={"status": "FEASIBLE"})
    sheets = program_sheets(program)
    for row, p in zip(sheets["Participants"], people, strict=True):
        row["certified_until"] = p.certified_until.isoformat() if p.certified_until else None
    prog = write_sheets(sheets, tmp_path / "program.xlsx", PROGRAM_COLUMNS)
    sched = write_schedule_xlsx(schedule, tmp_path / "schedule.xlsx")
    config = tmp_path / "config.toml"
    config.write_text('[compliance.levels]\nPHP = ""\n', encoding="utf-8")
    return prog, sched, config


def test_a_hand_made_week_gives_exactly_its_flags_and_tiers(tmp_path):
    prog, sched, config = hand_made(tmp_path)
    out = tmp_path / "csv"
    result = runner.invoke(app, ["report", str(sched), "--program", str(prog), "--config", str(config),
                                 "--csv", str(out), "--week-of", WEEK])
    assert result.exit_code == 0, result.output
    people = {r["participant_id"]: r for r in read_csv(out / "participants.csv")}
    p1, p2, p3, p4 = (people[f"P0{i}"] for i in range(1, 5))
    assert (p1["week_hours"], p1["days"], p1["services"]) == ("8.5", "3", "9")
    assert p1["services_per_day"] == "Mon 4, Tue 2, Thu 3"
    assert p1["tiers_per_day"] == "Mon high, Tue below, Thu standard"
    assert (p1["days_high_tier"], p1["days_standard_tier"], p1["days_below_min"]) == ("1", "1", "1")
    assert p1["meets_rule_set"] == "no"
    assert (p2["week_hours"], p2["services_per_day"], p2["meets_rule_set"]) == ("9.0", "Mon 3, Tue 3, Thu 3", "yes")
    assert (p3["week_hours"], p3["days"], p3["meets_rule_set"]) == ("0.0", "0", "no")
    assert (p4["rule_set"], p4["meets_rule_set"], p4["flags"]) == ("", "", "")
    flags = sorted((r["participant_id"], r["day"], r["flag"]) for r in read_csv(out / "flags.csv"))
    assert flags == [
        ("P01", "", "below_week_hours_min"),
        ("P01", "Tue", "day_below_services_min"),
        ("P02", "Wed", "recertification_due"),
        ("P03", "", "below_week_hours_min"),
    ]
    days = {(r["participant_id"], r["day"]): r for r in read_csv(out / "days.csv")}
    assert (days["P02", "Mon"]["sessions"], days["P02", "Mon"]["services"]) == ("4", "3")  # Check-in
    assert days["P04", "Mon"]["tier"] == ""
    program = {r["key"]: r["value"] for r in read_csv(out / "program.csv")}
    assert program["participants_meeting_rule_set"] == "1"
    assert program["participants_with_rule_set"] == "3"
    assert (program["days_high_tier"], program["days_standard_tier"], program["days_below_services_min"]) \
        == ("1", "4", "1")
    assert program["recertifications_due"] == "1"
    assert program["service_hours"] == "19.5"  # P01 8.5 + P02 9 + P04 2 (the Check-ins excluded)
    types = {r["session_type"]: r for r in read_csv(out / "service_types.csv")}
    assert types["Check-in"]["participant_hours"] == "1.0" and types["Check-in"]["counts_toward_hours"] == "no"


def test_no_certification_date_means_no_recertification_flag(tmp_path):
    program = make_program()
    schedule = Schedule(sessions=[session("M1", "Process Group", "Mon", "09:00", "C1", "R1", ("P01", "P02"))])
    fig = figures(program, schedule, MONDAY)
    assert "recertification_due" not in set(fig.flags["flag"])
    lapsed = replace(program, participants=tuple(replace(p, certified_until=MONDAY - dt.timedelta(days=3))
                                                 for p in program.participants))
    fig = figures(lapsed, schedule, MONDAY)
    assert list(fig.flags[fig.flags["flag"] == "recertification_due"]["participant_id"]) == \
        ["P01", "P02", "P03", "P04"]
    assert "lapsed" in fig.flags["detail"].iloc[-1]


# --- every generated kind: the report against a count from the sheets --------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = {}
    base = tmp_path_factory.mktemp("kinds")
    for kind in KINDS:
        folder = base / kind
        write_generated("small", 1, folder, kind=kind)
        schedule = folder / "schedule.xlsx"
        result = runner.invoke(app, ["solve", str(folder / "program.xlsx"), "--config",
                                     str(folder / "config.toml"), "-o", str(schedule), "--time-limit", "2",
                                     "--deterministic", "--quiet"])
        assert result.exit_code == 0, result.output
        out[kind] = folder
    return out


def independent_count(folder: Path) -> dict:
    """Hours, days and services per participant and day, straight from the sheets."""
    types = {r["session_type"]: r for r in sheet_rows(folder / "program.xlsx", "SessionTypes")}

    def counts(name: str) -> bool:
        v = types[name].get("counts_toward_hours")
        return v is None or str(v).strip().lower() in ("", "yes", "y", "true", "1")

    sessions = {r["session_id"]: r for r in sheet_rows(folder / "schedule.xlsx", "Sessions")}
    hours: Counter = Counter()
    per_day: dict = defaultdict(Counter)  # pid -> day -> services
    days: dict = defaultdict(set)
    by_type: Counter = Counter()
    for a in sheet_rows(folder / "schedule.xlsx", "Attendance"):
        s = sessions[a["session_id"]]
        days[a["participant_id"]].add(s["day"])
        length = minutes(s["end"]) - minutes(s["start"])
        by_type[s["session_type"]] += length
        if counts(s["session_type"]):
            hours[a["participant_id"]] += length
            per_day[a["participant_id"]][s["day"]] += 1
    staff: Counter = Counter()
    for s in sessions.values():
        staff[s["staff_id"]] += minutes(s["end"]) - minutes(s["start"])
    levels = {str(r["participant_id"]): r.get("level") or "IOP"
              for r in sheet_rows(folder / "program.xlsx", "Participants")}
    return {"hours": hours, "per_day": per_day, "days": days, "by_type": by_type, "staff": staff,
            "levels": levels}


@pytest.mark.parametrize("kind", KINDS)
def test_report_figures_equal_a_count_from_the_sheets(generated, kind, tmp_path):
    folder = generated[kind]
    out = tmp_path / "csv"
    result = runner.invoke(app, ["report", str(folder / "schedule.xlsx"), "--program", str(folder / "program.xlsx"),
                                 "--config", str(folder / "config.toml"), "--csv", str(out), "--week-of", WEEK])
    assert result.exit_code == 0, result.output
    truth = independent_count(folder)
    people = read_csv(out / "participants.csv")
    assert {r["participant_id"] for r in people} == set(truth["levels"])
    high = low = standard = 0
    for r in people:
        pid = r["participant_id"]
        assert float(r["week_hours"]) == pytest.approx(truth["hours"][pid] / 60), pid
        assert int(r["days"]) == len(truth["days"][pid]), pid
        assert int(r["services"]) == sum(truth["per_day"][pid].values()), pid
        mine = {x.split()[0]: int(x.split()[1]) for x in r["services_per_day"].split(", ") if x}
        assert {d: n for d, n in mine.items() if n} == dict(truth["per_day"][pid]), pid
        if truth["levels"][pid] == "IOP":  # medicare_iop: 3 services a day, 4 for the higher tier
            assert r["rule_set"] == "medicare_iop"
            for d in truth["days"][pid]:
                n = truth["per_day"][pid][d]
                high, standard, low = high + (n >= 4), standard + (3 <= n < 4), low + (n < 3)
            below = truth["hours"][pid] < 9 * 60
            assert ("below the weekly minimum" in r["flags"]) == below, pid
    program = {r["key"]: r["value"] for r in read_csv(out / "program.csv")}
    assert (int(program["days_high_tier"]), int(program["days_standard_tier"]),
            int(program["days_below_services_min"])) == (high, standard, low)
    assert int(program["attended_days"]) == sum(len(v) for v in truth["days"].values())
    types = {r["session_type"]: r for r in read_csv(out / "service_types.csv")}
    for name, m in truth["by_type"].items():
        assert float(types[name]["participant_hours"]) == pytest.approx(m / 60, abs=0.005), name
    staff = {r["staff_id"]: r for r in read_csv(out / "staff.csv")}
    for sid, m in truth["staff"].items():
        assert float(staff[sid]["hours_led"]) == pytest.approx(m / 60, abs=0.005), sid


def test_the_solve_writes_the_same_figures(generated):
    # solve's Compliance sheet and Summary rows are the report's participants and program figures
    folder = generated["classic"]
    schedule = folder / "schedule.xlsx"
    rows = sheet_rows(schedule, "Compliance")
    truth = independent_count(folder)
    assert {str(r["participant_id"]) for r in rows} == set(truth["levels"])
    for r in rows:
        assert r["week_hours"] == pytest.approx(truth["hours"][r["participant_id"]] / 60)
    summary = {r["key"]: r["value"] for r in sheet_rows(schedule, "Summary")}
    assert summary["compliance.attended_days"] == sum(len(v) for v in truth["days"].values())
    wb = openpyxl.load_workbook(schedule, read_only=True)
    texts = [c for row in wb["By participant"].iter_rows(values_only=True) for c in row if isinstance(c, str)]
    wb.close()
    assert any(re.match(r"[\d.]+ h \(min 9; medicare_iop\) · \d days", x) for x in texts)


# --- the CLI ---------------------------------------------------------------------------------


def test_cli_report_writes_the_workbook_html_and_csv(tmp_path):
    prog, sched, config = hand_made(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(sched), "--program", str(prog), "--config", str(config),
                                 "-o", str(out / "report.xlsx"), "--html", str(out / "html"),
                                 "--csv", str(out / "csv"), "--week-of", WEEK])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("compliance: 1/3 participants meet their rule set")
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert wb.sheetnames == ["Program", "Participants", "Days", "Flags", "ServiceTypes", "Staff",
                             "RoomUse", "StaffUse"]
    wb.close()
    assert sorted(p.name for p in (out / "csv").iterdir()) == sorted(
        ["program.csv", "participants.csv", "days.csv", "flags.csv", "service_types.csv", "staff.csv",
         "room_use.csv", "staff_use.csv"])
    page = (out / "html" / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 3 and 'class="hours"' in page and 'class="heat rooms"' in page
    assert page.count('class="bar') == 4 and "@media print" in page
    assert (out / "report.xlsx").stat().st_mode & 0o077 == 0  # protected health information


def test_names_are_never_printed_and_written_only_with_show_names(tmp_path):
    prog, sched, config = hand_made(tmp_path)
    names = ("Alice Example", "Bob Example", "Carol Example", "Dana Example")
    args = ["report", str(sched), "--program", str(prog), "--config", str(config), "--week-of", WEEK]
    plain = runner.invoke(app, [*args, "-o", str(tmp_path / "a.xlsx"), "--html", str(tmp_path / "a"),
                                "--csv", str(tmp_path / "a")])
    assert plain.exit_code == 0
    written = (tmp_path / "a" / "report.html").read_text() + (tmp_path / "a" / "participants.csv").read_text()
    assert not any(n in plain.output or n in written for n in names)
    shown = runner.invoke(app, [*args, "--show-names", "--html", str(tmp_path / "b"), "--csv", str(tmp_path / "b")])
    assert shown.exit_code == 0 and not any(n in shown.output for n in names)
    assert "Alice Example" in (tmp_path / "b" / "report.html").read_text()
    assert "Alice Example" in (tmp_path / "b" / "participants.csv").read_text()


def test_bad_input_is_a_clear_error_and_exit_2(tmp_path):
    prog, sched, _config = hand_made(tmp_path)
    missing = runner.invoke(app, ["report", str(tmp_path / "nope.xlsx"), "--program", str(prog)])
    assert missing.exit_code == 2 and "nope.xlsx: file not found" in missing.output
    assert "Traceback" not in missing.output
    # a schedule of another program: unknown session type, staff and participant
    other = Schedule(sessions=[session("X1", "Yoga", "Mon", "09:00", "Z9", "R1", ("P77",), end="10:00")])
    wrong = write_schedule_xlsx(other, tmp_path / "other.xlsx")
    result = runner.invoke(app, ["report", str(wrong), "--program", str(prog)])
    assert result.exit_code == 2, result.output
    assert "Yoga" in result.output and "'Z9'" in result.output and "'P77'" in result.output
    assert "another program" in result.output and "Traceback" not in result.output
    # a program workbook given as the schedule
    result = runner.invoke(app, ["report", str(prog), "--program", str(prog)])
    assert result.exit_code == 2 and "sheet 'Sessions' is missing" in result.output
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text("[compliance.rule_sets.medicare_iop]\nweek_hours_minimum = 9\n", encoding="utf-8")
    result = runner.invoke(app, ["report", str(sched), "--program", str(prog), "--config", str(bad_config)])
    assert result.exit_code == 2 and "compliance.rule_sets.medicare_iop.week_hours_minimum" in result.output


def test_check_matches_names_the_session_row(tmp_path):
    program = make_program()
    schedule = write_schedule_xlsx(Schedule(sessions=[
        session("A1", "Process Group", "Mon", "09:00", "C1", "R1", ("P01", "P02")),
        session("A2", "Process Group", "Mon", "10:00", "C1", "R9", ("P01", "P02"))]), tmp_path / "s.xlsx")
    from iopsched.workbook.schedule_reader import read_schedule

    with pytest.raises(InputError) as exc:
        check_matches(program, read_schedule(schedule), str(schedule))
    assert "sheet Sessions, row 3, column room_id" in str(exc.value)


def test_bad_certified_until_is_an_input_error(tmp_path):
    sheets = program_sheets(make_program())
    sheets["Participants"][1]["certified_until"] = "next month"
    path = write_sheets(sheets, tmp_path / "program.xlsx", PROGRAM_COLUMNS)
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "sheet Participants, row 3, participant P02, column certified_until" in result.output
    # without the column the workbook reads as before
    sheets = program_sheets(make_program())
    path = write_sheets(sheets, tmp_path / "plain.xlsx", PROGRAM_COLUMNS)
    assert runner.invoke(app, ["check", str(path)]).exit_code == 0


# --- the config --------------------------------------------------------------------------------


def test_default_toml_spells_out_the_builtin_compliance():
    assert load_config(ROOT / "configs" / "default.toml").compliance == load_config(None).compliance
    rs = load_config(None).compliance.rule_set_for("IOP")
    assert (rs.week_hours_min, rs.day_services_min, rs.day_services_high_tier, rs.recertify_days) == (9, 3, 4, 60)
    assert load_config(None).compliance.rule_set_for("PHP").week_hours_min == 20
    teen = load_config(None).compliance.rule_set_for("IOP-adolescent")
    assert (teen.week_hours_min, teen.week_hours_max) == (6, 19)


def test_a_commercial_payer_and_unknown_keys():
    rules = rules_from_dict({"compliance": {"rule_sets": {"acme": {"week_hours_min": 12, "day_services_min": 2}},
                                            "levels": {"IOP": "acme", "PHP": ""}}})
    assert rules.compliance.rule_set_for("IOP").week_hours_min == 12
    assert rules.compliance.rule_set_for("PHP") is None
    assert rules.compliance.rule_set_for("IOP-adolescent").name == "asam_2_1_adolescent"
    for raw, key in (({"compliance": {"payers": {}}}, "compliance.payers"),
                     ({"compliance": {"rule_sets": {"x": {"hours": 1}}}}, "compliance.rule_sets.x.hours"),
                     ({"compliance": {"levels": {"IOP": "nobody"}}}, "compliance.levels.IOP")):
        with pytest.raises(ConfigError) as exc:
            rules_from_dict(raw, "my.toml")
        assert key in str(exc.value)


# --- the day_tier term -----------------------------------------------------------------------


def test_day_tier_is_off_by_default_and_counts_low_days_when_on():
    from iopsched.cpsat.model import build

    program = make_program()
    assert load_config(None).weights["day_tier"] == 0
    assert build(program).terms["day_tier"] == []  # no variables: default schedules unchanged
    on = replace(program, rules=replace(program.rules, weights=program.rules.weights | {"day_tier": 20}))
    wm = build(on)
    n_days = sum(1 for p in program.participants for day in program.rules.days
                 if (p.participant_id, day) in wm.attend)
    assert len(wm.terms["day_tier"]) == n_days


# --- the HTML in a browser ----------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"


@pytest.mark.skipif(not os.path.exists(CHROMIUM),
                    reason="/usr/bin/chromium is not installed: the screenshot of the HTML report needs it")
def test_the_html_report_shows_the_charts_in_a_browser(tmp_path):
    prog, sched, config = hand_made(tmp_path)
    result = runner.invoke(app, ["report", str(sched), "--program", str(prog), "--config", str(config),
                                 "--html", str(tmp_path / "html"), "--week-of", WEEK])
    assert result.exit_code == 0, result.output
    page = tmp_path / "html" / "report.html"
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False).stdout
    assert dom.count("<svg") == 3  # the browser parsed the three charts
    assert len(re.findall(r'<rect class="bar', dom)) == 4
    assert len(re.findall(r'<rect class="cell"', dom)) >= 2 * 5 * 13
    png = tmp_path / "page.png"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "render_page.py"), str(page), str(png)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000  # a page with charts, not a blank one


def test_an_empty_week_reports_everyone_short(tmp_path):
    prog, _sched, config = hand_made(tmp_path)
    empty = write_schedule_xlsx(Schedule(), tmp_path / "empty.xlsx")
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(empty), "--program", str(prog), "--config", str(config),
                                 "-o", str(out / "r.xlsx"), "--html", str(out), "--csv", str(out), "--week-of", WEEK])
    assert result.exit_code == 0, result.output
    assert "0/3 participants meet their rule set; 3 below the weekly minimum hours" in result.output
    assert read_csv(out / "days.csv") == []
