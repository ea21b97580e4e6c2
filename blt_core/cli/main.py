"""python -m blt_core {analyze, tokenize, compute, generate, score-corpus} ...: the command-line interface.

Each subcommand lives in its own module with `add_parser(subparsers)` and `run(args) -> int`.
Those that read bytes take FILE | - | --text through `reader.read_input`; bad input of any kind
goes through `reader.fail`: one line on stderr, exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib

SUBCOMMANDS = {
    "analyze": "blt_core.cli.analyze",
    "tokenize": "blt_core.cli.tokenize",
    "compute": "blt_core.cli.compute",
    "generate": "blt_core.cli.generate",
    "score-corpus": "blt_core.cli.score_corpus",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m blt_core", description="BLT Explorer command line")
    sub = parser.add_subparsers(dest="command", required=True)
    modules = {}
    for name, mod in SUBCOMMANDS.items():
        try:
            modules[name] = importlib.import_module(mod)
        except ImportError:  # a part not installed in this deployment
            continue
        modules[name].add_parser(sub)
    args = parser.parse_args(argv)
    try:
        return modules[args.command].run(args)
    except KeyboardInterrupt:
        return 130

