"""`python -m regtrail …`: the same command line as `regtrail …` (see regtrail/console.py and regtrail/cli)."""

from regtrail.console import main

if __name__ == "__main__":
    main()
