"""``python -m client.core.updates start --root DIR`` (the launcher) and ``check``."""

import sys

from client.core.updates.cli import main

sys.exit(main())
