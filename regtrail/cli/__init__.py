"""The `regtrail` command line: `console` (the entry point), `app` (the Typer application) and its command groups."""
