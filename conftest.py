"""Lets `python -m pytest` run the public checks from exercises/ as well as from this folder.

Started in exercises/, pytest would find no tests there; it reads this file first (this folder
holds its configuration), which points it at grader/cases/public instead. The cases' options
(--submission, --problem) live in grader/selfcheck/options.py, the fixtures in
grader/cases/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.selfcheck.options import add_options

HERE = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)  # so that --submission works wherever pytest starts


def pytest_configure(config: pytest.Config) -> None:
    started = Path(config.invocation_params.dir).resolve()
    if started == HERE / "exercises" and config.args == [str(config.invocation_params.dir)]:
        config.args[:] = [str(HERE / "grader" / "cases" / "public")]
