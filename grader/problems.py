"""Load and validate problems.yaml into typed, frozen objects.

This is the only module that reads the raw YAML. Every error names the file, the problem and
the key, so an instructor can fix a typo without reading a traceback.
"""

from __future__ import annotations

import functools
import re
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

from grader.checking import examples
from grader.checking.examples import Example

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "problems.yaml"
SCHEMA_VERSION = 1
KINDS = ("code", "written")

# The time policy that the budget must cover (grader/grading/session.py and
# grader/sandbox/supervisor.py apply it).
CRASHES = 2  # crashes after which a function is given up; a crash after `timeout` seconds
# of wall-clock time, like one timeout, gives it up at once
STARTUP = 1.0  # wall-clock seconds allowed per worker (re)start in the worst case
OVERHEAD = 20.0  # wall-clock seconds of grading besides student code: cases, comparisons

_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_PACKAGE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TARGET = re.compile(r"^([a-z_][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$")
_FOLDERS = {  # key -> (default, what it holds), each relative to problems.yaml's folder
    "solutions": ("solutions", "the reference package (the cases import it by this name)"),
    "cases": ("cases", "the grading cases, in public/ and hidden/"),
    "exercises": ("exercises", "the generated student stubs and notebook"),
}
# The written problems' model answers and rubrics, relative to problems.yaml's folder: by
# default beside it. Never shipped to students; only `python -m grader answers` reads it.
ANSWERS = "answers.md"


class ProblemsError(ValueError):
    """problems.yaml is malformed; the message says where."""


@dataclass(frozen=True)
class Limits:
    """Grading limits; problems inherit the file's and may override all but `budget`."""

    timeout: float = 1.0  # CPU seconds for one call of student code (see `backstop`)
    memory: int = 1024  # MiB of address space for student code
    budget: float = 300.0  # wall-clock seconds for the whole submission: a last backstop
    rtol: float = 1e-4
    atol: float = 1e-5


@dataclass(frozen=True)
class Problem:
    """One problem of the set: auto-graded code, or a written answer graded by hand."""

    id: str
    title: str
    statement: str  # Markdown with LaTeX
    kind: str  # "code" (auto-graded) or "written" (graded by hand)
    points: float
    targets: tuple[str, ...]  # "module.name" of every exercise the problem grades
    limits: Limits
    returns_new_arrays: bool = False  # results must not share memory with any input
    when_slow: str = ""  # what to do about a call over its CPU time; "" for the general advice
    # Public counterexamples, tried in order when a case fails (grader/checking/examples.py):
    # target ("module.name") -> the calls declared for it.
    examples: tuple[tuple[str, Example], ...] = ()

    def examples_for(self, target: str) -> tuple[Example, ...]:
        """The declared examples that call `target`, in the order written."""
        return tuple(example for name, example in self.examples if name == target)

    @property
    def graded(self) -> bool:
        """Whether the grader scores this problem (written ones are graded by hand)."""
        return self.kind == "code"


