# Every target creates and uses .venv by itself: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench bench-quick bench-quality bench-admissions lint sample clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/iopsched solve sample_data/program.xlsx -o schedule.xlsx --time-limit 30
	$(BIN)/iopsched validate sample_data/program.xlsx schedule.xlsx

test: $(STAMP)
	$(BIN)/python -m pytest

# the requirements bench (6 kinds x small, medium, large) then week-to-week stability:
# about 15 minutes on 2 cores; benchmarks/README.md
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run --sample --bounds 10
	$(BIN)/python -m benchmarks.stability
	$(BIN)/python -m benchmarks.admissions

# referrals (issue 19): each kind, small and medium, with 10% extra referrals: about 10 minutes
bench-admissions: $(STAMP)
	$(BIN)/python -m benchmarks.admissions

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick
	$(BIN)/python -m benchmarks.stability --kinds classic,evening --sizes small,medium --seeds 1

# objective terms against the last release (git worktree of 2e2640c): about 30 minutes
bench-quality: $(STAMP)
	$(BIN)/python -m benchmarks.quality

lint: $(STAMP)
	$(BIN)/ruff check iopsched tests benchmarks scripts sample_data
	$(BIN)/mypy

sample: $(STAMP)
	$(BIN)/python sample_data/make_sample.py

clean:
	rm -rf $(VENV) schedule.xlsx .pytest_cache
