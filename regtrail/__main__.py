"""`python -m regtrail …`: the same command line as `regtrail …` (see regtrail/cli/console.py and regtrail/cli)."""

from regtrail.cli.console import main

if __name__ == "__main__":
    main()
