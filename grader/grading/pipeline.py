"""Grade one submission: intake, sandbox, cases, scores. The library entry point.

    problems.yaml -> ProblemSet -> Submission -> Sandbox + Session -> TestOutcome* -> Results

The worker starts before pytest is even imported, so that its interpreter and numpy load
while the trusted side collects the cases.
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Iterator
from pathlib import Path

from grader import __version__
from grader.intake import statements
from grader.intake.submission import read_submission
from grader.problems import DEFAULT_PATH, ProblemSet, load
from grader.results.scoring import Results, score
from grader.sandbox.forkserver import ForkServer
from grader.sandbox.isolation import probe, require
from grader.sandbox.supervisor import Sandbox


def hidden_directories() -> tuple[str, ...]:
    """Directories student code must not see: all that holds the cases and the references.

    From a checkout (or Gradescope's /autograder/source) that is the whole project, .git,
    tests and examples included, since they hold the references in other forms; from an
    installed package, the package directories. /autograder is hidden as a whole.
    """
    project = Path(__file__).resolve().parents[2]
    if (project / "problems.yaml").is_file():
        found = [str(project)]
    else:
        found = [str(Path(__file__).resolve().parents[1])]
        spec = importlib.util.find_spec("solutions")  # locates without importing
        if spec is not None and spec.submodule_search_locations:
            found += [str(Path(p).resolve()) for p in spec.submodule_search_locations]
    if Path("/autograder").is_dir():
        found.append("/autograder")
    return tuple(found)


def grade(
    submission: Path | str,
    problems: ProblemSet | None = None,
    cases: Path | None = None,
    template: ForkServer | None = None,
    trust: bool = False,
) -> Results:
    """Grade the submission at `submission` (a folder, .py, .ipynb or .zip).

    Pass a started `ForkServer` when grading many submissions: workers are then forked from it
    instead of starting an interpreter each.

    `trust` (--unsafe-trust-submissions) runs the code even where no sandbox level is safe;
    the results then say so.

    Raises only for a grader fault (a broken problems.yaml, a missing path), or
    `SandboxUnavailable` before any student code runs where no level is safe and `trust` is
    not given; anything the student did wrong is part of the returned results.
    """
    started = time.monotonic()
    problems = problems or load(DEFAULT_PATH)
    intake = read_submission(Path(submission), problems.modules)
    isolation = probe()
    require(isolation, trust)
    own_template = None
    if template is None and ForkServer(isolation).usable:
        # Even for one submission: restarts after a timeout then cost a fork, not a start.
        own_template = template = ForkServer(isolation)

    def new_sandbox() -> Sandbox:
        return Sandbox(
            sources={module: source.code for module, source in intake.sources.items()},
            programs={m: statements.encode(s.program) for m, s in intake.sources.items()},
            memory=max(p.limits.memory for p in problems.problems) * 2**20,
            cpu_seconds=int(problems.limits.budget) + 10,
            hide=(*hidden_directories(), str(problems.root)),
            isolation=isolation,
            template=template,
        )

    sandbox = new_sandbox()
    sandboxes = [sandbox]
    modules = problems.modules
    unavailable = {m: why for m in modules if (why := intake.unavailable(m)) is not None}
    if len(unavailable) < len(modules):
        sandbox.start()  # boots while pytest is imported and collects
    # Imported here, after the worker has started, because pytest takes a while to import.
    from grader.grading import explain, plugin
    from grader.grading.session import Session

    @contextlib.contextmanager
    def fresh() -> Iterator[Session]:
        """A new sandbox and session for the counterexamples (grader/grading/explain.py)."""
        again = new_sandbox()
        sandboxes.append(again)
        try:
            again.start()
            yield Session(problems, unavailable, again, started=started, sources=intake.sources)
        finally:
            again.close()

    try:
        try:
            session = Session(
                problems, unavailable, sandbox, started=started, sources=intake.sources
            )
            ran = plugin.run_cases(problems, session, cases or problems.cases_dir)
        finally:
            sandbox.close()
        outcomes = explain.annotate(ran.outcomes, problems, fresh)
    finally:
        if own_template is not None:
            own_template.close()
    leftover = [pid for box in sandboxes for pid in box.leftover_processes()]
    extra = {
        "problem_set": problems.name,
        "grader_version": __version__,
        "sandbox": isolation.describe(),
        "worker_starts": sandbox.starts,
        "collection_errors": ran.collection_errors,
    }
    faults = [f"cases that did not load: {error}" for error in ran.collection_errors]
    if leftover:
        extra["leftover_processes"] = len(leftover)
        faults.append(f"{len(leftover)} sandbox processes survived the cleanup")
    return Results(
        problems=score(problems, outcomes),
        written=tuple(p for p in problems.problems if not p.graded),
        messages=(*intake.messages, *session.messages, *_unsafe_notice(isolation.safe)),
        execution_time=time.monotonic() - started,
        extra=extra,
        faults=tuple(faults),
    )


def _unsafe_notice(safe: bool) -> tuple[str, ...]:
    if safe:
        return ()
    return (
        "UNSAFE: this submission ran without a sandbox (--unsafe-trust-submissions): its code "
        "could read the references and hidden cases and change these results.",
    )
