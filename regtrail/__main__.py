"""`python -m regtrail …`: the same command line as `regtrail …` (see regtrail/cli)."""

from regtrail.cli import main

if __name__ == "__main__":
    main()
