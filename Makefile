# Every target creates and uses .venv by itself: `make demo` and `make test` on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench bench-quick lint sample clean venv

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

$(VENV)/.bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $(VENV)/.bench

bench: $(VENV)/.bench
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.stability --size small --seeds 1,2

bench-quick: $(VENV)/.bench
	$(BIN)/python -m benchmarks.run --quick

lint: $(STAMP)
	$(BIN)/ruff check iopsched tests benchmarks scripts sample_data

sample: $(STAMP)
	$(BIN)/python sample_data/make_sample.py

clean:
	rm -rf $(VENV) schedule.xlsx .pytest_cache
