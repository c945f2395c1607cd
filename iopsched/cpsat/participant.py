"""One participant's part of the week's model (`model.build` adds each participant through
`add_participant`): the hard rules on their days and week (HARD_RULES of scope "day" and
"participant": rules 1, 6 and 7), their requirements, kept soft with a dominant penalty (a
shortfall variable each, `UNMET_UNITS`), and their preference terms (time of day, days,
primary-therapist continuity, services per day, the higher payment tier, routine)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from iopsched.cpsat.options import Option, slots_needed
from iopsched.cpsat.rules import ParticipantDay, ParticipantWeek, minutes_sum, option_days, rules_of
from iopsched.domain import PREFERRED_WINDOWS, Participant, weekly_min_for

if TYPE_CHECKING:
    from iopsched.cpsat.model import WeekModel

lsum = cp_model.LinearExpr.sum  # faster than sum() over many variables
wsum = cp_model.LinearExpr.weighted_sum

# relative size of one unit of each kind of unmet requirement inside the `unmet` term
UNMET_UNITS = {"days": 4, "day_hours": 1, "week_hours": 1, "session": 4}  # hour terms count slots


def unit_kind(requirement: str) -> str:
    return requirement if requirement in ("days", "day_hours", "week_hours") else "session"


def _soft_minimum(wm: WeekModel, name: str, need: int, have, shortfalls: list,
                  requirement: str, day: int | None) -> None:
    """A requirement `have >= need` kept soft: short = max(0, need - have) is penalised."""
    m = wm.model
    short = m.new_int_var(0, need, name)
    m.add_max_equality(short, [0, need - have])
    m.add(short >= need - have)  # the same, linear, for the LP relaxation
    shortfalls.append((requirement, day, short))
    wm.terms.setdefault("unmet", []).append(UNMET_UNITS[unit_kind(requirement)] * short)


@dataclass
class _Week:
    """What one participant's days add up to, for the week's rules, requirements and routine."""

    shortfalls: list
    minutes: list = field(default_factory=list)  # (attendance, minutes) of counted sessions
    per_type: dict[int, list] = field(default_factory=lambda: defaultdict(list))  # type -> attendances
    slots: list = field(default_factory=list)  # (attendance, slots) of counted sessions
    used_start: dict[int, list] = field(default_factory=lambda: defaultdict(list))  # slot -> first-start vars
    attends: list = field(default_factory=list)  # each day's attended variable


def add_participant(wm: WeekModel, p: Participant, by_p_day, preferences: bool = True) -> None:
    """Rules 1, 6 and 7 for one participant (HARD_RULES of scope "day" and "participant"),
    their requirements (soft), and, with `preferences`, their preference terms (time of day,
    days, continuity, services per day, routine)."""
    pid = p.participant_id
    week = _Week(shortfalls=[])
    wm.shortfalls[pid] = week.shortfalls
    day_rules, week_rules = rules_of("day"), rules_of("participant")
    for day in option_days(wm):
        opts = by_p_day.get((pid, day), [])
        if opts:
            _participant_day(wm, p, day, opts, week, day_rules, preferences)
    # the hard rules on the week: 6 (days, week hours, weekly maxima)
    for rule in week_rules:
        rule(wm, ParticipantWeek(p, week.attends, week.minutes, week.per_type))
    _week_requirements(wm, p, week)
    if preferences and week.used_start and len(week.attends) > 1:
        _routine(wm, p, week)


def _participant_day(wm: WeekModel, p: Participant, day: int, opts: list[Option], week: _Week,
                     day_rules: list[Callable], preferences: bool) -> None:
    """One participant's day: the hard rules on it, its hours requirement, its preferences."""
    pid = p.participant_id
    S = wm.program.rules.slot_minutes
    cover: dict[int, list] = defaultdict(list)
    day_minutes = []
    per_type_day: dict[int, list] = defaultdict(list)
    all_sessions = []
    for o in opts:
        v = wm.a[pid, o.index]
        all_sessions.append(v)
        for k in range(o.length):
            cover[o.slot + k].append(v)
        if o.stype.counts_toward_hours:
            day_minutes.append((v, o.stype.minutes))
            week.slots.append((v, o.stype.minutes // S))
        per_type_day[o.type_index].append(v)
        week.per_type[o.type_index].append(v)
        if preferences:
            _session_preferences(wm, p, o, v)
    # the hard rules on the day: 1 (one session at a time), 6 (day maxima), 7 (compact day)
    pd = ParticipantDay(wm.model, p, day, opts, all_sessions, cover, per_type_day, day_minutes)
    for rule in day_rules:
        rule(wm, pd)
    week.minutes += day_minutes
    att = pd.attended  # the day is attended iff some session that day
    wm.attend[pid, day] = att
    week.attends.append(att)
    # requirement: hours on an attended day
    need = slots_needed(p.day_hours_min, S)
    if need > 0:
        counted = [o for o in opts if o.stype.counts_toward_hours]
        slots_day = wsum([wm.a[pid, o.index] for o in counted], [o.stype.minutes // S for o in counted])
        _soft_minimum(wm, f"short_dh_{pid}_{day}", need, slots_day + need * (1 - att), week.shortfalls,
                      "day_hours", day)
    if preferences:
        _day_preferences(wm, p, day, opts, pd, all_sessions, week)


def _day_preferences(wm: WeekModel, p: Participant, day: int, opts: list[Option], pd: ParticipantDay,
                     all_sessions: list, week: _Week) -> None:
    """The first start of the day (for routine), services per day, the higher tier, days."""
    m, r, W = wm.model, wm.program.rules, wm.terms
    pid = p.participant_id
    att, before = pd.attended, pd.before
    # routine: the first start of the day: ds[u] -> busy at u and nothing before u
    ds_vars = []
    for u in pd.slots:
        starts_here = [wm.a[pid, o.index] for o in opts if o.slot == u]
        if not starts_here:
            continue
        ds = m.new_bool_var(f"ds_{pid}_{day}_{u}")
        m.add(lsum(starts_here) >= ds)
        m.add_implication(ds, before[u].Not())
        ds_vars.append(ds)
        week.used_start[u].append(ds)
    m.add(lsum(ds_vars) == att)
    # preference: services per attended day
    if r.day_services_min:
        sv = m.new_int_var(0, r.day_services_min, f"svc_{pid}_{day}")
        m.add(sv >= r.day_services_min * att - lsum(all_sessions))
        W["day_services"].append(sv)
    # preference: the higher payment tier, an attended day of at least the participant's
    # rule set's day_services_high_tier services (counted sessions); low = 1 below it
    tier = high_tier(r, p)
    if tier:
        counted_day = [wm.a[pid, o.index] for o in opts if o.stype.counts_toward_hours]
        low = m.new_bool_var(f"low_{pid}_{day}")
        m.add(lsum(counted_day) >= tier * (att - low))
        W["day_tier"].append(low)
    # preference: days
    if p.preferred_days and day not in p.preferred_days:
        W["day_preference"].append(att)


def _week_requirements(wm: WeekModel, p: Participant, week: _Week) -> None:
    """Requirements (soft, dominant penalty): days, week hours, each type's weekly minimum."""
    pid = p.participant_id
    n_days = lsum(week.attends) if week.attends else 0
    if p.days_min > 0:
        _soft_minimum(wm, f"short_days_{pid}", p.days_min, n_days, week.shortfalls, "days", None)
    need = slots_needed(p.week_hours_min, wm.program.rules.slot_minutes)
    if need > 0:
        _soft_minimum(wm, f"short_wh_{pid}", need, minutes_sum(week.slots), week.shortfalls, "week_hours", None)
    for ti, t in enumerate(wm.program.session_types):
        wmin = weekly_min_for(p, t)
        if wmin > 0:
            _soft_minimum(wm, f"short_t{ti}_{pid}", wmin, lsum(week.per_type.get(ti, [])), week.shortfalls,
                          t.name, None)


def _routine(wm: WeekModel, p: Participant, week: _Week) -> None:
    """Preference: routine, one start time across the attended days (start times beyond the first)."""
    m, pid = wm.model, p.participant_id
    used = []
    for u, dss in sorted(week.used_start.items()):
        uv = m.new_bool_var(f"used_{pid}_{u}")
        for ds in dss:
            m.add_implication(ds, uv)
        used.append(uv)
    anyday = m.new_bool_var(f"any_{pid}")
    m.add(anyday <= lsum(week.attends))
    extra = m.new_int_var(0, len(used), f"routine_{pid}")
    m.add(extra >= lsum(used) - anyday)
    wm.terms["routine"].append(extra)


def high_tier(rules, p: Participant) -> int | None:
    """The services an attended day of p needs for the higher payment tier, when the
    `day_tier` weight is on and p's level follows a rule set with such a tier."""
    if not rules.weights.get("day_tier"):
        return None  # off: no variables, so default schedules do not change
    rule_set = rules.compliance.rule_set_for(p.level)
    return rule_set.day_services_high_tier if rule_set is not None else None


def _session_preferences(wm: WeekModel, p: Participant, o: Option, v) -> None:
    """Preferences of one possible session: time of day, primary-therapist continuity."""
    m = wm.model
    W = wm.terms
    pid = p.participant_id
    if p.preferred_time:
        lo, hi = PREFERRED_WINDOWS[p.preferred_time]
        if not lo <= o.start < hi:
            W["time_preference"].append(v)
    if o.stype.kind == "individual" and p.primary_therapist:
        if p.primary_therapist in o.staff:
            ap = m.new_bool_var(f"ap_{pid}_{o.index}")
            m.add_implication(ap, v)
            m.add_implication(ap, wm.y[o.index, p.primary_therapist])
            wm.a_primary[pid, o.index] = ap
            miss = m.new_bool_var(f"miss_{pid}_{o.index}")  # with another therapist
            m.add(miss >= v - ap)
            W["continuity"].append(miss)
        else:
            W["continuity"].append(v)