@dataclass(frozen=True)
class ProblemSet:
    """The whole exercise set, problems in the file's order."""

    title: str
    problems: tuple[Problem, ...]
    limits: Limits
    path: Path
    packages: tuple[str, ...] = ()  # what student code may import, beyond the standard library
    solutions: str = "solutions"  # folders relative to `root` (see _FOLDERS)
    cases: str = "cases"
    exercises: str = "exercises"
    name: str = "exercises"  # short name: the notebook is <name>.ipynb, the bundle <name>/
    answers: str = ANSWERS  # the model answers' file, relative to `root`

    @property
    def answers_path(self) -> Path:
        """The written problems' model answers and rubrics (`## <id>` sections, each with a
        `### Rubric`); it may be absent where only the problems are needed, as in a student
        bundle (see `model_answers_path`)."""
        return self.root / self.answers

    def model_answers_path(self) -> Path | None:
        """`answers_path` for reading the model answers; None when the set has no written
        problem.

        Raises:
            ProblemsError: the set has written problems and the file does not exist.
        """
        written = [p.id for p in self.problems if not p.graded]
        if not written:
            return None
        if not self.answers_path.is_file():
            raise ProblemsError(
                f"{self.path.name}: 'answers': no file {self.answers_path} (the model answers "
                f"of the written problems {', '.join(written)}); write it, or point 'answers' "
                "at it"
            )
        return self.answers_path

    @property
    def notebook_name(self) -> str:
        return f"{self.name}.ipynb"

    @property
    def root(self) -> Path:
        """The folder of problems.yaml, which the other folders are relative to."""
        return self.path.resolve().parent

    @property
    def solutions_dir(self) -> Path:
        return self.root / self.solutions

    @property
    def solutions_package(self) -> str:
        """The import name of the reference package (its folder's name)."""
        return Path(self.solutions).name

    @property
    def cases_dir(self) -> Path:
        return self.root / self.cases

    @property
    def exercises_dir(self) -> Path:
        return self.root / self.exercises

    @functools.cached_property
    def modules(self) -> tuple[str, ...]:
        """The student modules, in first-use order: "layers" for the target `layers.dense`."""
        return tuple(dict.fromkeys(t.split(".")[0] for t in self.targets))

    @property
    def allowed(self) -> str:
        """What student code may import, for messages: "numpy and Python's standard library"."""
        names = [*self.packages, "Python's standard library"]
        return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"

    def problem(self, problem_id: str) -> Problem:
        """The problem with this id; KeyError names the known ids."""
        for problem in self.problems:
            if problem.id == problem_id:
                return problem
        known = ", ".join(p.id for p in self.problems)
        raise KeyError(f"no problem {problem_id!r} in {self.path.name} (known: {known})")

    @functools.cached_property
    def targets(self) -> tuple[str, ...]:
        """Every graded "module.name", in first-use order."""
        return tuple(dict.fromkeys(t for p in self.problems for t in p.targets))

    def module_timeout(self, module: str) -> float:
        """CPU seconds for importing `module`: the largest timeout of the problems grading it
        (a demo at its top level may call any of its functions once)."""
        return max(
            (
                p.limits.timeout
                for p in self.problems
                if any(t.startswith(f"{module}.") for t in p.targets)
            ),
            default=self.limits.timeout,
        )

    def worst_case(self) -> float:
        """Wall-clock seconds of grading a submission that fails as slowly as the limits allow.

        Every module's import reaches its wall-clock backstop; every function crashes once
        just inside its timeout and then reaches its backstop (after which it is given up);
        every one of those kills costs a worker restart; plus the grading besides.
        """
        modules = {t.split(".")[0] for t in self.targets}
        imports = sum(backstop(self.module_timeout(m)) for m in modules)
        calls = 0.0
        for target in self.targets:
            timeout = max(p.limits.timeout for p in self.problems if target in p.targets)
            calls += timeout + backstop(timeout)
        restarts = len(modules) + CRASHES * len(self.targets)
        return imports + calls + restarts * STARTUP + OVERHEAD

    def first_problem_of(self, target: str) -> Problem:
        """The first problem that grades `target` (stubs name it)."""
        for problem in self.problems:
            if target in problem.targets:
                return problem
        raise KeyError(f"no problem grades {target!r}")


def backstop(timeout: float) -> float:
    """Wall-clock seconds a request with a CPU-time limit of `timeout` may take: room for a
    loaded machine, and the bound on code that sleeps or blocks instead of computing."""
    return 3 * timeout + 2


