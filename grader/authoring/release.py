"""What leaves the repository: the Gradescope autograder zip and the student bundle.

    python -m grader build-gradescope --out autograder.zip
    python -m grader build-student --out tutorial9-student.zip
    python -m grader build-student --problems examples/attention/problems.yaml --out set.zip

Both are built from one problems.yaml and the folders it names, for any exercise set.

The autograder zip holds what grading needs and nothing else: setup.sh and run_autograder at
its root (LF endings, executable), requirements.txt with pinned versions, pyproject.toml, the
grader package, the set's reference package (at <package>/) and cases (kept in grader/cases
when they are the grader's own, else at cases/), and the set's problems.yaml at the root with
its folder keys rewritten to point there (run_autograder grades with that file).

The student bundle, under the folder <name>/, holds the stubs and the notebook, the set's
public cases under grader/cases/public with the files they import (grader/checking/expect.py,
grader/problems.py, grader/cases/conftest.py), problems.yaml (its folders rewritten to the
bundle's layout), a README, requirements.txt, pytest.ini and a GitHub Classroom workflow. The
public cases take their expected values from the reference package; the bundle's package of
that name serves values recorded by running the public cases against the references at build
time (see templates/recorded.py), so no reference code ships. Both archives are
deterministic: sorted members with fixed timestamps.

Neither is written from a set that fails its check (grader/authoring/audit.py: the cases call
only their problems' targets, the references score full marks as the zip grades them, the
stubs pass no public case) unless forced (`--force`), which still lists what it found.

It also holds the one piece of Gradescope run-time policy, the optional submission limit read
from /autograder/submission_metadata.json.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib
import importlib.util
import inspect
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from grader.authoring import audit, notebook, stubs
from grader.problems import DEFAULT_PATH, ProblemsError, ProblemSet, load, parse
from grader.results import formats

ROOT = stubs.ROOT  # the engine's project: grader/, pyproject.toml, the top-level conftest.py
GRADER = ROOT / "grader"
OWN_CASES = GRADER / "cases"  # the student-side conftest's folder; the tutorial's cases too
TEMPLATES = Path(__file__).resolve().parent / "templates"
VENV = "/opt/tutorial9-venv"  # outside /autograder/source, which run_autograder locks to root
SANDBOX_USER = "tutorial9-sandbox"  # the name grader/sandbox/isolation.py looks up
# Where the student bundle keeps the public cases: grader/selfcheck/command.py and
# grader/cases/conftest.py
# look for them there, next to the conftest that gives them their fixtures.
BUNDLE_CASES = "grader/cases"
# What the public checks need of grader/, in the student bundle: whole packages (reading and
# running a submission as the grader does, the verdicts, calling the student's code, the checks
# themselves), the problem set and the cases' conftest. A test holds the bundle to importing
# only what it ships.
STUDENT_PACKAGES = ("intake", "runtime", "checking", "calling", "selfcheck")
STUDENT_MODULES = ("problems.py", "cases/__init__.py", "cases/conftest.py")


def student_grader_files() -> list[str]:
    """The files of grader/ that the student bundle ships, relative to grader/."""
    names = list(STUDENT_MODULES)
    for package in STUDENT_PACKAGES:
        names += sorted(
            path.relative_to(GRADER).as_posix() for path in (GRADER / package).glob("*.py")
        )
    return names


# The versions this project is developed and tested with. numpy 2.3 and later need Python
# 3.11, and Gradescope's default image runs 3.10, so 3.10 gets the last numpy that supports it.
NUMPY_PINS = (
    'numpy==2.4.6; python_version >= "3.11"',
    'numpy==2.2.6; python_version < "3.11"',
)
GRADER_PINS = (*NUMPY_PINS, "pytest==9.0.3", "pyyaml==6.0.3", "nbformat==5.11.1")
STUDENT_PINS = (*NUMPY_PINS, "pytest==9.0.3", "pyyaml==6.0.3")

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest zip time: reproducible archives


class ReleaseError(Exception):
    """An archive cannot be built; the message says why."""


@dataclass(frozen=True)
class Member:
    """One file of an archive."""

    name: str  # path inside the archive, with "/"
    data: bytes
    executable: bool = False


@dataclass(frozen=True)
class Archive:
    """A written archive."""

    path: Path
    members: tuple[str, ...]
    size: int  # bytes on disk
    findings: tuple[audit.Finding, ...] = ()  # what the set's check found, written with --force


@dataclass(frozen=True)
class SubmissionLimit:
    """At most `count` graded submissions per `hours` (a sliding window)."""

    count: int
    hours: float


# ------------------------------------------------------------------------------ Gradescope


def gradescope_members(
    problems: ProblemSet | None = None, limit: SubmissionLimit | None = None
) -> list[Member]:
    """The autograder zip's files: scripts, pins, problems.yaml, grader, references, cases."""
    problems = problems or load(DEFAULT_PATH)
    package, cases = problems.solutions_package, _gradescope_cases(problems)
    if package in ("grader", cases.split("/")[0]):
        raise ReleaseError(
            f"{problems.path.name}: the reference package may not be named {package!r}: the "
            "autograder zip keeps the grader's package or the cases under that name"
        )
    grade_args = f"--submission-limit {limit.count} --limit-window {limit.hours:g}" if limit else ""
    run_autograder = _template("run_autograder", VENV=VENV, GRADE_ARGS=grade_args)
    members = [
        Member("setup.sh", _template("setup.sh", VENV=VENV, USER=SANDBOX_USER), True),
        Member("run_autograder", run_autograder, True),
        Member("requirements.txt", _requirements(GRADER_PINS)),
        Member("problems.yaml", shipped_problems(problems, solutions=package, cases=cases)),
        Member("pyproject.toml", (ROOT / "pyproject.toml").read_bytes()),
    ]
    own_cases = cases == BUNDLE_CASES
    for path in sorted(GRADER.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "__pycache__" in relative.parts or TEMPLATES in path.parents:
            continue
        if not own_cases and OWN_CASES in path.parents:
            continue  # another set's cases (the tutorial's) have no place in this zip
        members.append(Member(relative.as_posix(), path.read_bytes()))
    for path in _files(problems.solutions_dir, "*.py"):
        members.append(Member(f"{package}/{path.relative_to(problems.solutions_dir).as_posix()}",
                              path.read_bytes()))  # fmt: skip
    if not own_cases:
        for path in _files(problems.cases_dir, "*"):
            relative = path.relative_to(problems.cases_dir).as_posix()
            members.append(Member(f"{cases}/{relative}", path.read_bytes()))
    return members


def build_gradescope(
    out: Path,
    problems: ProblemSet | None = None,
    limit: SubmissionLimit | None = None,
    force: bool = False,
) -> Archive:
    """Write the Gradescope autograder zip of `problems` (the repository's problems.yaml by
    default) to `out`.

    Raises:
        audit.Unsound: the set fails its check (grader/authoring/audit.py) and `force` is not
            given; nothing is written. With `force`, the archive's `findings` list them.
    """
    problems = problems or load(DEFAULT_PATH)
    _require_references(problems)
    if not any((problems.cases_dir / kind).is_dir() for kind in ("public", "hidden")):
        raise ReleaseError(f"{problems.cases_dir} holds no public/ or hidden/ cases")
    members = gradescope_members(problems, limit)
    findings = _audited(problems, force)
    return dataclasses.replace(write_zip(out, members), findings=findings)


def _audited(problems: ProblemSet, force: bool) -> tuple[audit.Finding, ...]:
    """What the set's check finds: raises unless `force` when it finds anything."""
    findings = tuple(audit.check(problems))
    if findings and not force:
        raise audit.Unsound(findings, f"{problems.path}: the exercise set")
    return findings


def _gradescope_cases(problems: ProblemSet) -> str:
    """Where the zip keeps the set's cases: in place when they are the grader's own."""
    return BUNDLE_CASES if _same(problems.cases_dir, OWN_CASES) else "cases"


def _require_references(problems: ProblemSet) -> None:
    folder = problems.solutions_dir
    missing = [m for m in problems.modules if not (folder / f"{m}.py").is_file()]
    if missing:
        raise ReleaseError(f"{folder} lacks {', '.join(f'{m}.py' for m in missing)}")


def shipped_problems(problems: ProblemSet, **folders: str) -> bytes:
    """problems.yaml's text with its folder keys (`solutions`, `cases`, `exercises`) set to
    where an archive puts those folders; comments and everything else are kept as written.

    Raises:
        ReleaseError: the rewritten file does not load with those folders.
    """
    text = problems.path.read_text(encoding="utf-8").replace("\r\n", "\n")
    for key, value in folders.items():
        line = re.compile(rf"^{key}:[ \t]*[^#\n]*?(?P<comment>[ \t]+#[^\n]*)?$", re.MULTILINE)
        found = len(line.findall(text))
        if found > 1:
            raise ReleaseError(f"{problems.path}: '{key}' is set {found} times")
        if found:
            text = line.sub(lambda m, k=key, v=value: f"{k}: {v}{m['comment'] or ''}", text)
        else:
            text = text.rstrip("\n") + f"\n{key}: {value}\n"
    try:
        rewritten = parse(yaml.safe_load(text), problems.path)
    except (ProblemsError, yaml.YAMLError) as exc:
        raise ReleaseError(f"{problems.path}: cannot point its folders elsewhere: {exc}") from None
    wrong = [key for key, value in folders.items() if getattr(rewritten, key) != value]
    if wrong:
        raise ReleaseError(f"{problems.path}: could not rewrite {', '.join(wrong)}")
    return text.encode("utf-8")


def _files(folder: Path, pattern: str) -> list[Path]:
    """The files under `folder` matching `pattern`, sorted, without Python's caches."""
    return sorted(
        path
        for path in folder.rglob(pattern)
        if path.is_file()
        and "__pycache__" not in path.relative_to(folder).parts
        and path.suffix != ".pyc"
    )


def _same(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


# ------------------------------------------------------------------------- Student bundle


def student_members(problems: ProblemSet, recorded: dict[str, Any]) -> list[Member]:
    """The student bundle's files, under the folder <name>/ (problems.yaml's `name`)."""
    package = problems.solutions_package
    if package in ("grader", "exercises", ".github"):
        raise ReleaseError(
            f"{problems.path.name}: the reference package may not be named {package!r}: the "
            "student bundle keeps its own folder of that name"
        )
    stub_text = stubs.render_all(problems)
    files: dict[str, bytes] = {
        f"exercises/{name}": text.encode("utf-8") for name, text in stub_text.items()
    }
    files[f"exercises/{problems.notebook_name}"] = notebook.render(problems, stub_text).encode()
    files["grader/__init__.py"] = b'"""What the public checks need of the grader."""\n'
    for name in student_grader_files():
        files[f"grader/{name}"] = (GRADER / name).read_bytes()
    files["grader/__main__.py"] = _template("student-main.py")
    files["conftest.py"] = (ROOT / "conftest.py").read_bytes()
    for path in sorted((problems.cases_dir / "public").glob("*.py")):
        files[f"{BUNDLE_CASES}/public/{path.name}"] = path.read_bytes()
    files[f"{package}/__init__.py"] = (
        b'"""Recorded answers for the public cases, not reference code (see _recorded.py)."""\n'
    )
    files[f"{package}/_recorded.py"] = (TEMPLATES / "recorded.py").read_bytes()
    data = (json.dumps(recorded, separators=(",", ":")) + "\n").encode()
    files[f"{package}/recorded.json"] = data
    for module in problems.modules:
        files[f"{package}/{module}.py"] = _shim(module, package).encode()
    files["problems.yaml"] = shipped_problems(
        problems, solutions=package, cases=BUNDLE_CASES, exercises="exercises"
    )
    files["requirements.txt"] = _requirements(STUDENT_PINS)
    files["pytest.ini"] = _template("pytest.ini")
    files[".gitignore"] = _template("gitignore")
    files["README.md"] = student_readme(problems)
    files[".github/workflows/classroom.yml"] = classroom_workflow(problems).encode()
    return [Member(f"{problems.name}/{name}", data) for name, data in files.items()]


def build_student(out: Path, problems: ProblemSet | None = None, force: bool = False) -> Archive:
    """Write the student bundle to `out` (runs the public cases once to record answers).

    Raises:
        audit.Unsound: as `build_gradescope`: the bundle's stubs and public cases go to the
            students whose submissions the Gradescope zip grades, so the set is checked alike.
    """
    problems = problems or load(DEFAULT_PATH)
    _require_references(problems)
    findings = _audited(problems, force)
    members = student_members(problems, record_public_answers(problems))
    return dataclasses.replace(write_zip(out, members), findings=findings)


def student_readme(problems: ProblemSet) -> bytes:
    """The bundle's README: templates/student-README.md filled in from problems.yaml."""
    graded = [p.id for p in problems.problems if p.graded]
    written = [p.id for p in problems.problems if not p.graded]
    files = [f"`{m}.py`" for m in problems.modules]
    answers = "".join(f"## {pid}\n{_ANSWER if i == 0 else '...'}\n\n" for i, pid in
                      enumerate(written[:2]))  # fmt: skip
    return _template(
        "student-README.md",
        TITLE=problems.title,
        PACKAGES=problems.allowed,
        NAME=problems.name,
        PACKAGE=problems.solutions_package,
        MODULES=_words(files),
        COUNT=_count(len(files)),
        FIRST=graded[0],
        SECOND=graded[1] if len(graded) > 1 else graded[0],
        LIMITS=_limits(problems),
        WRITTEN=(
            f"The written problems ({_words(written)}) are graded by hand." if written else ""
        ),
        ANSWERS=answers.rstrip("\n") or "## <problem id>\n" + _ANSWER,
    )


_ANSWER = r"Your answer, in Markdown; $\LaTeX$ is fine."
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _count(n: int) -> str:
    return _NUMBERS[n] if n < len(_NUMBERS) else str(n)


def _words(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _limits(problems: ProblemSet) -> str:
    """The CPU time a call may use: "1 second of CPU time (10 seconds for `train`)"."""

    def seconds(value: float) -> str:
        return f"{value:g} second{'' if value == 1 else 's'}"

    default = problems.limits.timeout
    others = [
        f"{seconds(p.limits.timeout)} for " + _words([f"`{t.split('.')[1]}`" for t in p.targets])
        for p in problems.problems
        if p.graded and p.limits.timeout != default
    ]
    return f"{seconds(default)} of CPU time" + (f" ({'; '.join(others)})" if others else "")


def classroom_workflow(problems: ProblemSet) -> str:
    """The Classroom workflow: one command-grader step per code problem, named by its command.

    Each step is worth its problem's points (whole numbers, scaled as the `classroom` format
    does when they are not) when the problem's public cases all pass; its step id is the
    problem's runner name from grader.results.formats.classroom_runners.
    """
    graded = {p.id: p for p in problems.problems if p.graded}
    factor = formats.classroom_scale([p.points for p in graded.values()])
    steps, env, runners = [], [], []
    for runner, problem_id in formats.classroom_runners(problems):
        command = public_check_command(problem_id)
        steps.append(
            f"""
      - name: {json.dumps(f"problem {problem_id}")}
        id: {runner}
        uses: classroom-resources/autograding-command-grader@v1
        with:
          test-name: {json.dumps(command)}
          command: {json.dumps(command)}
          timeout: 10
          max-score: {round(graded[problem_id].points * factor)}
"""
        )
        output = f"${{{{steps.{runner}.outputs.result}}}}"
        env.append(f'          {runner.upper()}_RESULTS: "{output}"')
        runners.append(runner)
    text = (TEMPLATES / "classroom.yml").read_text(encoding="utf-8")
    text = text.replace("@@STEPS@@\n", "".join(steps))
    text = text.replace("@@ENV@@", "\n".join(env)).replace("@@RUNNERS@@", ",".join(runners))
    return text


def public_check_command(problem_id: str) -> str:
    """The command that runs one problem's public cases (see --problem in cases/conftest.py)."""
    return f"python -m pytest grader/cases/public --problem {problem_id}"


def _shim(module: str, package: str) -> str:
    return (
        f'"""Recorded answers of the public cases for {module}.py: not reference code."""\n\n'
        f"from {package}._recorded import Recorded\n\n"
        f'_RECORDED = Recorded("{module}")\n\n\n'
        "def __getattr__(name: str):\n"
        "    return _RECORDED.attribute(name)\n"
    )


# ------------------------------------------------------------- Recording the public answers


def record_public_answers(problems: ProblemSet | None = None) -> dict[str, Any]:
    """Run the set's public cases against its references and return every value they took
    from them.

    Runs in a child process so that this one imports neither the references nor the cases.

    Raises:
        ReleaseError: a public case fails against the references (nothing sound to record).
    """
    from grader.selfcheck.options import SUBMISSION_ENV

    problems = problems or load(DEFAULT_PATH)
    with tempfile.TemporaryDirectory(prefix="tutorial9-record-") as folder:
        out = Path(folder) / "recorded.json"
        # The set's folder first: its reference package is imported by name, and the engine's
        # project may hold a package of the same name (the tutorial's `solutions`).
        path = os.pathsep.join(dict.fromkeys([str(problems.root), str(ROOT)]))
        env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop(SUBMISSION_ENV, None)
        code = "import sys, grader.authoring.release as r; r._record(sys.argv[1], sys.argv[2])"
        run = subprocess.run(
            [sys.executable, "-c", code, out, problems.path.resolve()],
            cwd=problems.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if run.returncode != 0 or not out.is_file():
            tail = (run.stdout + run.stderr)[-3000:]
            raise ReleaseError(
                f"the public cases do not pass against {problems.solutions_dir}:\n{tail}"
            )
        return json.loads(out.read_text(encoding="utf-8"))


def _codec() -> ModuleType:
    """templates/recorded.py, whose encoder the recording and the bundle share."""
    spec = importlib.util.spec_from_file_location("tutorial9_recorded", TEMPLATES / "recorded.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(out: str, path: str) -> None:
    """Child side of `record_public_answers`: run the set's public cases, with the student-side
    conftest as their only plugin, through recording proxies of its references."""
    import pytest

    from grader.cases import conftest
    from grader.selfcheck.options import SUBMISSION_ENV, GivenProblems

    problems = load(path)
    package = importlib.import_module(problems.solutions_package)
    codec = _codec()
    log: dict[str, Any] = {}
    for module in problems.modules:
        real = importlib.import_module(f"{package.__name__}.{module}")
        recorder = _Recorder(real, module, log, codec)
        recorder.note_parameters()
        sys.modules[f"{package.__name__}.{module}"] = recorder  # type: ignore[assignment]
        setattr(package, module, recorder)
    os.environ[SUBMISSION_ENV] = str(problems.solutions_dir)
    public = problems.cases_dir / "public"
    code = pytest.main(
        ["-c", os.devnull, f"--rootdir={problems.root}", "-q", "-p", "no:cacheprovider",
         "--noconftest", str(public)],
        plugins=[conftest, GivenProblems(problems)],
    )  # fmt: skip
    if code != pytest.ExitCode.OK:
        raise SystemExit(f"public cases against {problems.solutions_dir}: pytest exit {int(code)}")
    for problem in problems.problems:  # the counterexamples' answers, for the students' checks
        for target, example in problem.examples:
            module, name = target.split(".")
            args, kwargs = example.arguments()
            with contextlib.suppress(Exception):  # a refusal is recorded as one
                getattr(sys.modules[f"{package.__name__}.{module}"], name)(*args, **kwargs)
    Path(out).write_text(json.dumps(log, sort_keys=True), encoding="utf-8")


class _Recorder:
    """Stands in for one solutions module and notes every value read from it."""

    def __init__(self, real: ModuleType, module: str, log: dict[str, Any], codec: ModuleType):
        self._real, self._log, self._codec = real, log, codec
        self._entry = log.setdefault(module, {"constants": {}, "mappings": {}, "calls": {}})

    def note_parameters(self) -> None:
        """Note the positional parameter names of the module's public functions (the bundle's
        contract messages name arguments by them)."""
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        names = self._entry.setdefault("parameters", {})
        for name, value in vars(self._real).items():
            if inspect.isfunction(value) and not name.startswith("_"):
                parameters = inspect.signature(value).parameters.values()
                names[name] = [p.name for p in parameters if p.kind in kinds]

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._real, name)
        if callable(value) and not isinstance(value, type):
            return self._function(name, value)
        if isinstance(value, dict):
            return _RecordingDict(value, self._entry["mappings"].setdefault(name, {}), self._codec)
        self._entry["constants"][name] = self._codec.encode(value)
        return value

    def _function(self, name: str, function: Any) -> Any:
        calls = self._entry["calls"].setdefault(name, [])
        codec = self._codec

        def recorded(*args: Any, **kwargs: Any) -> Any:
            before = copy.deepcopy((args, kwargs))  # as called, whatever happens to them later
            key = codec.call_key(*before)
            try:
                result = function(*args, **kwargs)
            except Exception as exc:  # a call the reference refuses (a counterexample's)
                if all(call["key"] != key for call in calls):
                    calls.append(codec.record_raised(*before, exc))
                raise
            if all(call["key"] != key for call in calls):
                calls.append(codec.record(*before, result))
            return copy.deepcopy(result)

        return recorded


class _RecordingDict(dict):
    """A dict that notes the keys read (all of them once it is iterated or compared)."""

    def __init__(self, real: dict, seen: dict, codec: ModuleType) -> None:
        super().__init__(real)
        self._seen, self._codec = seen, codec
        seen.setdefault("dict", [])  # the tagged form templates/recorded.py decodes

    def _note(self, key: Any) -> None:
        if dict.__contains__(self, key):
            # kept as a tagged dict body: {"dict": [[key, value], ...]}
            entries = self._seen.setdefault("dict", [])
            encoded = self._codec.encode(key)
            if all(k != encoded for k, _ in entries):
                entries.append([encoded, self._codec.encode(dict.__getitem__(self, key))])

    def _note_all(self) -> None:
        for key in dict.keys(self):
            self._note(key)

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return super().get(key, default)

    def __iter__(self):  # noqa: ANN204
        self._note_all()
        return super().__iter__()

    def keys(self):  # noqa: ANN201
        self._note_all()
        return super().keys()

    def values(self):  # noqa: ANN201
        self._note_all()
        return super().values()

    def items(self):  # noqa: ANN201
        self._note_all()
        return super().items()

    def __eq__(self, other: object) -> bool:
        self._note_all()
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------------- Archives


def write_zip(out: Path, members: Iterable[Member]) -> Archive:
    """Write a reproducible zip (sorted, fixed times, Unix modes) atomically to `out`."""
    members = sorted(members, key=lambda m: m.name)
    names = [m.name for m in members]
    if len(set(names)) != len(names):
        raise ReleaseError("duplicate archive members")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}-", dir=out.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in members:
                info = zipfile.ZipInfo(member.name, date_time=_FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix: unzip and Gradescope honour the mode bits
                mode = 0o755 if member.executable else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                archive.writestr(info, member.data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Archive(path=out, members=tuple(names), size=out.stat().st_size)


def _template(name: str, **values: str) -> bytes:
    """A file of templates/ with its @@NAME@@ fields filled in, with LF line endings."""
    text = (TEMPLATES / name).read_text(encoding="utf-8").replace("\r\n", "\n")
    for key, value in values.items():
        text = text.replace(f"@@{key}@@", value)
    if "@@" in text:
        near = text[text.index("@@") :][:30]
        raise ReleaseError(f"templates/{name}: unfilled field near {near!r}")
    return text.encode("utf-8")


def _requirements(pins: Iterable[str]) -> bytes:
    header = "# Pinned: the versions this project is tested with.\n"
    return (header + "\n".join(pins) + "\n").encode("utf-8")


# ------------------------------------------------------------ Gradescope: submission limit


def over_limit(metadata: dict[str, Any], limit: SubmissionLimit) -> dict[str, Any] | None:
    """The results.json to keep instead of grading, when this submission is over the limit.

    Counts the previous submissions made within `limit.hours` before this one (by Gradescope's
    `created_at`, not the clock, so that a rerun decides the same way). Over the limit, the
    latest previous results are kept, with a note on top. Returns None (grade it) when under
    the limit, or when there are no previous results to keep: nobody is left without a grade.
    """
    created = _time(metadata.get("created_at"))
    previous = metadata.get("previous_submissions") or []
    if created is None or not isinstance(previous, list):
        return None
    start = created - timedelta(hours=limit.hours)
    times = sorted(
        t
        for p in previous
        if isinstance(p, dict)
        and (t := _time(p.get("submission_time"))) is not None
        and start <= t < created
    )
    if len(times) < limit.count:
        return None
    kept = next(
        (
            p["results"]
            for p in reversed(previous)
            if isinstance(p, dict) and isinstance(p.get("results"), dict)
        ),
        None,
    )
    if kept is None:
        return None
    document = copy.deepcopy(kept)
    opens = times[len(times) - limit.count] + timedelta(hours=limit.hours)
    note = (
        f"Submission limit reached: at most {limit.count} graded submissions per "
        f"{limit.hours:g} hours. This submission was not graded; the results below are those "
        f"of your latest graded submission. You can submit for grading again after "
        f"{opens.isoformat(timespec='minutes')}."
    )
    earlier = document.get("output")
    document["output"] = f"{note}\n\n{earlier}" if earlier else note
    extra = document.get("extra_data") if isinstance(document.get("extra_data"), dict) else {}
    document["extra_data"] = {
        **extra,
        "submission_limit": {"count": limit.count, "hours": limit.hours, "in_window": len(times)},
    }
    return document


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
