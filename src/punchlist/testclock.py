"""``python -m punchlist.testclock MOMENT COMMAND ...``: a ``punchlist`` command on the tests' pinned clock.

The test run pins Python's clock (``punchlist.pytest_plugin``), but a command a test starts in a process of its
own reads the machine's clock: an upload kept "today" by the test would be weeks old to a worker started from
it. Tests start such commands through ``pytest_plugin.punchlist_command``, which runs them here: the clock is
moved to MOMENT (the test's own now) and ticks from there, then the command runs as ``punchlist`` would. Only
the tests use it; time-machine is a test dependency.
"""

from __future__ import annotations

import sys
from datetime import datetime


def main(argv: list[str]) -> int:
    import time_machine

    moment, *command = argv
    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        from punchlist.cli import main as punchlist

        return punchlist(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
