"""The heuristic: a greedy week and a local search on it, given to CP-SAT as a complete hint.

- `state`: the week in progress and its public operations (every move goes through them);
- `scoring`: shortfalls and objective terms, counted as the model counts them;
- `blocks`, `construction`: the greedy week (group blocks, then services, then clean-up);
- `local_search`: ruin and recreate, deterministic (iterations, never seconds);
- `hint`: the week as CP-SAT's hint.
"""

from iopsched.heuristic.construction import STRATEGIES, Greedy, construct
from iopsched.heuristic.hint import decisions, greedy_hint, hint_week
from iopsched.heuristic.local_search import (
    MAX_ITERATIONS,
    POLISH_SECONDS,
    RuinRecreate,
    default_patience,
    iteration_seconds,
    ruin_recreate_budget,
)

__all__ = ["MAX_ITERATIONS", "POLISH_SECONDS", "STRATEGIES", "Greedy", "RuinRecreate", "construct", "decisions",
           "default_patience", "greedy_hint", "hint_week", "iteration_seconds", "ruin_recreate_budget"]
