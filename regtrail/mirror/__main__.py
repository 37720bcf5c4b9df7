"""`python -m regtrail.mirror [options]`: an alias of `regtrail mirror`."""

import typer

from regtrail.cli.pipeline import mirror

typer.run(mirror)
