"""`python -m grader check [PATH] [--problem ID]`: the public checks (see
grader/selfcheck/command.py)."""

import sys

from grader.selfcheck.command import main

sys.exit(main())
