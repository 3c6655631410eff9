"""GitHub Classroom's `autograding-grading-reporter` (v1), re-implemented from reading its source.

Not its code: what it computes, written down to check our payloads against. From
classroom-resources/autograding-grading-reporter at 43c2d9f:

- src/main.js: `runners` is split on ","; each runner's payload is
  `JSON.parse(Buffer.from(process.env[RUNNER.trim().toUpperCase() + "_RESULTS"], "base64"))`.
  After reporting it fails the step when any payload's `status` is "fail" (then "error").
  A runner list not matching `^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$` is refused.
- src/helpers/test-helpers.js: a runner's logged score is
  `(tests with status "pass" / tests.length) * (max_score || 0)`.
- src/console-results.js and aggregate-results.js: log "Total points for <runner>:
  <score.toFixed(2)>/<max_score>" per runner with a nonzero max_score, then a table whose
  total is the sum of those scores and of the max_scores.
- src/notify-classroom.js: what Classroom records, "Points <total>/<max>", adds up
  `tests[].score` of every runner whose `max_score` is truthy, and their `max_score`s.

The command grader (autograding-command-grader, src/main.js) produces payloads of the same
shape: {version: 1, status, max_score: parseInt(max-score), tests: [{name, status, score:
status == "pass" ? max_score : 0, message, test_code: command, filename: "", line_no: 0,
duration}]}.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

RUNNERS = re.compile(r"^([a-zA-Z0-9]+,)*[a-zA-Z0-9]+$")
TEST_KEYS = {"name", "status", "score", "message", "test_code", "filename", "line_no", "duration"}
STATUSES = {"pass", "fail", "error"}


@dataclass(frozen=True)
class Report:
    """What the reporter logs and what it tells Classroom."""

    logged: dict[str, float]  # runner -> (passed / tests) * max_score
    maxima: dict[str, int]
    points: float  # "Points <points>/<max_points>": the sum of tests[].score
    max_points: int
    failed: bool  # core.setFailed was called


def parse_env(text: str) -> dict[str, str]:
    """The variables of a `$GITHUB_ENV` file of NAME=value lines."""
    env = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), line
        env[name] = value
    return env


def payload(env: dict[str, str], runner: str) -> dict:
    """One runner's decoded payload, checked against the shape both actions rely on."""
    encoded = env[f"{runner.strip().upper()}_RESULTS"]
    data = json.loads(base64.b64decode(encoded, validate=True).decode("utf-8"))
    assert data["version"] == 1
    assert data["status"] in STATUSES
    assert type(data["max_score"]) is int and data["max_score"] >= 0
    assert isinstance(data["tests"], list) and data["tests"], "tests.length 0 logs NaN"
    for test in data["tests"]:
        assert set(test) == TEST_KEYS, set(test) ^ TEST_KEYS
        assert test["status"] in STATUSES
        assert type(test["score"]) in (int, float) and test["score"] >= 0
        assert all(isinstance(test[k], str) for k in ("name", "message", "test_code"))
        assert type(test["line_no"]) is int and type(test["duration"]) is int
    return data


def report(env: dict[str, str], runners: str) -> Report:
    """Run the reporter's arithmetic on `<RUNNER>_RESULTS` variables."""
    assert RUNNERS.match(runners), runners
    results = {runner: payload(env, runner) for runner in runners.split(",")}
    logged, maxima = {}, {}
    points, max_points = 0.0, 0
    for runner, data in results.items():
        maximum = data["max_score"] or 0
        passed = sum(test["status"] == "pass" for test in data["tests"])
        logged[runner] = passed / len(data["tests"]) * maximum
        maxima[runner] = maximum
        if data["max_score"]:
            max_points += data["max_score"]
            for test in data["tests"]:
                points += test["score"]
    failed = any(data["status"] in ("fail", "error") for data in results.values())
    return Report(logged, maxima, points, max_points, failed)
