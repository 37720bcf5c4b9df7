"""Building and publishing the warehouse: dbt, the build lock, the atomic publication."""
