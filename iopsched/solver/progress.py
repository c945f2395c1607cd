"""What the progress display is told while the stages search."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Progress:
    elapsed: float
    objective: float
    bound: float
    gap: float
    solutions: int
    fully_met: int
    participants: int
    phase: str = "search"  # "requirements" (stage 1), "local search", then "search" (stage 2)
    fully_met_bound: int | None = None  # no schedule fully meets more (stage 1's bound)
    admitted: int = 0  # phase "admissions": referrals admitted so far, of `referrals`
    referrals: int = 0


def gap_of(objective: float | None, bound: float) -> float:
    if objective is None:
        return float("nan")
    return abs(objective - bound) / max(1.0, abs(objective))
