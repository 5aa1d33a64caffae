"""`python -m core ...`: the CLI twin without the dashboard."""

import sys

from core.cli import main

sys.exit(main())
