"""The command line: one entry point (main.py), one input reader (reader.py), one file per subcommand."""

from blt_core.cli.main import main

__all__ = ["main"]