def load(path: Path | str = DEFAULT_PATH) -> ProblemSet:
    """Read and validate a problems file.

    Raises:
        ProblemsError: the file is missing, not YAML, or breaks the schema; the message names
            the file, the problem id and the key.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProblemsError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ProblemsError(f"{path}: not valid YAML: {exc}") from None
    return parse(raw, path)


def parse(raw: Any, path: Path) -> ProblemSet:
    """Validate an already-parsed YAML document (see `load`)."""
    where = path.name
    keys = {"schema_version", "name", "title", "packages", "limits", "problems", "answers"}
    keys |= set(_FOLDERS)
    top = _mapping(raw, where, keys)
    if top.get("schema_version") != SCHEMA_VERSION:
        raise ProblemsError(
            f"{where}: 'schema_version' must be {SCHEMA_VERSION}, got {top.get('schema_version')!r}"
        )
    title = _text(top, "title", where)
    name = top.get("name", path.resolve().parent.name)
    if not isinstance(name, str) or not _ID.match(name):
        raise ProblemsError(
            f"{where}: 'name' must be a short name of letters, digits, '_' or '-' (it names "
            f"the notebook and the student bundle), got {name!r}"
        )
    packages = _packages(top.get("packages", []), where)
    limits = _limits(top.get("limits", {}), Limits(), f"{where}: 'limits'", allow_budget=True)
    items = top.get("problems")
    if not isinstance(items, list) or not items:
        raise ProblemsError(f"{where}: 'problems' must be a non-empty list")
    problems = tuple(_problem(item, i, limits, where, packages) for i, item in enumerate(items))
    seen: set[str] = set()
    for problem in problems:
        if problem.id in seen:
            raise ProblemsError(f"{where}: problem {problem.id!r}: duplicate 'id'")
        seen.add(problem.id)
    folders = {key: _folder(top, key, where) for key in _FOLDERS}
    answers = _answers(top.get("answers", ANSWERS), where)
    loaded = ProblemSet(
        title, problems, limits, path, packages, **folders, name=name, answers=answers
    )
    worst = loaded.worst_case()
    if limits.budget < worst:
        raise ProblemsError(
            f"{where}: 'limits': 'budget' ({limits.budget:g} s) must cover the slowest grading "
            f"the timeouts allow ({worst:.0f} s: every import and every function reaching its "
            "time limit); raise the budget or lower the timeouts"
        )
    return loaded


def _packages(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(p, str) and _PACKAGE.match(p) for p in raw):
        raise ProblemsError(
            f"{where}: 'packages' must list the import names of the packages student code may "
            f"use besides the standard library, e.g. [numpy], got {raw!r}"
        )
    if len(set(raw)) != len(raw):
        raise ProblemsError(f"{where}: 'packages' lists a package twice: {raw!r}")
    return tuple(raw)


def _folder(top: dict[str, Any], key: str, where: str) -> str:
    default, holds = _FOLDERS[key]
    value = top.get(key, default)
    parts = Path(value).parts if isinstance(value, str) else ()
    if not parts or Path(value).is_absolute() or ".." in parts:
        raise ProblemsError(
            f"{where}: '{key}' must be a folder below the one holding {where} ({holds}), "
            f"got {value!r}"
        )
    if key == "solutions" and not parts[-1].isidentifier():
        raise ProblemsError(
            f"{where}: 'solutions' must end in a folder whose name Python can import "
            f"(letters, digits, '_'), got {value!r}"
        )
    return Path(value).as_posix()


def _answers(value: Any, where: str) -> str:
    parts = Path(value).parts if isinstance(value, str) else ()
    if not parts or Path(value).is_absolute() or ".." in parts:
        raise ProblemsError(
            f"{where}: 'answers' must be a file below the folder holding {where} (the written "
            f"problems' model answers, {ANSWERS} beside it by default), got {value!r}"
        )
    return Path(value).as_posix()


def _problem(
    raw: Any, index: int, defaults: Limits, where: str, packages: tuple[str, ...]
) -> Problem:
    keys = {
        *("id", "title", "statement", "kind", "points", "targets", "limits"),
        *("returns_new_arrays", "when_slow", "examples"),
    }
    item = _mapping(raw, f"{where}: problem #{index + 1}", keys)
    problem_id = item.get("id")
    if isinstance(problem_id, int) and not isinstance(problem_id, bool):
        problem_id = str(problem_id)  # YAML reads `id: 2` as a number
    if not isinstance(problem_id, str) or not _ID.match(problem_id):
        raise ProblemsError(
            f"{where}: problem #{index + 1}: 'id' must be letters, digits, '_' or '-' "
            f"(no dots), got {problem_id!r}"
        )
    at = f"{where}: problem {problem_id!r}"
    kind = item.get("kind")
    if kind not in KINDS:
        raise ProblemsError(f"{at}: 'kind' must be one of {', '.join(KINDS)}, got {kind!r}")
    points = item.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ProblemsError(f"{at}: 'points' must be a number > 0, got {points!r}")
    targets = item.get("targets", [])
    if kind == "written" and targets:
        raise ProblemsError(f"{at}: 'targets' is only for code problems")
    if kind == "code":
        if not isinstance(targets, list) or not targets:
            raise ProblemsError(
                f"{at}: 'targets' must list the exercises graded, e.g. layers.dense"
            )
        for target in targets:
            match = _TARGET.match(target) if isinstance(target, str) else None
            if not match:
                raise ProblemsError(
                    f"{at}: 'targets': {target!r} is not module.name (a lower-case module "
                    "name, a dot, and the name defined in it), e.g. layers.dense"
                )
            module = match.group(1)
            if module in packages or module in sys.stdlib_module_names or module == "grader":
                raise ProblemsError(
                    f"{at}: 'targets': {target!r}: a student module named {module}.py would "
                    "hide the module of that name that Python or the grader imports; rename it"
                )
    limits = _limits(item.get("limits", {}), defaults, f"{at}: 'limits'", allow_budget=False)
    new_arrays = item.get("returns_new_arrays", False)
    if type(new_arrays) is not bool:
        raise ProblemsError(f"{at}: 'returns_new_arrays' must be true or false, got {new_arrays!r}")
    if new_arrays and kind != "code":
        raise ProblemsError(f"{at}: 'returns_new_arrays' is only for code problems")
    when_slow = item.get("when_slow", "")
    if "when_slow" in item and (not isinstance(when_slow, str) or not when_slow.strip()):
        raise ProblemsError(
            f"{at}: 'when_slow' must be non-empty text (the advice for a call that uses up "
            f"its CPU time), got {when_slow!r}"
        )
    if when_slow and kind != "code":
        raise ProblemsError(f"{at}: 'when_slow' is only for code problems")
    return Problem(
        id=problem_id,
        title=_text(item, "title", at),
        statement=_text(item, "statement", at),
        kind=kind,
        points=float(points),
        targets=tuple(targets),
        limits=limits,
        returns_new_arrays=new_arrays,
        when_slow=when_slow.strip(),
        examples=_examples(item.get("examples", []), tuple(targets), at),
    )


def _examples(raw: Any, targets: tuple[str, ...], at: str) -> tuple[tuple[str, Example], ...]:
    """Each declared example, parsed, with the target it calls (by the target's bare name)."""
    if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
        raise ProblemsError(f"{at}: 'examples' must list calls written as text, got {raw!r}")
    if raw and not targets:
        raise ProblemsError(f"{at}: 'examples' is only for code problems")
    by_name: dict[str, list[str]] = {}
    for target in targets:
        by_name.setdefault(target.rsplit(".", 1)[1], []).append(target)
    found = []
    for number, text in enumerate(raw, 1):
        try:
            example = examples.parse(text)
        except examples.ExampleError as exc:
            raise ProblemsError(f"{at}: 'examples' #{number} ({text.strip()}): {exc}") from None
        called = by_name.get(example.function, [])
        if len(called) != 1:
            raise ProblemsError(
                f"{at}: 'examples' #{number} ({example.text}): {example.function} is "
                + ("not one of this problem's targets" if not called else "ambiguous")
                + f" ({', '.join(targets)})"
            )
        found.append((called[0], example))
    return tuple(found)


def _limits(raw: Any, base: Limits, at: str, *, allow_budget: bool) -> Limits:
    names = {f.name for f in fields(Limits)} - (set() if allow_budget else {"budget"})
    if not allow_budget and isinstance(raw, dict) and "budget" in raw:
        raise ProblemsError(f"{at}: 'budget' is for the whole submission: set it at the top level")
    values = _mapping(raw, at, names)
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ProblemsError(f"{at}: '{key}' must be a number > 0, got {value!r}")
    if "memory" in values:
        values["memory"] = int(values["memory"])
    return replace(base, **{k: v for k, v in values.items()})


def _mapping(raw: Any, at: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ProblemsError(f"{at}: expected a mapping, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise ProblemsError(
            f"{at}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )
    return dict(raw)


def _text(raw: dict[str, Any], key: str, at: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProblemsError(f"{at}: '{key}' must be non-empty text")
    return value
