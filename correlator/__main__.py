"""`python -m correlator` is the `correlator` command."""

import sys

from correlator.cli import main

sys.exit(main())
