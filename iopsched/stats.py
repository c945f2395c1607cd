"""The solve's statistics, typed: what stage 1 (the requirements) and stage 2 (the
preferences) reached, the objective's terms and bounds, and how the run went. The Summary
sheet is written from them (`SolveStats.summary()`: its rows, in order, with the names of
WORKBOOK.md's Summary and README's table)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """A stage's (or the whole solve's) status: OPTIMAL = proven, FEASIBLE = a week, not proven."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    UNKNOWN = "UNKNOWN"


class StoppedBy(StrEnum):
    """Why the search ended."""

    PROOF = "proof"
    INTERRUPT = "interrupt"
    WALL_CLOCK = "wall_clock_limit"
    TIME_LIMIT = "time_limit"


def _blank(x: object) -> object:
    """None is an empty cell."""
    return "" if x is None else x


def _fully_met(r: RequirementsStats) -> str:
    """'x/y (at most z possible)'; week to week, when keeping last week's fully met weeks lowers
    the bound, both bounds: a coordinator sees what keeping those weeks costs."""
    text = f"{r.fully_met}/{r.participants} (at most {r.upper_bound_fully_met} possible"
    if r.without_kept_fully_met is not None:
        text += (f" keeping every week last week fully met; at most {r.without_kept_fully_met} "
                 "with keep_met_weeks = false")
    return text + ")"


def _seconds(x: float | None) -> object:
    return "" if x is None else round(x, 3)


@dataclass(frozen=True)
class RequirementsStats:
    """Stage 1: the most participants fully met, then the fewest shortfall units."""

    status: Status
    participants: int
    fully_met: int
    upper_bound_fully_met: int
    units: int
    units_lower_bound: int
    units_status: Status
    method: str
    seconds: float
    found_seconds: float | None
    bound_models: int
    bound_seconds: float
    cp_sat_status: str
    capacity_fully_met: int | None = None  # the rooms' and leaders' bound, when it was computed
    capacity_binding: str = ""
    # week to week with keep_met_weeks: upper_bound_fully_met holds for weeks that keep last
    # week's fully met weeks; this is the program's bound without them, when higher
    without_kept_fully_met: int | None = None


@dataclass(frozen=True)
class PreferencesStats:
    """Stage 2: the weighted objective given stage 1's result (None: stage 2 did not run)."""

    status: Status
    objective: float | None
    bound: float
    cp_sat_bound: float
    counting_bound: float
    seconds: float
    solutions: int
    polish_iterations: int
    skipped: bool
    terms: dict[str, int]  # each weighted term's value (objective.<term>)


@dataclass(frozen=True)
class TermBoundStats:
    """`--prove` (issue 16): a lower bound of each objective term given stage 1's result, from a
    smaller model per part (`solver/term_bounds.py`)."""

    terms: dict[str, int]  # term -> the least its unweighted value can be (bound.<term>)
    total: int  # the least the weighted objective can be
    proven_terms: tuple[str, ...]  # terms whose bound models all ended in optimality
    seconds: float


@dataclass(frozen=True)
class RunStats:
    """How the run went: times, the model's size, the settings and versions."""

    total_seconds: float
    build_seconds: float
    greedy_seconds: float
    greedy_unmet_units: int
    all_met_seconds: float | None
    sessions: int
    stopped_by: StoppedBy
    variables: int
    constraints: int
    time_limit_seconds: float
    deterministic: bool
    workers: int
    seed: int
    input_sha256: str
    iopsched_version: str
    ortools_version: str


