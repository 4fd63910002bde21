# One command each on a fresh machine: the virtualenv is created and filled when missing.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# The compiled core (setup.py, mypyc): rebuilt in place whenever a source changes, so that a
# stale extension never runs instead of the edited Python.
NATIVE := $(VENV)/.native-stamp
SOURCES := $(shell find correlator -name '*.py')
DEMO_DIR ?= demo-out
BENCH_DIR ?= bench-out

.PHONY: install native provision test demo bench bench-graph lint typecheck format clean

install: $(NATIVE)

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(NATIVE)

native: $(NATIVE)

$(NATIVE): $(STAMP) $(SOURCES)
	$(PY) setup.py --quiet build_ext --inplace
	# An edit that leaves the generated C as it was rebuilds nothing: mark the extensions current.
	find correlator -name '*.so' -exec touch {} +
	touch $(NATIVE)

# redis-server, promtool and prometheus: installed with apt when possible, else one command shown.
provision:
	sh .ci/provision

test: provision $(NATIVE)
	$(PY) -m ruff check correlator tests benchmarks
	$(PY) -m mypy --strict correlator
	$(PY) -m pytest -q

demo: $(NATIVE)
	$(VENV)/bin/correlator demo --out $(DEMO_DIR)

bench: $(NATIVE)
	$(PY) benchmarks/bench.py --out $(BENCH_DIR)
	$(PY) benchmarks/fuzz.py

bench-graph: $(NATIVE)
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
	rm -rf $(VENV) $(DEMO_DIR) $(BENCH_DIR) .pytest_cache .ruff_cache build
	find correlator -name '*.so' -delete
