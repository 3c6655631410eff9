"""Is an exercise set sound? Checked before anything of it leaves the repository.

An author's slip in a set loads without complaint and grades every student wrong: a case that
calls `student.clip.relu6` when problems.yaml's target is `clip.relu7`, a typo in a case, a
reference that fails its own hidden case, a public case that the stubs already pass (it tests
nothing). Each student would then read "the grader could not run this case", or get points
for nothing. Two checks, each finding naming the file, the problem and the case or key:

- `static(problems)` reads the cases and the references without running them (milliseconds):
  every `student.<module>.<name>` a case calls (in its body, or in a helper of its file it
  passes `student` to) is a target of the problem it is marked with; every case is marked
  with a code problem of problems.yaml, every code problem has cases; every target is defined
  at the top level of `<solutions>/<module>.py`, and every case file parses.
- `graded(problems)` grades the references and the generated stubs as a submission is graded
  (grader.grading.pipeline.grade): the references must score full marks with no grader error,
  and the stubs must fail every public case. About a second for the tutorial.

`check(problems)` runs both (the grading only once the reading finds nothing). Where:

- `build-gradescope` and `build-student` refuse to write when it finds anything (grader/
  authoring/release.py; `--force` writes anyway and says so); they grade the files as the
  Gradescope zip holds them, rewritten problems.yaml included, with the zip's own grader;
- `batch` checks once at its start (grader/cli.py, before grader/instructor/batch.py runs),
  grading in its own process and the repository's layout, as it grades (`--grade-anyway`
  grades anyway);
- `stubs` and `notebook` print the static findings as warnings: a set being written may well
  have references before it has cases;
- tests/authoring/test_audit.py holds examples/attention to it, and the tutorial to the
  static check (the release tests build the tutorial's archives, checked as any).

Not in grader/problems.py's `load`, though the static check would cost it little (about 20 ms
for the tutorial): `load` runs for every submission Gradescope grades, from a zip already
checked when it was built, and in the student bundle, which ships problems.py without the
hidden cases or the reference code, so the check would fail there by design.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.problems import Problem, ProblemSet, load

STUDENT = "student"  # the fixture every case calls the submission through
_CASE_FOLDERS = ("public", "hidden")


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a set: where (a file, with a line when known), the problem, the
    case (a case function, or a key of problems.yaml), and what."""

    where: str
    problem: str | None
    case: str | None
    message: str
    key: str | None = None  # a problems.yaml key, instead of a case

    def __str__(self) -> str:
        parts = [self.where]
        if self.problem is not None:
            parts.append(f"problem {self.problem!r}")
        if self.key is not None:
            parts.append(f"{self.key!r}")
        if self.case is not None:
            parts.append(f"case {self.case}")
        return ": ".join([*parts, self.message])


class Unsound(Exception):
    """The set fails its check; `findings` says where and why."""

    def __init__(self, findings: Iterable[Finding], what: str = "the exercise set") -> None:
        self.findings = tuple(findings)
        lines = "\n".join(f"  {finding}" for finding in self.findings)
        super().__init__(f"{what} fails its check ({len(self.findings)} findings):\n{lines}")


def check(problems: ProblemSet, *, archive: bool = True) -> list[Finding]:
    """Everything `static` finds or, when it finds nothing, everything `graded` finds."""
    return static(problems) or graded(problems, archive=archive)


# ------------------------------------------------------------------- Reading, not running


def static(problems: ProblemSet) -> list[Finding]:
    """What reading the set's references and cases finds (see the module docstring)."""
    findings = list(_targets_defined(problems))
    files = _case_files(problems)
    if not files:
        return [
            *findings,
            Finding(problems.path.name, None, None,
                    f"{problems.cases_dir} holds no case files in public/ or hidden/", key="cases"),
        ]  # fmt: skip
    called: dict[str, set[str]] = {}  # problem id -> the targets its cases call
    for path in files:
        for finding, problem_id, calls in _read_cases(path, problems):
            if finding is not None:
                findings.append(finding)
            if problem_id is not None:
                called.setdefault(problem_id, set()).update(calls)
    for problem in problems.problems:
        if not problem.graded:
            continue
        if problem.id not in called:
            findings.append(
                Finding(
                    problems.path.name,
                    problem.id,
                    None,
                    f"no case in {_relative(problems.cases_dir, problems)} is marked "
                    f'@pytest.mark.problem("{problem.id}"): it would score 0 for everyone',
                    key="id",
                )  # fmt: skip
            )
            continue
        for target in problem.targets:
            if target not in called[problem.id]:
                findings.append(
                    Finding(problems.path.name, problem.id, None,
                            f"{target} is called by none of the problem's cases "
                            f"(as student.{target}(...)): nothing grades it", key="targets")
                )  # fmt: skip
    return findings


