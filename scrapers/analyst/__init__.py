"""Analyst access to the published warehouse: a read-only CLI (`python -m scrapers.analyst`) and the HTML report."""
