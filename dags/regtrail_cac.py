"""regtrail's Airflow DAGs, imported from the installed `regtrail` package (regtrail.ops.dags).

Deploy: install the package into the Airflow environment, then
    regtrail airflow dag > "$AIRFLOW_HOME/dags/regtrail.py"
Configured by environment only: REGTRAIL_HOME (warehouse, build file), REGTRAIL_LOG (event log),
REGTRAIL_MIRROR (crawl a mirror instead of the live site), REGTRAIL_DBT_TASKS; see docs/operating.md.
"""

from regtrail.ops.dags import DAGS

globals().update(DAGS)  # Airflow's DAG processor collects the DAG objects of this module's namespace
