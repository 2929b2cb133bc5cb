"""`python -m carecheck` runs the command line."""

from carecheck.cli.app import main

main()
