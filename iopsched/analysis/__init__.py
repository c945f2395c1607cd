"""Analysis of a program or a week without the solver: requirements and shortfalls, reasons for an unmet requirement, input conflicts, `check` and `diff`."""
