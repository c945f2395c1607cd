"""Week-to-week stability: after one small input change, how many *other* participants' weeks change?

Generates a program, solves it (last week), gives one participant a new work shift over
one of their attended days, solves again with last week as `previous`, and counts the
participants whose week changed besides that one. Run: `python -m benchmarks.stability`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path

from iopsched.config import load_config
from iopsched.domain import Commitment
from iopsched.generate import write_generated
from iopsched.reader import read_program
from iopsched.solve import solve


def _week(schedule, pid):
    return {(s.session_type, s.day, s.start) for s in schedule.sessions_of(pid)}


def measure(size: str, seed: int, limit: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_generated(size, seed, Path(tmp))
        config = path.parent / "config.toml"
        program, _ = read_program(path, load_config(config if config.exists() else None))
    last = solve(program, time_limit=limit, seed=0)
    # the participant with the most sessions gets a new all-day shift on their first day
    pid = max(program.participants, key=lambda p: (len(last.sessions_of(p.participant_id)), p.participant_id))
    pid = pid.participant_id
    day = min(s.day for s in last.sessions_of(pid))
    people = tuple(
        replace(p, commitments=p.commitments + (Commitment(day, 7 * 60, 21 * 60, "work"),))
        if p.participant_id == pid else p for p in program.participants)
    changed = replace(program, participants=people)
    this = solve(changed, time_limit=limit, seed=0, previous=last)
    others = [p.participant_id for p in program.participants
              if p.participant_id != pid and _week(last, p.participant_id) != _week(this, p.participant_id)]
    return {
        "size": size, "seed": seed, "time_limit": limit, "changed_participant": pid,
        "others_changed": len(others), "others_changed_ids": others,
        "last_fully_met": last.summary["participants_fully_met"],
        "this_fully_met": this.summary["participants_fully_met"],
        "participants": len(program.participants),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="small")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/stability.json"))
    args = ap.parse_args()
    rows = [measure(args.size, int(s), args.time_limit) for s in args.seeds.split(",")]
    for r in rows:
        print(f"{r['size']} seed {r['seed']}: {r['changed_participant']} got a new shift; "
              f"{r['others_changed']} other participants' weeks changed "
              f"(fully met {r['last_fully_met']} -> {r['this_fully_met']} of {r['participants']})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
