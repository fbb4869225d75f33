# Every target creates .venv from nothing when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench schemas clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: set up, validate the Kazakhstan example, score it and write the investor briefing
demo: $(STAMP)
	$(BIN)/bhrscore validate examples/kazakhstan
	$(BIN)/bhrscore score examples/kazakhstan --as-of 2026-11-23 --out out/scorecard
	@echo; echo "== What is recorded, by origin group (every record; Wilson intervals)"
	$(BIN)/bhrscore compare examples/kazakhstan --as-of 2026-11-23 --by origin_group --evidence --since 2006-01-01
	@echo; echo "== Scores by origin group: PARTIAL totals, companies with insufficient evidence included"
	$(BIN)/bhrscore compare examples/kazakhstan --as-of 2026-11-23 --by origin_group --include-insufficient
	$(BIN)/bhrscore brief examples/kazakhstan --as-of 2026-11-23 --out out/briefing.xlsx

## test: set up and run the whole test suite (including notebooks)
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests
	$(BIN)/python -m pytest -q -p no:cacheprovider --nbmake notebooks

## lint: ruff and mypy --strict
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

## bench: every benchmark (prints figures and ratios; not part of CI; long on a shared machine)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_score.py
	$(BIN)/python benchmarks/bench_briefing.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_e2e.py
	$(BIN)/python benchmarks/bench_dask.py

schemas: $(STAMP)
	$(BIN)/bhrscore schema --out schemas

clean:
	rm -rf $(VENV) out build dist *.egg-info