def _targets_defined(problems: ProblemSet) -> Iterator[Finding]:
    """Each target defined at the top level of its reference module."""
    defined: dict[str, dict[str, bool] | None] = {}
    for problem in problems.problems:
        for target in problem.targets:
            module, name = target.split(".")
            path = problems.solutions_dir / f"{module}.py"
            if module not in defined:
                defined[module] = _top_level_names(path)
            names = defined[module]
            shown = _relative(path, problems)
            if names is None:
                yield Finding(problems.path.name, problem.id, None,
                              f"{target}: there is no {shown}", key="targets")  # fmt: skip
            elif name not in names and "*" not in names:
                public = sorted(n for n, imported in names.items() if not imported and n[0] != "_")
                yield Finding(
                    problems.path.name, problem.id, None,
                    f"{target}: {shown} defines no {name} at its top level (it defines "
                    f"{', '.join(public) or 'nothing public'})", key="targets",
                )  # fmt: skip


def _top_level_names(path: Path) -> dict[str, bool] | None:
    """The names a module binds at its top level, each with whether an import binds it ("*"
    stands for any name: a star import, a module __getattr__, a module that does not parse);
    None if there is no such module."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except OSError:
        return None
    except SyntaxError:
        return {"*": True}  # grading it reports the error better than this could
    names: dict[str, bool] = {}
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = False
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update((n.id, False) for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.setdefault(alias.asname or alias.name.split(".")[0], True)
        elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for field in ("body", "orelse", "finalbody"):
                pending.extend(getattr(node, field, []))
            for handler in getattr(node, "handlers", []):
                pending.extend(handler.body)
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            names["*"] = True  # a module __getattr__ may answer any name
    return names


def _case_files(problems: ProblemSet) -> list[Path]:
    """The case files pytest collects in public/ and hidden/ (test_*.py, *_test.py)."""
    found: list[Path] = []
    for folder in _CASE_FOLDERS:
        root = problems.cases_dir / folder
        if root.is_dir():
            found += sorted(
                path
                for path in root.rglob("*.py")
                if (path.name.startswith("test_") or path.name.endswith("_test.py"))
                and "__pycache__" not in path.parts
            )
    return found


def _read_cases(
    path: Path, problems: ProblemSet
) -> Iterator[tuple[Finding | None, str | None, set[str]]]:
    """For each case function of one file: a finding or None, its problem id (None when it has
    none that can be read), and the targets it calls."""
    shown = _relative(path, problems)
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        yield (
            Finding(f"{shown}:{exc.lineno}", None, None, f"not valid Python: {exc.msg}"),
            None,
            set(),
        )
        return
    helpers = {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and not node.name.startswith("test")
    }
    module_marks = _module_marks(tree)
    for function, class_marks in _case_functions(tree):
        marked = _problem_marks(function.decorator_list) or class_marks or module_marks
        problem_id = marked[0] if marked else None
        problem = next((p for p in problems.problems if p.id == problem_id), None)
        calls: set[str] = set()
        if not marked:
            why = 'has no @pytest.mark.problem("<id>"): no problem would score it'
        elif problem_id is None:
            continue  # not a literal: nothing to check it against
        elif problem is None:
            known = ", ".join(p.id for p in problems.problems if p.graded)
            why = (
                f"is marked with a problem {problems.path.name} lacks (its code problems: {known})"
            )
        elif not problem.graded:
            why = "is marked with a written problem: those are graded by hand, not by cases"
        else:
            calls = _calls(function, {STUDENT}, helpers, set())
            bad = sorted({c for c in calls if c not in problem.targets})
            why = _not_targets(bad, problem, problems) if bad else ""
        finding = Finding(f"{shown}:{function.lineno}", problem_id, function.name, why)
        counted = problem_id if problem is not None and problem.graded else None
        yield (finding if why else None), counted, calls


def _not_targets(bad: list[str], problem: Problem, problems: ProblemSet) -> str:
    notes = []
    for call in bad:
        others = [p.id for p in problems.problems if call in p.targets]
        where = f"; it is a target of problem {', '.join(map(repr, others))}" if others else ""
        notes.append(f"student.{call}{where}")
    return (
        f"calls {'; '.join(notes)}, not among the problem's targets "
        f"({', '.join(problem.targets)}): every student would get a grader error "
        "(fix the case, its mark, or the targets in problems.yaml)"
    )


def _case_functions(tree: ast.Module) -> Iterator[tuple[ast.FunctionDef, list[str | None]]]:
    """The case functions pytest would collect (test* functions, and test* methods of Test*
    classes), each with its class's problem marks."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            yield node, []  # type: ignore[misc]
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            marks = _problem_marks(node.decorator_list)
            for item in node.body:
                if isinstance(
                    item, (ast.FunctionDef, ast.AsyncFunctionDef)
                ) and item.name.startswith("test"):
                    yield item, marks  # type: ignore[misc]


