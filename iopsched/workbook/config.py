"""The TOML config: program rules, levels of care, objective weights, solver settings.

Every key is optional; an unknown key or a value of the wrong type is an error naming
the key. `configs/default.toml` spells out the same defaults as `BUILTIN_LEVELS` and
`Rules()` (a test keeps them equal).
"""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from iopsched.domain import (
    BUILTIN_COMPLIANCE_LEVELS,
    BUILTIN_RULE_SETS,
    DEFAULT_WEIGHTS,
    Compliance,
    Level,
    Rules,
    RuleSet,
    SolverSettings,
)
from iopsched.errors import ConfigError, Problem
from iopsched.workbook.parse import CellError, parse_day, parse_time

BUILTIN_LEVELS: dict[str, Level] = {
    "IOP": Level("IOP", 3, 5, 2, 4, 9, 19),
    "IOP-adolescent": Level("IOP-adolescent", 3, 5, 2, 4, 6, 19),
    "PHP": Level("PHP", 5, 7, 4, 6, 20, 30),
}
LEVEL_KEYS = ("days_min", "days_max", "day_hours_min", "day_hours_max", "week_hours_min", "week_hours_max")
TOP_KEYS = {
    "days", "open", "close", "slot_minutes", "travel_buffer_minutes", "max_gap_minutes",
    "day_services_min", "keep_met_weeks", "levels", "weights", "solver", "program_name", "timezone", "compliance",
}
COMPLIANCE_KEYS = {"rule_sets", "levels"}
# [compliance.rule_sets.X] key -> (whole number?, expected)
RULE_SET_KEYS: dict[str, tuple[bool, str]] = {
    "week_hours_min": (False, "a number of hours 0..168"),
    "week_hours_max": (False, "a number of hours 0..168"),
    "day_services_min": (True, "a whole number of services >= 0"),
    "day_services_high_tier": (True, "a whole number of services >= 0"),
    "recertify_days": (True, "a whole number of days >= 1"),
    "source": (False, "text"),
}
SOLVER_KEYS = {"time_limit_seconds": (int, float), "workers": (int,), "seed": (int,), "deterministic": (bool,)}


def _num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def load_config(path: Path | None) -> Rules:
    """Rules from a TOML file; None gives the built-in defaults."""
    if path is None:
        return Rules(levels=dict(BUILTIN_LEVELS))
    name = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {name}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {name}: {exc.__class__.__name__}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{name}: not valid TOML: {exc}") from None
    return rules_from_dict(raw, name)


def _compliance(raw: object, name: str, problems: list[Problem], bad) -> Compliance:
    """[compliance]: rule sets (a built-in name keeps the keys a table leaves out; a new one
    starts empty) and the levels of care mapped to them ("" = no check)."""
    rule_sets = dict(BUILTIN_RULE_SETS)
    levels = dict(BUILTIN_COMPLIANCE_LEVELS)
    if not isinstance(raw, dict):
        bad("compliance", raw, "tables [compliance.rule_sets.NAME] and [compliance.levels]")
        return Compliance(rule_sets, levels)
    for k in raw:
        if k not in COMPLIANCE_KEYS:
            problems.append(Problem(f"unknown key 'compliance.{k}'", file=name,
                                    expected="one of " + ", ".join(sorted(COMPLIANCE_KEYS))))
    tables = raw.get("rule_sets", {})
    if not isinstance(tables, dict):
        bad("compliance.rule_sets", tables, "tables [compliance.rule_sets.NAME]")
        tables = {}
    for rname, table in tables.items():
        key = f"compliance.rule_sets.{rname}"
        if not isinstance(table, dict):
            bad(key, table, "a table of " + ", ".join(RULE_SET_KEYS))
            continue
        values = {k: getattr(rule_sets[rname], k) for k in RULE_SET_KEYS} if rname in rule_sets else {}
        for k, v in table.items():
            whole, expected = RULE_SET_KEYS.get(k, (False, ""))
            if k not in RULE_SET_KEYS:
                problems.append(Problem(f"unknown key '{key}.{k}'", file=name,
                                        expected="one of " + ", ".join(RULE_SET_KEYS)))
            elif k == "source":
                if isinstance(v, str):
                    values[k] = v.strip()
                else:
                    bad(f"{key}.{k}", v, expected)
            elif ((whole and not (isinstance(v, int) and not isinstance(v, bool) and v >= (k == "recertify_days")))
                  or (not whole and not (_num(v) and 0 <= v <= 24 * 7))):
                bad(f"{key}.{k}", v, expected)
            else:
                values[k] = v or None if whole else v
        rs = RuleSet(rname, **values)
        for lo, hi in (("week_hours_min", "week_hours_max"), ("day_services_min", "day_services_high_tier")):
            a, b = getattr(rs, lo), getattr(rs, hi)
            if a is not None and b is not None and a > b:
                problems.append(Problem(f"'{key}.{lo}' ({a}) is above '{key}.{hi}' ({b})", file=name))
        rule_sets[rname] = rs
    mapping = raw.get("levels", {})
    if not isinstance(mapping, dict):
        bad("compliance.levels", mapping, "a table level = \"rule set\"")
        mapping = {}
    for level, rname in mapping.items():
        if not isinstance(rname, str):
            bad(f"compliance.levels.{level}", rname, 'the name of a rule set, or "" for no check')
        elif rname and rname not in rule_sets:
            problems.append(Problem(f"'compliance.levels.{level}' names an unknown rule set", file=name,
                                    value=rname, expected="one of " + ", ".join(rule_sets)))
        else:
            levels[level] = rname
    return Compliance(rule_sets, levels)


