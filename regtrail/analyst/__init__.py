"""Analyst access to the published warehouse: a read-only CLI (`python -m regtrail.analyst`) and the HTML report."""
