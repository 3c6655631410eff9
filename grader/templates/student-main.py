"""`python -m grader check [PATH] [--problem ID]`: the public checks (see grader/check.py)."""

import sys

from grader.check import main

sys.exit(main())
