"""The CP-SAT model of a week and what talks to CP-SAT directly: the model by rule, hints, solution values, extraction into a Schedule, the time budget and the solver runner."""