def _module_marks(tree: ast.Module) -> list[str | None]:
    """The problem marks of a file's `pytestmark = ...` (one mark or a list of them)."""
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = node.value
            items = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
            return _problem_marks(items)
    return []


def _problem_marks(decorators: Iterable[ast.expr]) -> list[str | None]:
    """The ids of the `pytest.mark.problem(id)` among these expressions, in order; None for an
    id that is not a literal."""
    ids: list[str | None] = []
    for node in decorators:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "problem"
            and _ends_in_mark(node.func.value)
        ):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, (str, int)):
                ids.append(str(first.value))
            else:
                ids.append(None)
    return ids


def _ends_in_mark(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "mark") or (
        isinstance(node, ast.Name) and node.id == "mark"
    )


def _calls(
    function: ast.AST,
    roots: set[str],
    helpers: dict[str, ast.FunctionDef | ast.AsyncFunctionDef],
    seen: set[tuple[str, frozenset[str]]],
) -> set[str]:
    """The "module.name" of every `<root>.<module>.<name>` in `function` (and of
    `getattr(<root>.<module>, "<name>")`), and of those in the helpers it passes a root to."""
    found: set[str] = set()
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in roots
        ):
            found.add(f"{node.value.attr}.{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "getattr" and len(node.args) >= 2:
                owner, name = node.args[0], node.args[1]
                if (
                    isinstance(owner, ast.Attribute)
                    and isinstance(owner.value, ast.Name)
                    and owner.value.id in roots
                    and isinstance(name, ast.Constant)
                    and isinstance(name.value, str)
                ):
                    found.add(f"{owner.attr}.{name.value}")
            helper = helpers.get(node.func.id)
            if helper is not None:
                passed = _parameters_given(helper, node, roots)
                key = (helper.name, frozenset(passed))
                if passed and key not in seen:
                    seen.add(key)
                    found |= _calls(helper, passed, helpers, seen)
    return found


def _parameters_given(
    helper: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, roots: set[str]
) -> set[str]:
    """The helper's parameters that this call passes one of `roots` to."""
    positional = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
    given = set()
    for index, argument in enumerate(call.args):
        if isinstance(argument, ast.Name) and argument.id in roots and index < len(positional):
            given.add(positional[index])
    for keyword in call.keywords:
        if isinstance(keyword.value, ast.Name) and keyword.value.id in roots and keyword.arg:
            given.add(keyword.arg)
    return given


def _relative(path: Path, problems: ProblemSet) -> str:
    try:
        return path.resolve().relative_to(problems.root).as_posix()
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------- Grading


def graded(problems: ProblemSet, *, archive: bool = True) -> list[Finding]:
    """What grading the references and the generated stubs finds (see the module docstring).

    `archive` grades the files as the Gradescope zip holds them (with the zip's own grader and
    rewritten problems.yaml, at the zip's paths), in a child process, for the builds (about a
    second for the tutorial). Otherwise they are graded in the repository's layout in this
    process, as a batch grades: that also imports and collects what the batch's warm-up would.
    """
    from grader.authoring import stubs

    with tempfile.TemporaryDirectory(prefix=f"{problems.name}-audit-") as folder:
        work = Path(folder)
        stub_dir = work / "stubs"
        stub_dir.mkdir()
        for name, text in stubs.render_all(problems).items():
            (stub_dir / name).write_text(text, encoding="utf-8")
        if not archive:
            return _judge(problems, _report(problems, problems.solutions_dir, stub_dir))
        report = _report_from_archive(problems, work / "source", stub_dir)
    if isinstance(report, str):
        return [Finding(problems.path.name, None, None, f"grading the references failed: {report}")]
    return _judge(problems, report)


def _report_from_archive(problems: ProblemSet, source: Path, stubs: Path) -> dict[str, Any] | str:
    """Lay the Gradescope zip's files out in `source` and grade there, with the zip's grader
    and problems.yaml, in a child process: its report, or what the child printed on failing."""
    from grader.authoring import release

    for member in release.gradescope_members(problems):
        target = source / member.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(member.data)
    shipped = source / "problems.yaml"
    out = source.parent / "graded.json"
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("TUTORIAL9_SUBMISSION", "PYTEST_ADDOPTS"):
        env.pop(name, None)
    code = "import sys; from grader.authoring import audit; audit._child(*sys.argv[1:])"
    references = source / problems.solutions_package
    run = subprocess.run(
        [sys.executable, "-c", code, str(shipped), str(references), str(stubs), str(out)],
        cwd=source, env=env, capture_output=True, text=True,
        timeout=2 * problems.limits.budget + 60,
    )  # fmt: skip
    if run.returncode != 0 or not out.is_file():
        return (run.stdout + run.stderr)[-2000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _judge(problems: ProblemSet, report: dict[str, Any]) -> list[Finding]:
    """Findings from a `_report`: every reference failure, every public case the stubs pass,
    every case the grader could not run against the stubs."""

    def where(relative: str) -> str:  # the report's files are relative to the cases folder
        return f"{problems.cases}/{relative}" if relative else problems.cases

    findings = []
    for fault in report["references"]["faults"]:
        findings.append(Finding(problems.path.name, None, None, f"grading the references: {fault}"))
    for outcome in report["references"]["outcomes"]:
        if outcome["passed"]:
            continue
        what = (
            "the case itself fails against the references (a typo in the case?)"
            if outcome["grader_error"]
            else "the references fail it"
        )
        findings.append(_outcome_finding(outcome, where, f"{what}: {outcome['message']}"))
    for outcome in report["stubs"]["outcomes"]:
        if outcome["visible"] and outcome["passed"]:
            findings.append(
                _outcome_finding(
                    outcome,
                    where,
                    "the stubs pass this public case: it tests nothing a student writes",
                )  # fmt: skip
            )
        elif outcome["grader_error"]:
            findings.append(
                _outcome_finding(outcome, where,
                                 f"the case itself fails against the stubs: {outcome['message']}")
            )  # fmt: skip
    return findings


def _outcome_finding(outcome: dict[str, Any], where: Callable[[str], str], message: str) -> Finding:
    place = where(outcome["file"])
    if outcome["line"]:
        place = f"{place}:{outcome['line']}"
    return Finding(place, outcome["problem"], outcome["case"], message)


def _child(problems_path: str, references: str, stubs: str, out: str) -> None:
    """Child side of `graded`: grade the references and the stubs with this process's grader,
    and write each case's outcome with the file and function it comes from."""
    report = _report(load(problems_path), Path(references), Path(stubs))
    Path(out).write_text(json.dumps(report), encoding="utf-8")


def _report(problems: ProblemSet, references: Path, stubs: Path) -> dict[str, Any]:
    """Grade the references and the stubs; each case's outcome, with the file (relative to
    the cases folder) and function it comes from."""
    from grader.grading import plugin
    from grader.grading.pipeline import grade

    report = {}
    for name, folder in (("references", references), ("stubs", stubs)):
        results = grade(Path(folder), problems, trust=True)  # the author's own code
        report[name] = {
            "outcomes": [
                {
                    "problem": t.outcome.problem,
                    "case": t.outcome.name,
                    "visible": t.outcome.visible,
                    "passed": t.outcome.passed,
                    "grader_error": t.outcome.grader_error,
                    "message": t.outcome.message,
                }
                for t in results.tests
            ],
            "faults": [*results.faults, *(f"problem {p.problem.id}: no grading cases ran"
                                          for p in results.problems if not p.tests)],
        }  # fmt: skip
    places = {}
    collected = plugin.collect(problems.cases_dir, problems)
    for case in collected.cases:
        code = case.function.__code__
        try:
            relative = Path(code.co_filename).resolve().relative_to(problems.cases_dir.resolve())
        except ValueError:
            relative = Path(code.co_filename)
        places[(case.problem, case.name)] = (
            relative.as_posix(),
            _def_line(code.co_filename, code.co_firstlineno),
            case.function.__name__,
        )
    for entry in report.values():
        for outcome in entry["outcomes"]:
            file, line, function = places.get((outcome["problem"], outcome["case"]), ("", 0, ""))
            outcome.update(file=file, line=line)
            if function:
                outcome["case"] = f"{function} ({outcome['case']})"
    return report


def _def_line(filename: str, first: int) -> int:
    """The line of a function's `def` (its code starts at its first decorator)."""
    try:
        lines = Path(filename).read_text(encoding="utf-8").splitlines()
    except OSError:
        return first
    for number in range(first, len(lines) + 1):
        if lines[number - 1].lstrip().startswith(("def ", "async def ")):
            return number
    return first
