# One command each on a fresh machine: the virtualenv is created and filled when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo-out
BENCH_DIR ?= bench-out

.PHONY: install provision test demo bench bench-graph lint typecheck format clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# redis-server, promtool and prometheus: installed with apt when possible, else one command shown.
provision:
	sh .ci/provision

test: $(STAMP) provision
	$(PY) -m ruff check correlator tests benchmarks
	$(PY) -m mypy --strict correlator
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/correlator demo --out $(DEMO_DIR)

bench: $(STAMP)
	$(PY) benchmarks/bench.py --out $(BENCH_DIR)
	$(PY) benchmarks/fuzz.py

bench-graph: $(STAMP)
	$(PY) benchmarks/graph_poll.py

lint: $(STAMP)
	$(PY) -m ruff check correlator tests benchmarks
	$(PY) -m ruff format --check correlator tests benchmarks
	$(PY) -m mypy --strict correlator

typecheck: $(STAMP)
	$(PY) -m mypy --strict correlator

format: $(STAMP)
	$(PY) -m ruff format correlator tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO_DIR) $(BENCH_DIR) .pytest_cache .ruff_cache
