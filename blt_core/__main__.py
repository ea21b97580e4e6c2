"""`python -m blt_core ...`: see blt_core/cli/main.py."""

import sys

from blt_core.cli import main

sys.exit(main())
