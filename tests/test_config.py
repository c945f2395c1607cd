"""The TOML config: defaults, configs/default.toml, merging of levels, and errors naming the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from builders import make_program, write_program_xlsx
from typer.testing import CliRunner

from iopsched.cli import app
from iopsched.domain import DEFAULT_WEIGHTS, Level, Rules, SolverSettings
from iopsched.errors import ConfigError, IopschedError
from iopsched.workbook.config import (
    BUILTIN_LEVELS,
    LEVEL_KEYS,
    SOLVER_KEYS,
    TOP_KEYS,
    load_config,
    rules_from_dict,
)

DEFAULT_TOML = Path(__file__).resolve().parent.parent / "configs" / "default.toml"


def config_error(raw: dict) -> ConfigError:
    with pytest.raises(ConfigError) as exc:
        rules_from_dict(raw, "my.toml")
    return exc.value


def write_toml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


# --- defaults ---------------------------------------------------------------------------------


def _assert_same_rules(a: Rules, b: Rules) -> None:
    assert a == b  # the scalar fields
    assert a.levels == b.levels  # not part of Rules equality
    assert a.weights == b.weights
    assert a.solver == b.solver


def test_builtin_defaults():
    rules = load_config(None)
    assert rules.days == (0, 1, 2, 3, 4)
    assert (rules.open, rules.close, rules.slot_minutes) == (480, 1260, 30)
    assert (rules.travel_buffer_minutes, rules.max_gap_minutes, rules.day_services_min) == (
        30,
        30,
        None,
    )
    assert rules.levels == BUILTIN_LEVELS
    assert rules.levels["IOP"] == Level("IOP", 3, 5, 2, 4, 9, 19)
    assert rules.levels["IOP-adolescent"] == Level("IOP-adolescent", 3, 5, 2, 4, 6, 19)
    assert rules.levels["PHP"] == Level("PHP", 5, 7, 4, 6, 20, 30)
    assert rules.weights == DEFAULT_WEIGHTS
    assert rules.solver == SolverSettings(60, 0, 0)
    _assert_same_rules(rules, rules_from_dict({}))


def test_default_toml_equals_builtin_defaults():
    _assert_same_rules(load_config(DEFAULT_TOML), load_config(None))


def test_default_toml_spells_out_every_key():
    raw = tomllib.loads(DEFAULT_TOML.read_text(encoding="utf-8"))
    assert set(raw) == TOP_KEYS - {"day_services_min"}
    assert set(raw["levels"]) == set(BUILTIN_LEVELS)
    for name, table in raw["levels"].items():
        assert set(table) == set(LEVEL_KEYS), name
    assert raw["weights"] == DEFAULT_WEIGHTS
    assert set(raw["solver"]) == set(SOLVER_KEYS)
    text = DEFAULT_TOML.read_text(encoding="utf-8")
    assert "# day_services_min = 3" in text and "omit: no preference" in text


def test_empty_file_gives_defaults(tmp_path):
    _assert_same_rules(load_config(write_toml(tmp_path, "# nothing\n")), load_config(None))


# --- values -----------------------------------------------------------------------------------


def test_scalar_keys(tmp_path):
    rules = load_config(
        write_toml(
            tmp_path,
            """
