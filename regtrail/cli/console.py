"""The `regtrail` console script (and `python -m regtrail`).

`regtrail parse FILE` starts without the Typer application: Typer loads pydantic and click (about 0.1-0.2 s
of imports, more than reading a list takes), so `parse` (and `parse --help`) goes straight to
regtrail.crawl.dryrun, which defines its options and imports only what parsing the file needs. Every other
command goes to regtrail.cli.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of the `regtrail` console script."""
    args = sys.argv[1:]
    if args[:1] == ["parse"]:
        from regtrail.crawl.dryrun import main as parse_main

        sys.exit(parse_main(args[1:]))
    from regtrail.cli.app import main as cli_main

    cli_main()
