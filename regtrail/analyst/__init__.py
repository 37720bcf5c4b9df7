"""Analyst access to the published warehouse: the read-only commands
(`regtrail timeline|batches|filing|report`) and the HTML report."""