program_name = "  Riverside IOP "
timezone = "America/Chicago"
days = ["tuesday", "Mon", "Sat", "Mon"]
open = "7:30 AM"
close = 21:30:00          # a TOML local time works too
slot_minutes = 15
travel_buffer_minutes = 0
max_gap_minutes = 60
day_services_min = 3
""",
        )
    )
    assert rules.program_name == "Riverside IOP" and rules.timezone == "America/Chicago"
    assert rules.days == (0, 1, 5)
    assert (rules.open, rules.close, rules.slot_minutes) == (450, 1290, 15)
    assert (rules.travel_buffer_minutes, rules.max_gap_minutes, rules.day_services_min) == (
        0,
        60,
        3,
    )


def test_keep_met_weeks_defaults_to_true_and_reads_false():
    assert Rules().keep_met_weeks is True
    assert rules_from_dict({}).keep_met_weeks is True
    assert rules_from_dict({"keep_met_weeks": False}).keep_met_weeks is False


def test_day_services_min_zero_is_no_preference():
    assert rules_from_dict({"day_services_min": 0}).day_services_min is None


def test_partial_level_merges_over_builtin():
    rules = rules_from_dict({"levels": {"PHP": {"week_hours_min": 25}, "IOP": {"days_min": 2}}})
    assert rules.levels["PHP"] == Level("PHP", 5, 7, 4, 6, 25, 30)
    assert rules.levels["IOP"] == Level("IOP", 2, 5, 2, 4, 9, 19)
    assert rules.levels["IOP-adolescent"] == BUILTIN_LEVELS["IOP-adolescent"]  # untouched


def test_new_level_starts_from_iop():
    rules = rules_from_dict({"levels": {"Evening IOP": {"days_max": 3, "day_hours_max": 3.5}}})
    assert rules.levels["Evening IOP"] == Level("Evening IOP", 3, 3, 2, 3.5, 9, 19)
    assert set(rules.levels) == set(BUILTIN_LEVELS) | {"Evening IOP"}


def test_empty_level_table_is_the_builtin():
    assert rules_from_dict({"levels": {"PHP": {}}}).levels["PHP"] == BUILTIN_LEVELS["PHP"]


def test_weights_and_solver_merge():
    rules = rules_from_dict(
        {"weights": {"routine": 50, "unmet": 0}, "solver": {"time_limit_seconds": 2.5, "seed": 7}}
    )
    assert rules.weights == DEFAULT_WEIGHTS | {"routine": 50, "unmet": 0}
    assert rules.solver == SolverSettings(2.5, 0, 7)


def test_defaults_are_not_shared_between_loads():
    a = rules_from_dict({"weights": {"routine": 1}})
    assert DEFAULT_WEIGHTS["routine"] == 10
    assert rules_from_dict({}).weights["routine"] == 10
    a.levels["IOP"] = None
    assert BUILTIN_LEVELS["IOP"] is not None


# --- errors name the key ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ({"colour": "blue"}, ["unknown key 'colour'", "expected one of"]),
        ({"Days": ["Mon"]}, ["unknown key 'Days'"]),
        ({"levels": {"IOP": {"day_min": 2}}}, ["unknown key 'levels.IOP.day_min'", "days_min"]),
        (
            {"weights": {"fun": 3}},
            ["unknown key 'weights.fun'", "expected one of unmet, stability"],
        ),
        ({"solver": {"threads": 2}}, ["unknown key 'solver.threads'", "time_limit_seconds"]),
    ],
)
def test_unknown_key(raw, parts):
    msg = str(config_error(raw))
    assert msg.startswith("my.toml: ")
    for part in parts:
        assert part in msg, msg


@pytest.mark.parametrize(
    ("raw", "key", "expected"),
    [
        ({"days": "Mon"}, "days", "a list of days"),
        ({"days": []}, "days", "a list of days"),
        ({"days": ["Mon", "Someday"]}, "days", "a list of days"),
        ({"days": [1, 2]}, "days", "a list of days"),
        ({"open": 8}, "open", 'a time such as "08:00"'),
        ({"close": "late"}, "close", 'a time such as "08:00"'),
        ({"close": True}, "close", "a time"),
        ({"slot_minutes": "30"}, "slot_minutes", "a whole number of minutes >= 5"),
        ({"slot_minutes": 30.0}, "slot_minutes", "a whole number"),
        ({"slot_minutes": True}, "slot_minutes", "a whole number"),
        ({"travel_buffer_minutes": -5}, "travel_buffer_minutes", "a whole number of minutes >= 0"),
        ({"max_gap_minutes": [30]}, "max_gap_minutes", "a whole number"),
        ({"day_services_min": 2.5}, "day_services_min", "a whole number >= 0"),
        ({"keep_met_weeks": "yes"}, "keep_met_weeks", "true or false"),
        ({"keep_met_weeks": 1}, "keep_met_weeks", "true or false"),
        ({"program_name": 3}, "program_name", "text"),
        ({"program_name": "  "}, "program_name", "text"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "an IANA time zone"),
        ({"levels": 3}, "levels", "tables [levels.NAME]"),
        ({"levels": {"IOP": 3}}, "levels.IOP", "a table of days_min"),
        (
            {"levels": {"IOP": {"days_min": 2.5}}},
            "levels.IOP.days_min",
            "a whole number of days 0..7",
        ),
        (
            {"levels": {"IOP": {"days_max": 8}}},
            "levels.IOP.days_max",
            "a whole number of days 0..7",
        ),
        (
            {"levels": {"IOP": {"day_hours_min": "2"}}},
            "levels.IOP.day_hours_min",
            "a number of hours",
        ),
        (
            {"levels": {"PHP": {"week_hours_max": -1}}},
            "levels.PHP.week_hours_max",
            "a number of hours",
        ),
        (
            {"levels": {"PHP": {"week_hours_max": 200}}},
            "levels.PHP.week_hours_max",
            "a number of hours",
        ),
        (
            {"levels": {"PHP": {"week_hours_max": float("nan")}}},
            "levels.PHP.week_hours_max",
            "a number of hours 0..168",
        ),
        ({"weights": {"routine": 2.5}}, "weights.routine", "a whole number >= 0"),
        ({"weights": {"routine": -1}}, "weights.routine", "a whole number >= 0"),
        ({"weights": []}, "weights", "a table term = weight"),
        ({"solver": {"workers": 1.5}}, "solver.workers", "a number >= 0"),
        ({"solver": {"seed": "0"}}, "solver.seed", "a number >= 0"),
        ({"solver": {"time_limit_seconds": -1}}, "solver.time_limit_seconds", "a number >= 0"),
        ({"solver": {"time_limit_seconds": False}}, "solver.time_limit_seconds", "a number >= 0"),
        ({"solver": 60}, "solver", "a table"),
    ],
)
def test_wrong_type_names_the_key(raw, key, expected):
    err = config_error(raw)
    msg = str(err)
    assert f"key '{key}' has a value of the wrong type" in msg, msg
    assert f"expected {expected}" in msg, msg
    assert len(err.problems) == 1, msg


@pytest.mark.parametrize(
    ("level", "lo", "hi"),
    [
        ({"days_min": 6}, "days_min", "days_max"),
        ({"day_hours_min": 5}, "day_hours_min", "day_hours_max"),
        ({"week_hours_min": 20}, "week_hours_min", "week_hours_max"),
    ],
)
def test_min_above_max_in_a_level(level, lo, hi):
    msg = str(config_error({"levels": {"IOP": level}}))
    assert f"'levels.IOP.{lo}'" in msg and f"is above 'levels.IOP.{hi}'" in msg, msg


def test_open_after_close_and_grid():
    assert "'open' (21:00) must be before 'close' (08:00)" in str(
        config_error({"open": "21:00", "close": "08:00"})
    )
    assert "'slot_minutes' must divide a day evenly" in str(config_error({"slot_minutes": 7}))
    assert "must lie on the time grid" in str(config_error({"open": "08:15"}))


def test_every_problem_reported_at_once():
    err = config_error(
        {"colour": 1, "open": "nine", "levels": {"IOP": {"days_min": "x"}}, "solver": {"seed": -1}}
    )
    keys = "\n".join(str(p) for p in err.problems)
    assert len(err.problems) == 4, keys
    for key in ("'colour'", "'open'", "'levels.IOP.days_min'", "'solver.seed'"):
        assert key in keys


@pytest.mark.parametrize(
    ("body", "part"),
    [
        ('open = "8:00\n', "not valid TOML"),
        ("days = [Mon, Tue]\n", "not valid TOML"),
        ("[levels.IOP]\ndays_min = 3\n[levels.IOP]\ndays_max = 4\n", "not valid TOML"),
        ('open = "25:00"\n', "key 'open' has a value of the wrong type"),
        ('close = "9"\n', "key 'close'"),
        ("[levels.PHP]\ndays_min = 8\n", "key 'levels.PHP.days_min'"),
    ],
)
def test_bad_files(tmp_path, body, part):
    path = write_toml(tmp_path, body)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert part in str(exc.value)
    assert str(path) in str(exc.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b'program_name = "Cl\xednica"\n')
    with pytest.raises(IopschedError, match="cannot read config file"):
        load_config(tmp_path / "latin1.toml")
    with pytest.raises(IopschedError, match="cannot read config file"):
        load_config(tmp_path)  # a folder


# --- the CLI ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(tmp_path_factory) -> Path:
    return write_program_xlsx(make_program(), tmp_path_factory.mktemp("cfg") / "program.xlsx")


@pytest.mark.parametrize(
    ("body", "part"),
    [
        ('colour = "blue"\n', "unknown key 'colour'"),
        ('slot_minutes = "30"\n', "key 'slot_minutes' has a value of the wrong type"),
        (
            "[levels.IOP]\ndays_min = 6\n",
            "'levels.IOP.days_min' (6) is above 'levels.IOP.days_max' (5)",
        ),
        ("open = 08:00\nthis is not toml\n", "not valid TOML"),
    ],
)
def test_check_with_bad_config_exits_2(tmp_path, workbook, body, part):
    path = write_toml(tmp_path, body)
    result = CliRunner().invoke(app, ["check", str(workbook), "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert part in result.output
    assert str(path) in result.output
    assert "Traceback" not in result.output


def test_check_with_default_config(workbook):
    result = CliRunner().invoke(app, ["check", str(workbook), "-c", str(DEFAULT_TOML)])
    assert result.exit_code == 0, result.output
    assert "open Mon, Tue, Wed, Thu, Fri 08:00-21:00, 30-minute slots" in result.output


def test_config_level_used_by_the_reader(tmp_path, workbook):
    import openpyxl

    wb = openpyxl.load_workbook(workbook)
    ws = wb["Participants"]
    col = [c.value for c in ws[1]].index("level") + 1
    ws.cell(2, col, "Evening")
    path = tmp_path / "evening.xlsx"
    wb.save(path)
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2 and "unknown level of care (found 'Evening')" in result.output
    cfg = write_toml(tmp_path, "[levels.Evening]\ndays_max = 3\n")
    result = CliRunner().invoke(app, ["check", str(path), "--config", str(cfg)])
    assert result.exit_code == 0, result.output
