"""The nearcare command line, settings, and the launcher of embedded defaults."""

__version__ = "0.1.0"
