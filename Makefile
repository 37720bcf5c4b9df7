# regtrail: `make demo` runs the pipeline end to end on the bundled mirror; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export REGTRAIL_HOME ?= $(CURDIR)/data

.PHONY: venv demo test test-fast test-celery lint docs mirror report clean

venv: $(VENV)/.installed

# The project itself, editable, with its pinned dependencies (pyproject.toml reads requirements*.txt), installed with
# uv (uv on PATH, else uv bootstrapped into the venv by pip: 46 s against pip's 903 s on a loaded machine, see
# docs/operating.md); pip does the install itself only if uv fails. Each phase says what it does.
# --compile-bytecode, as pip does by default: without .pyc files (uv writes none unless asked) and with
# PYTHONDONTWRITEBYTECODE=1, as on this machine, every Airflow, dbt and regtrail process compiles its imports
# from source; CI's suite ran 14 min 0 s so, against 10 min 10 s in a venv with them.
$(VENV)/.installed: pyproject.toml requirements.txt requirements-dev.txt constraints.txt
	@echo '== make venv: creating $(VENV)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@command -v uv >/dev/null || test -x $(BIN)/uv || { echo '== make venv: bootstrapping uv into $(VENV) with pip'; \
	  $(BIN)/pip install --disable-pip-version-check --progress-bar off "$$(grep '^uv==' requirements-dev.txt)"; }
	@echo '== make venv: installing regtrail (editable) and its pinned dependencies with uv'
	$$(command -v uv || echo $(BIN)/uv) pip install --compile-bytecode --python $(BIN)/python \
	  $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS)) -e '.[dev]' -c constraints.txt || { echo '== make venv: uv failed; installing with pip (2-3 minutes)'; \
	  $(BIN)/pip install --disable-pip-version-check --progress-bar off -e '.[dev]' -c constraints.txt; }
	@echo '== make venv: done ($(BIN)/regtrail)'
	touch $@

demo: venv
	$(BIN)/regtrail demo

# Three workers on this 2-core machine: measured 10 min 10 s against 13 min 11 s with two (the suite waits on
# schedulers, servers and subprocesses now and then; a third worker fills those gaps and the tail; four: 10 min 17 s). A module's
# tests stay on one worker so its module fixtures (built warehouses, servers) are made once; the sample warehouse
# is built once per run for all workers (tests/support/warehouse.py); the longest modules start first (conftest.py).
PYTEST_WORKERS ?= 3
# sqlfluff (half a minute of CPU) runs inside the suite (tests/test_sql_lint.py), beside the other modules.
test: venv docs
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test-fast: venv  ## ruff and every test that needs no Airflow run, dbt build or Celery
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder -m 'not slow and not dbt and not celery'

docs: venv  ## the documentation site (mkdocs-material) into build/site; fails on any warning or on a figure table
	$(BIN)/cog -I . --check --check-fail-msg='docs/performance.md differs from docs/figures/*.json: run make bench, or $(BIN)/cog -I . -r docs/performance.md' docs/performance.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

test-celery: venv  ## the CeleryExecutor scale-out test alone (Redis, PostgreSQL, moto S3, two workers)
	$(BIN)/pytest -m celery tests/test_celery.py

# ruff for Python; sqlfluff (dbt templater, dbt_project/.sqlfluff) for the dbt models: the one test that runs it,
# alone (it renders into a scratch home, build file and dbt target).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/pytest -q -p no:cacheprovider tests/test_sql_lint.py

mirror: venv
	$(BIN)/regtrail mirror --port 8765

report: venv
	$(BIN)/regtrail report

clean:
	rm -rf data dbt_project/target dbt_project/logs

.PHONY: bench
bench: venv  ## benchmark figures into docs/figures/, then docs/performance.md's tables (BENCH_EVENTS=200000 for a quicker run; BENCH_DEMO=1 also times `make demo`)
	$(BIN)/python bench/run_all.py

.PHONY: bench-airflow
bench-airflow: venv  ## scheduled runs under `airflow standalone`, triggered through the REST API
	$(BIN)/python bench/airflow_bench.py
