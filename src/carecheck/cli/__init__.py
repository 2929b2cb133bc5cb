"""The command line: the typer app, the interview in a terminal, batch runs and the counselor's intake flow."""
