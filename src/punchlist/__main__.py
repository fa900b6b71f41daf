import sys

from punchlist.cli import main

sys.exit(main())