def rules_from_dict(raw: dict, name: str = "config") -> Rules:
    """The program's rules from a config table (TOML); every problem is reported at once
    (ConfigError), each naming the file, the key, the value and what was expected."""
    reader = _ConfigReader(raw, name)
    reader.top_keys()
    reader.scalars()
    reader.levels()
    reader.weights()
    reader.solver()
    if "compliance" in raw:
        reader.changes["compliance"] = _compliance(raw["compliance"], name, reader.problems, reader.bad)
    rules = replace(Rules(levels=dict(BUILTIN_LEVELS)), **reader.changes)
    reader.grid(rules)
    if reader.problems:
        raise ConfigError(reader.problems)
    return rules


class _ConfigReader:
    """One config table read section by section into `changes` (Rules fields), with its
    `problems` in the order they are found."""

    def __init__(self, raw: dict, name: str):
        self.raw, self.name = raw, name
        self.problems: list[Problem] = []
        self.changes: dict = {}

    def bad(self, key: str, value: object, expected: str) -> None:
        self.problems.append(Problem(f"key '{key}' has a value of the wrong type", file=self.name, value=value,
                                     expected=expected))

    def unknown(self, key: str, known) -> None:
        self.problems.append(Problem(f"unknown key '{key}'", file=self.name, expected="one of " + ", ".join(known)))

    def top_keys(self) -> None:
        for key in self.raw:
            if key not in TOP_KEYS:
                self.unknown(key, sorted(TOP_KEYS))

    def scalars(self) -> None:
        """days, open, close, the minute settings, day_services_min, keep_met_weeks, program_name,
        timezone."""
        raw, changes, bad = self.raw, self.changes, self.bad
        if "days" in raw:
            v = raw["days"]
            try:
                if not isinstance(v, list) or not v or not all(isinstance(d, str) for d in v):
                    raise CellError("")
                changes["days"] = tuple(sorted({parse_day(d) for d in v}))
            except CellError:
                bad("days", v, 'a list of days such as ["Mon", "Tue"]')
        for key in ("open", "close"):
            if key in raw:
                try:
                    changes[key] = parse_time(raw[key])
                except CellError:
                    bad(key, raw[key], 'a time such as "08:00"')
        for key, lo in (("slot_minutes", 5), ("travel_buffer_minutes", 0), ("max_gap_minutes", 0)):
            if key in raw:
                v = raw[key]
                if isinstance(v, int) and not isinstance(v, bool) and v >= lo:
                    changes[key] = v
                else:
                    bad(key, v, f"a whole number of minutes >= {lo}")
        if "day_services_min" in raw:
            v = raw["day_services_min"]
            if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
                changes["day_services_min"] = v or None
            else:
                bad("day_services_min", v, "a whole number >= 0")
        if "keep_met_weeks" in raw:
            v = raw["keep_met_weeks"]
            if isinstance(v, bool):
                changes["keep_met_weeks"] = v
            else:
                bad("keep_met_weeks", v, "true or false")
        for key in ("program_name", "timezone"):
            if key in raw:
                if isinstance(raw[key], str) and raw[key].strip():
                    changes[key] = raw[key].strip()
                else:
                    bad(key, raw[key], "text")
        if "timezone" in changes:
            try:
                from zoneinfo import ZoneInfo

                ZoneInfo(changes["timezone"])
            except Exception:
                bad("timezone", changes["timezone"], "an IANA time zone such as America/New_York")

    def levels(self) -> None:
        """[levels.NAME] tables over the built-in levels (IOP's values for a new one)."""
        levels = dict(BUILTIN_LEVELS)
        raw = self.raw.get("levels")
        if raw is not None and not isinstance(raw, dict):
            self.bad("levels", raw, "tables [levels.NAME]")
        elif raw is not None:
            for lname, table in raw.items():
                key = f"levels.{lname}"
                if not isinstance(table, dict):
                    self.bad(key, table, "a table of " + ", ".join(LEVEL_KEYS))
                    continue
                levels[lname] = self._level(lname, key, table, levels.get(lname, BUILTIN_LEVELS["IOP"]))
        self.changes["levels"] = levels

    def _level(self, lname: str, key: str, table: dict, base: Level) -> Level:
        values = {k: getattr(base, k) for k in LEVEL_KEYS}
        for k, v in table.items():
            if k not in LEVEL_KEYS:
                self.unknown(f"{key}.{k}", LEVEL_KEYS)
            elif k.startswith("days") and not (isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 7):
                self.bad(f"{key}.{k}", v, "a whole number of days 0..7")
            elif not k.startswith("days") and not (_num(v) and 0 <= v <= 24 * 7):
                self.bad(f"{key}.{k}", v, "a number of hours 0..168")
            else:
                values[k] = v
        level = Level(lname, **values)
        for low, high in (("days_min", "days_max"), ("day_hours_min", "day_hours_max"),
                          ("week_hours_min", "week_hours_max")):
            if getattr(level, low) > getattr(level, high):
                self.problems.append(Problem(f"'{key}.{low}' ({getattr(level, low)}) is above "
                                             f"'{key}.{high}' ({getattr(level, high)})", file=self.name))
        return level

    def weights(self) -> None:
        weights = dict(DEFAULT_WEIGHTS)
        raw = self.raw.get("weights")
        if raw is not None and not isinstance(raw, dict):
            self.bad("weights", raw, "a table term = weight")
        elif raw is not None:
            for k, v in raw.items():
                if k not in DEFAULT_WEIGHTS:
                    self.unknown(f"weights.{k}", DEFAULT_WEIGHTS)
                elif not (isinstance(v, int) and not isinstance(v, bool) and v >= 0):
                    self.bad(f"weights.{k}", v, "a whole number >= 0")
                else:
                    weights[k] = v
        self.changes["weights"] = weights

    def solver(self) -> None:
        solver = SolverSettings()
        raw = self.raw.get("solver")
        if raw is not None and not isinstance(raw, dict):
            self.bad("solver", raw, "a table")
        elif raw is not None:
            for k, v in raw.items():
                if k not in SOLVER_KEYS:
                    self.unknown(f"solver.{k}", SOLVER_KEYS)
                elif k == "deterministic":
                    if isinstance(v, bool):
                        solver = replace(solver, deterministic=v)
                    else:
                        self.bad(f"solver.{k}", v, "true or false")
                elif not (isinstance(v, SOLVER_KEYS[k]) and not isinstance(v, bool) and v >= 0):
                    self.bad(f"solver.{k}", v, "a number >= 0")
                else:
                    solver = replace(solver, **cast(dict[str, Any], {k: v}))  # k: a SOLVER_KEYS field
        self.changes["solver"] = solver

    def grid(self, rules: Rules) -> None:
        """open before close, on the time grid of slot_minutes, which divides a day."""
        if rules.open >= rules.close:
            self.problems.append(Problem(f"'open' ({self.raw.get('open')}) must be before 'close' "
                                         f"({self.raw.get('close')})", file=self.name))
        if rules.slot_minutes <= 0 or (24 * 60) % rules.slot_minutes:
            self.problems.append(Problem("'slot_minutes' must divide a day evenly", file=self.name,
                                         value=rules.slot_minutes, expected="for example 15, 30 or 60"))
        elif rules.open % rules.slot_minutes or rules.close % rules.slot_minutes:
            self.problems.append(Problem("'open' and 'close' must lie on the time grid of 'slot_minutes'",
                                         file=self.name))
