"""`python -m nearcare` runs the command line."""

from nearcare.cli import app

app()
