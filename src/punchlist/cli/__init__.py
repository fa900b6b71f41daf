"""The `punchlist` command.

Each sub-command lives in a module that registers its parser; the offline ones (`score`, `lint`) need no
server and no database, only the file a contractor already has.
"""

from __future__ import annotations

import argparse
import sys

from punchlist import __version__

from punchlist.orgs import cli as orgs_cli
from punchlist.register import cli as register_cli
from punchlist.rhythm import cli as rhythm_cli
from punchlist.register import assessment_cli, export_cli
from punchlist.reports import cli as report_cli

from . import offline


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="punchlist",
        description="A living POA&M for NIST SP 800-171 Rev 2 / CMMC Level 2.",
    )
    parser.add_argument("--version", action="version", version=f"punchlist {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    offline.register(commands)
    register_cli.add_commands(commands)
    rhythm_cli.add_commands(commands)
    export_cli.add_commands(commands)
    assessment_cli.add_commands(commands)
    report_cli.add_commands(commands)
    orgs_cli.add_commands(commands)
    __import__("punchlist.scans.cli", fromlist=["add_commands"]).add_commands(commands)  # findings
    __import__("punchlist.web.cli", fromlist=["add_commands"]).add_commands(commands)  # serve, demo, totp
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # `punchlist lint big.xlsx | head`
        sys.stderr.close()
        return offline.EXIT_OK
