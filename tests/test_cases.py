"""The grading cases: the reference passes them all, the stubs fail them all, and they are sound.

Static checks read the case files with ast, so they hold whatever a case does at run time:
exactly one problem marker naming a code problem, a one-line docstring (the name students see),
enough public and hidden tests per problem, and every target of a problem exercised by it.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.authoring.stubs import stub_source
from grader.problems import load

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "grader" / "cases"
CASE_FILES = sorted(CASES.glob("*/test_*.py"))
PROBLEMS = load(ROOT / "problems.yaml")
CODE_PROBLEMS = {p.id: p for p in PROBLEMS.problems if p.kind == "code"}


@dataclass(frozen=True)
class Case:
    """One test function of a case file, as written."""

    file: Path
    name: str
    problems: tuple[str, ...]  # the ids of its problem markers (function and module level)
    docstring: str | None
    targets: frozenset[str]  # "module.name" it reads through `student`

    @property
    def public(self) -> bool:
        return self.file.parent.name == "public"


def _problem_marks(node: ast.AST) -> list[str]:
    """Ids of every pytest.mark.problem("id") call inside `node`."""
    ids = []
    for call in ast.walk(node):
        if (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr == "problem"
            and ast.unparse(call.func.value) == "pytest.mark"
        ):
            ids.append(ast.literal_eval(call.args[0]) if call.args else None)
    return ids


def _targets(function: ast.FunctionDef) -> frozenset[str]:
    """Every student.<module>.<name> the function reads."""
    found = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == "student"
        ):
            found.add(f"{node.value.attr}.{node.attr}")
    return frozenset(found)


def _cases() -> list[Case]:
    cases = []
    for path in CASE_FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_marks = [
            mark
            for node in tree.body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
            for mark in _problem_marks(node.value)
        ]
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                marks = [m for d in node.decorator_list for m in _problem_marks(d)]
                cases.append(
                    Case(
                        file=path,
                        name=node.name,
                        problems=tuple(module_marks + marks),
                        docstring=ast.get_docstring(node),
                        targets=_targets(node),
                    )
                )
    return cases


CASE_LIST = _cases()


def _run_cases(submission: Path, report: Path) -> tuple[subprocess.CompletedProcess, list]:
    """Run every grading case in-process against `submission`; returns the junit testcases."""
    env = dict(os.environ, TUTORIAL9_SUBMISSION=str(submission))
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "grader/cases", "-q", "-p", "no:cacheprovider",
         f"--junitxml={report}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    testcases = list(ET.parse(report).getroot().iter("testcase")) if report.exists() else []
    return result, testcases


# ---------------------------------------------------------------------------------- static


def test_case_files_exist():
    assert {p.parent.name for p in CASE_FILES} == {"public", "hidden"}
    assert len(CASE_LIST) >= 30


def test_every_case_has_exactly_one_code_problem_marker():
    bad = [(c.name, c.problems) for c in CASE_LIST if len(c.problems) != 1]
    assert not bad, f"cases without exactly one problem marker: {bad}"
    unknown = [(c.name, c.problems[0]) for c in CASE_LIST if c.problems[0] not in CODE_PROBLEMS]
    assert not unknown, f"cases of problems that are not code problems: {unknown}"


def test_every_case_has_a_one_line_docstring():
    # The first docstring line is the case's name in Gradescope.
    bad = [
        c.name
        for c in CASE_LIST
        if not c.docstring or "\n" in c.docstring.strip() or len(c.docstring) > 100
    ]
    assert not bad, f"cases without a one-line docstring: {bad}"


def test_every_case_touches_only_its_problems_targets():
    # The grader's proxy serves problems.yaml targets only, and credits what a case touches.
    silent = [c.name for c in CASE_LIST if not c.targets]
    assert not silent, f"cases that never call the student's code: {silent}"
    bad = [
        (c.name, sorted(c.targets - set(CODE_PROBLEMS[c.problems[0]].targets)))
        for c in CASE_LIST
        if not c.targets <= set(CODE_PROBLEMS[c.problems[0]].targets)
    ]
    assert not bad, f"cases touching targets of other problems: {bad}"


def test_case_names_are_unique():
    names = Counter((c.file.parent.name, c.name) for c in CASE_LIST)
    assert max(names.values()) == 1


@pytest.mark.parametrize("problem_id", list(CODE_PROBLEMS))
def test_problem_has_public_and_hidden_cases(problem_id):
    counts = Counter(c.public for c in CASE_LIST if c.problems == (problem_id,))
    assert counts[True] >= 1, f"{problem_id}: no public case"
    assert counts[False] >= 2, f"{problem_id}: fewer than 2 hidden cases"


@pytest.mark.parametrize("problem_id", list(CODE_PROBLEMS))
def test_every_target_is_exercised(problem_id):
    touched = set().union(*(c.targets for c in CASE_LIST if c.problems == (problem_id,)))
    assert set(CODE_PROBLEMS[problem_id].targets) <= touched


# --------------------------------------------------------------------------------- dynamic


@pytest.mark.slow
def test_reference_solutions_pass_every_case(tmp_path):
    result, testcases = _run_cases(ROOT / "solutions", tmp_path / "report.xml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(testcases) >= len(CASE_LIST)
    assert not [t for t in testcases if len(t)], "some cases did not pass"


def _generated_stubs(directory: Path) -> Path:
    """Fresh stubs from the current solutions, as grader.authoring.stubs writes them to
    exercises/."""
    for module in MODULES:
        source = (ROOT / "solutions" / f"{module}.py").read_text(encoding="utf-8")
        (directory / f"{module}.py").write_text(stub_source(source, module, PROBLEMS))
    return directory


@pytest.mark.slow
@pytest.mark.parametrize("source", ["exercises", "generated"])
def test_stubs_fail_every_case(tmp_path, source):
    if source == "generated":
        stubs = _generated_stubs(tmp_path)
    else:
        stubs = ROOT / "exercises"
        if not (stubs / "conv.py").exists():
            pytest.skip("exercises/ has not been generated yet (python -m grader stubs)")
    result, testcases = _run_cases(stubs, tmp_path / "report.xml")
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert len(testcases) >= len(CASE_LIST)
    for testcase in testcases:
        name = f"{testcase.get('classname')}::{testcase.get('name')}"
        outcomes = [child.tag for child in testcase]
        assert outcomes == ["failure"], f"{name}: {outcomes or 'passed'}"
        # The stub is reached and fails as a stub: not through a broken import or fixture.
        text = testcase[0].get("message", "") + (testcase[0].text or "")
        assert "is not implemented yet" in text or "is None" in text, f"{name}: {text[:300]}"
