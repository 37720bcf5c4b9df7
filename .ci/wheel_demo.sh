#!/usr/bin/env bash
# CI: the project as a user gets it. Builds the wheel, installs it (not editable, with constraints.txt) into a
# fresh venv, runs `regtrail demo` from an empty folder without REGTRAIL_HOME, checks the published warehouse.
#   .ci/wheel_demo.sh [WORK_DIR]      (REGTRAIL_SHARED: the real data, default ../shared beside the clone;
#                                      UV: the uv to install with, default uv on PATH or .venv/bin/uv, else pip;
#                                      WHEEL: install this wheel instead of building one;
#                                      BYTECODE=lazy: no .pyc at install, Python writes them as it imports)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work" && work=$(cd "$work" && pwd)
python=${PYTHON:-python3}
export REGTRAIL_SHARED=${REGTRAIL_SHARED:-$repo/../shared}
unset REGTRAIL_HOME REGTRAIL_MIRROR PYTHONPATH

step() { echo "== wheel_demo: $* ($(date -u +%H:%M:%S))"; }
uv=${UV:-$(command -v uv || true)}  # UV: an uv executable to use; none: pip
[ -n "$uv" ] || { [ -x "$repo/.venv/bin/uv" ] && uv=$repo/.venv/bin/uv; } || true
step "fresh venv $work/venv"
if [ -n "$uv" ] && [ -n "${WHEEL:-}" ]; then  # no pip needed in it: uv installs, the wheel is built
  "$uv" venv -q --python "$python" "$work/venv"
else
  "$python" -m venv "$work/venv"
fi
if [ -n "${WHEEL:-}" ]; then  # WHEEL: a wheel of this checkout built already (tests/test_wheel.py builds one)
  wheel=$WHEEL
else
  step "building the wheel"
  "$work/venv/bin/pip" wheel --no-deps --disable-pip-version-check -q -w "$work/dist" "$repo"
  wheel=$(ls "$work"/dist/regtrail-*.whl)
fi
compile=(--compile-bytecode)
if [ "${BYTECODE:-}" = lazy ]; then compile=(); unset PYTHONDONTWRITEBYTECODE; fi
if [ -n "$uv" ]; then
  step "installing $(basename "$wheel") with uv"
  links=()
  [ -n "${PIP_FIND_LINKS:-}" ] && links=(--find-links "$PIP_FIND_LINKS")
  # --compile-bytecode, as pip does by default (a user's install has .pyc files; uv writes none unless asked)
  "$uv" pip install "${compile[@]}" --python "$work/venv/bin/python" "${links[@]}" "$wheel" -c "$repo/constraints.txt"
else
  step "installing $(basename "$wheel") with pip"
  "$work/venv/bin/pip" install --disable-pip-version-check "$wheel" -c "$repo/constraints.txt"
fi
step "regtrail demo from an empty folder"
mkdir -p "$work/empty"
cd "$work/empty"
"$work/venv/bin/regtrail" demo
step "checking the published warehouse"
"$work/venv/bin/python" - <<'PY'
import duckdb, regtrail
from pathlib import Path
assert "site-packages" in regtrail.__file__, regtrail.__file__
with duckdb.connect("data/warehouse.duckdb", read_only=True) as con:
    filings = con.execute("select count(*) from fct_filings").fetchone()[0]
    main = [n for (n,) in con.execute("select table_name from information_schema.tables where table_schema = 'main'"
                                      " and table_name not like '\\_%' escape '\\'").fetchall()]
assert filings > 0, "no filings published"
assert all(n.startswith(("fct_", "dim_")) for n in main), main
print(f"wheel_demo: published {Path('data/warehouse.duckdb').absolute()}: {filings} filings, main holds {len(main)} marts")
PY
