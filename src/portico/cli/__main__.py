"""`python -m portico.cli`, the same as `portico`."""

import sys

from portico.cli import main

sys.exit(main())
