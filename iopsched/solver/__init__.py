"""The solve: stage 1 (requirements) and stage 2 (preferences), the bounds, week-to-week continuity, progress, and what-if solves for suggestions."""
