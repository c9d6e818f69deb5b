"""`python -m resonanz` runs the command line."""

import sys

from resonanz.cli import main

sys.exit(main())
