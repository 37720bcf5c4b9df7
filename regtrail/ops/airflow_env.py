"""Environment for running the DAGs locally: SQLite metadata and Cosmos caches inside REGTRAIL_HOME."""

from __future__ import annotations

import os
from pathlib import Path

from regtrail import settings

DBT_POOL = "dbt_warehouse"


def airflow_environ(home: Path | None = None) -> dict[str, str]:
    """Variables that point Airflow, Cosmos and dbt at this checkout and at `home`."""
    home = (home or settings.home()).resolve()
    airflow_home = home / "airflow"
    return {
        "REGTRAIL_HOME": str(home),
        "REGTRAIL_BUILD_DB": str(home / "build" / "warehouse.duckdb"),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__ENABLE_CACHE_DBT_LS": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }


def apply(home: Path | None = None) -> dict[str, str]:
    """Set those variables in this process (existing values win) and return the effective ones."""
    return {key: os.environ.setdefault(key, value) for key, value in airflow_environ(home).items()}


def main() -> None:
    """`python -m regtrail.ops.airflow_env`: print the variables as shell `export` lines (for `eval`)."""
    import shlex

    for key, value in airflow_environ().items():
        print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
