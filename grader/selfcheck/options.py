"""What the public checks share with the cases' conftest: the command-line options and the keys
under which a submission and a problem set are handed to it.

grader/cases/conftest.py gives the public cases their `student` fixture from these; check() in a
notebook (grader/selfcheck/command.py) stashes the kernel's submission under SUBMISSION, and the
release's recording run (grader/authoring/release.py) stashes another set under PROBLEMS. Kept
here, not in the conftest, so that the self-checks import the cases' folder nowhere.
"""

from __future__ import annotations

import pytest

from grader.problems import ProblemSet
from grader.selfcheck import inprocess

SUBMISSION_ENV = "TUTORIAL9_SUBMISSION"
SUBMISSION = pytest.StashKey[inprocess.InProcessSubmission]()  # set by grader/selfcheck/command.py
# The problem set, when a plugin gives it (`GivenProblems`: another set's
# cases run by grader/selfcheck/command.py or recorded by grader/authoring/release.py); else the
# problems.yaml of the conftest's project (the student bundle's own).
PROBLEMS = pytest.StashKey[ProblemSet]()


class GivenProblems:
    """A pytest plugin that tells the cases' conftest which problem set's cases run."""

    def __init__(self, problems: ProblemSet) -> None:
        self._problems = problems

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[PROBLEMS] = self._problems


def add_options(parser: pytest.Parser) -> None:
    """--problem and --submission (called by the cases' conftest and by the top-level
    conftest.py, which pytest reads first when it starts in exercises/)."""
    group = parser.getgroup("tutorial9", "the exercise set's public checks")
    if any("--submission" in option.names() for option in group.options):
        return
    group.addoption(
        "--problem", action="append", default=[], metavar="ID",
        help="run only the cases of problem ID (repeatable), e.g. --problem 1a",
    )  # fmt: skip
    group.addoption(
        "--submission", metavar="PATH", default=None,
        help="what to check: a folder, .py file, .ipynb notebook or .zip, read as the grader "
        f"reads it (default: ${SUBMISSION_ENV}, else exercises/)",
    )  # fmt: skip
