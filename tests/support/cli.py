"""The command-line interface as the tests see it."""

from __future__ import annotations

import typer

from regtrail.cli.app import app


def commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(group.list_commands(typer.Context(group)))
