"""Referrals for a generated program (issue 19): `iopsched generate --referrals PCT`.

Each referral is a copy of a participant drawn at random (their track, tags, level, flags and
commitments: people like those already in care), with a new id `R001`.., a referral date in
the four weeks before 2025-01-06 and a priority (1 = most urgent: 20%, 2: 50%, 3: 30%).
Reproducible from the seed; the Participants sheet is unchanged.
"""

from __future__ import annotations

import datetime as dt
import math
import random

REFERRED_BEFORE = dt.date(2025, 1, 6)
PRIORITIES = ((1, 0.2), (2, 0.5), (3, 0.3))


def add_referrals(sheets: dict[str, list[dict]], percent: float, seed: int) -> list[str]:
    """Add a Referrals sheet of `percent` % of the participants (at least one) and their
    commitments; returns the referral ids."""
    people = sheets["Participants"]
    if percent <= 0 or not people:
        return []
    rng = random.Random(f"referrals-{seed}-{percent}")
    k = max(1, math.ceil(len(people) * percent / 100 - 1e-9))
    commitments: dict[str, list[dict]] = {}
    for c in sheets.get("Commitments", []):
        commitments.setdefault(c["participant_id"], []).append(c)
    rows, ids = [], []
    for i in range(1, k + 1):
        like = rng.choice(people)
        rid = f"R{i:03d}"
        row = {key: value for key, value in like.items()
               if key not in ("start_date", "end_date", "certified_until")}
        row |= {"participant_id": rid, "name": f"Referral {i}",
                "referral_date": REFERRED_BEFORE - dt.timedelta(days=rng.randrange(1, 29)),
                "priority": rng.choices([p for p, _w in PRIORITIES], [w for _p, w in PRIORITIES])[0]}
        rows.append(row)
        ids.append(rid)
        sheets.setdefault("Commitments", []).extend(
            dict(c, participant_id=rid) for c in commitments.get(like["participant_id"], []))
    sheets["Referrals"] = rows
    return ids
