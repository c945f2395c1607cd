"""A second stage-1 week, planned from the greedy week in neighbourhoods, for stage 2 to
start from (docs/model.md, 10).

Stage 1's fastest route to everyone met on a medium program is CP-SAT's local search on the
whole model: it reaches the requirements in 2-5 s, but its week keeps nothing of the greedy
week's routine and preferences (mix, medium: 1,320 against 790 from the neighbourhoods; the
routine term 87 against 48), and stage 2 spends its time undoing that. The neighbourhoods
re-plan only the participants the greedy left short and those sharing their times (16 at
once at first, fewer than stage 1's 40), so that everyone else keeps the greedy's week.
Stage 2 runs them from the greedy week when it has the time, and starts from whichever of
the two weeks has the lower preference objective, as long as the second keeps stage 1's
result (the same participants fully met, no more units). Stage 1 runs them too, before it
re-plans the still-short for fewer units (`plan_from_greedy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iopsched.cpsat.budget import Budget, SearchSettings
from iopsched.cpsat.model import WeekModel
from iopsched.cpsat.values import Decisions
from iopsched.heuristic import Greedy, RuinRecreate, iteration_seconds
from iopsched.schedule import Schedule
from iopsched.solver.best_week import BestWeek
from iopsched.solver.neighbourhoods import fewer_units, grid_closed, neighbourhoods
from iopsched.solver.timed_search import run_for

if TYPE_CHECKING:
    from iopsched.solver.stage_requirements import Requirements

# stage 2 plans the second week only with at least this many seconds left (it took 4-10 s on
# the medium programs at 60 s), and gives it at most this share of them
MIN_SECONDS = 20.0
SHARE = 0.25
# of that share, what meeting everyone may take before the units are re-planned
MEET_SHARE = 0.7
# ... and of it, what ruin and recreate may take first, and its patience (moves without fewer units)
MEND_SHARE = 0.4
MEND_PATIENCE = 200
# ... then CP-SAT's neighbourhoods of this many participants for this share of what is left
# (more of the greedy week kept: prescriber, medium, 60 s, second week 1,088 with stage 1's
# 40 at once, 834 with 16; 16 alone met no one in time on adolescent medium), then stage 1's
NEIGHBOURHOOD_SIZE = 16
SMALL_SHARE = 0.5


def greedy_based_week(req: Requirements, budget: Budget, settings: SearchSettings, extract) -> Schedule | None:
    """Stage 2's second week: from the greedy week, keeping stage 1's result (everyone it fully
    met, at most its shortfall units); None when not tried or not reached in time."""
    wm = req.wm
    if req.greedy_week is None or wm is None or budget.left() < MIN_SECONDS or settings.interrupted.is_set():
        return None
    state = plan_from_greedy(wm, req.greedy_week, req.bound.hopeless, len(req.met), req.lower_bound_units, budget,
                             settings, budget.left() * SHARE, extract)
    if not req.met <= state.met or state.units > req.units:
        return None
    return Schedule(sessions=extract(wm, state.values))


def plan_from_greedy(wm: WeekModel, week: Decisions, hopeless: frozenset[str],
                     target: int, floor: int, budget: Budget, settings: SearchSettings, seconds: float,
                     extract) -> BestWeek:
    """From the greedy week `week` (its values on the stage-1 model): ruin and
    recreate, then CP-SAT's neighbourhoods until `target` participants are fully met, then the
    participants still short re-planned for fewer units (down to `floor`), in `seconds`."""
    start = budget.clock()
    everyone = frozenset(wm.met)
    # ruin and recreate first: its moves keep the greedy's routine
    g = Greedy(wm)
    g.place_pinned()
    g.load(extract(wm, week))
    rr = RuinRecreate(g, settings.seed)
    rr.hopeless = hopeless
    run_for(rr, rr.run, seconds * MEND_SHARE, budget, iteration_seconds(len(everyone)), settings.interrupted.is_set,
            patience=MEND_PATIENCE)
    state = BestWeek(wm, g, everyone, budget.elapsed())

    def quiet(_met: int) -> None:
        pass

    # small neighbourhoods first (more of the greedy week kept), then stage 1's sizes
    for size, share in ((NEIGHBOURHOOD_SIZE, SMALL_SHARE), (None, 1.0)):
        if len(state.met) >= target or settings.interrupted.is_set():
            break
        left = (seconds * MEET_SHARE - (budget.clock() - start)) * share
        neighbourhoods(wm, state, hopeless, budget, settings, left, quiet, target, grid_closed(wm, state.values),
                       size=size)
    if len(state.met) >= target and state.units > floor:
        left = seconds - (budget.clock() - start)
        fewer_units(wm, state, budget, settings, left, quiet, floor)
    return state