@dataclass(frozen=True)
class SolveStats:
    status: Status  # OPTIMAL when both stages are proven
    requirements: RequirementsStats
    preferences: PreferencesStats
    run: RunStats
    weights: dict[str, int]
    week_to_week: dict[str, object] = field(default_factory=dict)  # with --previous: what changed
    bounds: TermBoundStats | None = None  # with --prove: a bound per term

    @staticmethod
    def gap(objective: float | None, bound: float) -> object:
        if objective is None:
            return ""
        return round(abs(objective - bound) / max(1.0, abs(objective)), 6)

    def summary(self) -> dict[str, object]:
        """The Summary sheet's rows (key -> value), in order: the headline, stage 1, stage 2, how
        the run went, each term's value and weight, each term's bound (with --prove), the settings
        and versions, then what changed since last week (with --previous)."""
        gap = self.gap(self.preferences.objective, self.preferences.bound)
        return {**self._headline(gap), **self._requirements_rows(), **self._preferences_rows(gap),
                **self._run_rows(), **self._term_rows(), **self._bound_rows(), **self._settings_rows(),
                **self.week_to_week}

    def _headline(self, gap: object) -> dict[str, object]:
        p = self.preferences
        return {
            "status": self.status.value,
            "objective": _blank(p.objective),
            "best_bound": p.bound,
            "gap": gap,
        }

    def _requirements_rows(self) -> dict[str, object]:
        """Stage 1: the requirements."""
        r = self.requirements
        return {
            "requirements_status": r.status.value,
            "participants": r.participants,
            "participants_fully_met": r.fully_met,
            "upper_bound_fully_met": r.upper_bound_fully_met,
            "fully_met": _fully_met(r),
            "upper_bound_fully_met_without_kept": _blank(r.without_kept_fully_met),
            "unmet_units": r.units,
            "unmet_units_lower_bound": r.units_lower_bound,
            "unmet_units_status": r.units_status.value,
            "requirements_method": r.method,
            "requirements_seconds": round(r.seconds, 3),
            "requirements_found_seconds": _seconds(r.found_seconds),
            "requirements_bound_models": r.bound_models,
            "capacity_bound_fully_met": _blank(r.capacity_fully_met),
            "capacity_bound_binding": r.capacity_binding,
            "requirements_bound_seconds": round(r.bound_seconds, 3),
            "requirements_cp_sat_status": r.cp_sat_status,
        }

    def _preferences_rows(self, gap: object) -> dict[str, object]:
        """Stage 2: the preferences, given stage 1's result."""
        p = self.preferences
        return {
            "preferences_status": p.status.value,
            "preferences_objective": _blank(p.objective),
            "preferences_bound": p.bound,
            "preferences_gap": gap,
            "cp_sat_bound": p.cp_sat_bound,
            "counting_bound": p.counting_bound,
            "solve_seconds": round(p.seconds, 3),
        }

    def _run_rows(self) -> dict[str, object]:
        """How the run went: its times, the week's sessions, why it stopped, the solutions."""
        run, p = self.run, self.preferences
        return {
            "total_seconds": round(run.total_seconds, 3),
            "build_seconds": round(run.build_seconds, 3),
            "greedy_seconds": round(run.greedy_seconds, 3),
            "greedy_unmet_units": run.greedy_unmet_units,
            "first_solution_seconds": _seconds(self.requirements.found_seconds),
            "all_met_seconds": _seconds(run.all_met_seconds),
            "sessions": run.sessions,
            "stopped_by": run.stopped_by.value,
            "solutions_found": p.solutions,
            "polish_iterations": p.polish_iterations,
            "preferences_skipped": p.skipped,
        }

    def _term_rows(self) -> dict[str, object]:
        """Each weighted term's value and weight (objective.<term>, weight.<term>)."""
        s: dict[str, object] = {}
        for term, weight in self.weights.items():
            s[f"objective.{term}"] = self.preferences.terms.get(term, 0)
            s[f"weight.{term}"] = weight
        return s

    def _bound_rows(self) -> dict[str, object]:
        """With --prove: each term's bound (bound.<term>), their weighted total, the time and
        the terms whose bound models all ended in optimality (none without --prove)."""
        if self.bounds is None:
            return {}
        b = self.bounds
        s: dict[str, object] = {f"bound.{term}": b.terms.get(term, 0) for term in self.weights}
        s.update({"bound.total": b.total, "bound.seconds": round(b.seconds, 3),
                  "bound.proven_terms": ", ".join(b.proven_terms)})
        return s

    def _settings_rows(self) -> dict[str, object]:
        """The model's size, the settings and the versions."""
        run = self.run
        return {
            "variables": run.variables,
            "constraints": run.constraints,
            "time_limit_seconds": run.time_limit_seconds,
            "deterministic": run.deterministic,
            "workers": run.workers,
            "seed": run.seed,
            "input_sha256": run.input_sha256,
            "iopsched_version": run.iopsched_version,
            "ortools_version": run.ortools_version,
        }
