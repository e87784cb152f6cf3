"""`python -m console` is the `cityops` command."""

import sys

from console.cli import main

sys.exit(main())
