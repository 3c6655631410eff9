"""grader/authoring/release.py: the Gradescope zip (run end to end in a simulated /autograder), the
student bundle (scanned for reference code and hidden cases, then run with plain pytest), and
the submission limit.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.authoring import release, stubs
from grader.problems import DEFAULT_PATH, load
from grader.results import formats
from grader.sandbox import isolation
from tests import reporter

MODULES = load().modules  # the tutorial's student modules, from problems.yaml

ROOT = Path(__file__).resolve().parents[2]
PROBLEMS = load(DEFAULT_PATH)
SOLUTIONS = ROOT / "solutions"
HIDDEN = ROOT / "grader" / "cases" / "hidden"
PUBLIC = ROOT / "grader" / "cases" / "public"


def mode(info: zipfile.ZipInfo) -> int:
    return (info.external_attr >> 16) & 0o7777


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release.build_gradescope(tmp_path_factory.mktemp("zip") / "autograder.zip").path


# ------------------------------------------------------------------------ Gradescope zip


def test_gradescope_zip_layout(autograder_zip: Path) -> None:
    """Are the scripts at the root, executable, with LF endings, and nothing else shipped?"""
    with zipfile.ZipFile(autograder_zip) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        for script in ("setup.sh", "run_autograder"):
            info = infos[script]
            assert info.create_system == 3 and mode(info) == 0o755
            data = archive.read(info)
            assert data.startswith(b"#!/usr/bin/env bash\n") and b"\r" not in data
        assert {mode(i) for n, i in infos.items() if n not in ("setup.sh", "run_autograder")} == {
            0o644
        }
    names = set(infos)
    assert {"requirements.txt", "problems.yaml", "pyproject.toml"} <= names
    assert {f"solutions/{m}.py" for m in MODULES} <= names
    assert {"grader/cli.py", "grader/cases/hidden/test_conv.py"} <= names
    for name in names:
        top = name.split("/")[0]
        assert top in ("grader", "solutions") or "/" not in name, name
        assert not name.startswith(
            ("tests/", "exercises/", "bench/", "grader/authoring/templates/")
        )
        assert "__pycache__" not in name and not name.endswith((".md", ".ipynb"))


def test_gradescope_zip_is_reproducible(autograder_zip: Path, tmp_path: Path) -> None:
    """Does building twice give the same bytes (fixed times, sorted members)?"""
    again = release.build_gradescope(tmp_path / "again.zip").path
    assert again.read_bytes() == autograder_zip.read_bytes()


def test_requirements_are_pinned(autograder_zip: Path) -> None:
    """Is every dependency pinned to one version, with numpy per Python version?"""
    with zipfile.ZipFile(autograder_zip) as archive:
        lines = archive.read("requirements.txt").decode().splitlines()
    pins = [line for line in lines if line and not line.startswith("#")]
    names = set()
    for pin in pins:
        match = re.fullmatch(r'([a-z]+)==(\d+(?:\.\d+)+)(; python_version [<>]=? "3\.\d+")?', pin)
        assert match, pin
        names.add(match.group(1))
    assert names == {"numpy", "pytest", "pyyaml", "nbformat"}
    # Gradescope's default image runs Python 3.10, which numpy 2.3 and later do not support.
    assert 'numpy==2.2.6; python_version < "3.11"' in pins


def test_setup_sh_dry_run(autograder_zip: Path, tmp_path: Path) -> None:
    """Does setup.sh make a venv outside the source folder, pip-install the pins, add the user?"""
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extract("setup.sh", tmp_path)
    run = subprocess.run(
        ["bash", str(tmp_path / "setup.sh")],
        env={**os.environ, "TUTORIAL9_SETUP_DRY_RUN": "1"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert f"+ python3 -m venv {release.VENV}" in run.stdout
    assert (
        f"-m pip install --no-cache-dir --disable-pip-version-check -r {tmp_path}/requirements.txt"
        in run.stdout
    )  # noqa: E501
    if subprocess.run(["id", "-u", release.SANDBOX_USER], capture_output=True).returncode:
        assert (
            f"useradd --system --no-create-home --shell /usr/sbin/nologin {release.SANDBOX_USER}"
            in run.stdout
        )  # noqa: E501
    assert not release.VENV.startswith("/autograder")
    assert f"+ runuser -u {release.SANDBOX_USER} -- {release.VENV}/bin/python -I" in run.stdout
    assert "+ chmod o+x /opt\n" in run.stdout or not release.VENV.startswith("/opt/")


def hostile_conv(root: Path) -> str:
    """A conv.py that tries to read the references, forge the results and stop the grader."""
    return f'''
import os, signal
from pathlib import Path

stolen = []
for path in ("{root}/source/solutions/conv.py", "/autograder/source/solutions/conv.py",
             "{root}/source/grader/cases/hidden/test_conv.py"):
    try:
        stolen.append(Path(path).read_text())
    except OSError:
        pass
for path in ("{root}/results/results.json", "/autograder/results/results.json"):
    try:
        Path(path).write_text('{{"score": 999, "tests": []}}')
    except OSError:
        pass
print('{{"score": 999, "tests": []}}')
try:
    os.kill(os.getppid(), signal.SIGKILL)
except OSError:
    pass

def conv2d(image, kernel, stride=1, padding=0):
    if stolen:
        raise RuntimeError("read the references: " + stolen[0][:50])
    while True:
        pass
'''


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["correct", "stub", "hostile", "grader-crash"])
def test_gradescope_end_to_end(autograder_zip: Path, tmp_path: Path, kind: str) -> None:
    """Does run_autograder grade in a simulated /autograder and always leave a results.json?"""
    root = tmp_path / "autograder"
    source, submission, results = root / "source", root / "submission", root / "results"
    for folder in (source, submission, results):
        folder.mkdir(parents=True)
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(source)
    for script in ("setup.sh", "run_autograder"):
        (source / script).chmod(0o755)  # extractall does not restore modes
    stub_text = stubs.render_all(PROBLEMS)
    for module in MODULES:
        text = (SOLUTIONS / f"{module}.py").read_text()
        if kind == "stub" or (kind == "hostile" and module == "conv"):
            text = stub_text[f"{module}.py"] if kind == "stub" else hostile_conv(root)
        (submission / f"{module}.py").write_text(text)
    (root / "submission_metadata.json").write_text(json.dumps({"created_at": "2025-01-01"}))
    sentinel = results / "sentinel.txt"
    sentinel.write_text("the grader's own file")
    python = "/bin/false" if kind == "grader-crash" else sys.executable
    run = subprocess.run(
        [str(source / "run_autograder")],
        env={**os.environ, "AUTOGRADER_ROOT": str(root), "TUTORIAL9_PYTHON": python},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    document = json.loads((results / "results.json").read_text())
    assert sentinel.read_text() == "the grader's own file"
    assert stat.S_IMODE(source.stat().st_mode) & 0o077 == 0  # locked to root
    assert stat.S_IMODE((root / "submission_metadata.json").stat().st_mode) & 0o077 == 0
    if kind == "grader-crash":
        assert document["score"] == 0 and "did not finish" in document["output"]
        return
    assert document["extra_data"]["sandbox"]["level"] in isolation.LEVELS
    scores = {t["number"]: t["score"] for t in document["tests"]}
    assert document["tests"] and all(isinstance(s, float) for s in scores.values())
    if kind == "correct":
        assert document["score"] == 19
    elif kind == "stub":
        assert document["score"] == 0
    else:
        conv = [t for t in document["tests"] if "conv.conv2d" in t.get("tags", [])]
        assert conv and all(t["status"] == "failed" for t in conv)
        assert "read the references" not in json.dumps(document)
        assert 0 < document["score"] < 19  # the other modules still earn their points


# ------------------------------------------------------------------------- Student bundle


@pytest.fixture(scope="module")
def student_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return release.build_student(tmp_path_factory.mktemp("student") / "student.zip").path


def archive_texts(path: Path) -> dict[str, str]:
    """Every member's text; notebooks also as their joined cell sources."""
    texts = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            text = archive.read(info).decode("utf-8")
            if info.filename.endswith(".ipynb"):
                cells = json.loads(text)["cells"]
                text += "\n" + "\n".join("".join(c["source"]) for c in cells)
            texts[info.filename] = text
    return texts


def distinctive(lines: list[str], minimum: int = 16) -> set[str]:
    """Lines long enough to mean something if found elsewhere (not `return x`)."""
    return {line for line in lines if len(line) >= minimum}


@pytest.mark.slow
def test_student_bundle_holds_no_reference_code(student_zip: Path) -> None:
    """Does no line of a reference solution region appear anywhere in the bundle?"""
    texts = archive_texts(student_zip)
    assert not any(name.endswith("answers.md") for name in texts)
    # A line that is also in a stub (a signature a private helper shares) or in the support
    # code shipped as it is (`raise ValueError(`) is not a leak; public cases stay scanned.
    support = [ROOT / "grader" / n for n in release.student_grader_files()]
    texts_shipped = [*stubs.render_all(PROBLEMS).values(), *(p.read_text() for p in support)]
    texts_shipped.append((release.TEMPLATES / "recorded.py").read_text())
    public = "\n".join(texts_shipped)
    for module in (SOLUTIONS / f"{m}.py" for m in MODULES):
        lines = stubs.solution_lines(module.read_text(encoding="utf-8"))
        secret = {line for line in distinctive(lines) if line not in public}
        assert secret, module  # the scan must have something to look for
        for name, text in texts.items():
            found = {line for line in secret if line in text}
            assert not found, f"{module.name} solution lines in {name}: {sorted(found)[:3]}"


@pytest.mark.slow
def test_student_bundle_holds_no_model_answers_or_hidden_cases(student_zip: Path) -> None:
    """Are the written problems' model answers and the hidden cases absent?"""
    texts = archive_texts(student_zip)
    assert not any("/hidden/" in name for name in texts)
    answers = SOLUTIONS / "answers.md"
    secrets = set()
    if answers.is_file():
        secrets |= distinctive([line.strip() for line in answers.read_text().splitlines()], 30)
    public = "\n".join(p.read_text(encoding="utf-8") for p in PUBLIC.glob("*.py"))
    for case in HIDDEN.glob("test_*.py"):
        lines = [line.strip() for line in case.read_text(encoding="utf-8").splitlines()]
        # test names and docstrings of hidden cases; lines shared with public files are public
        secrets |= {
            line for line in lines
            if (line.startswith("def test_") or line.startswith('"""')) and line not in public
        }  # fmt: skip
    assert secrets
    for name, text in texts.items():
        found = {line for line in secrets if line in text}
        assert not found, f"hidden material in {name}: {sorted(found)[:3]}"


def unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return into / PROBLEMS.name


def run_pytest(
    bundle: Path, submission: Path | None = None
) -> tuple[subprocess.CompletedProcess, str]:  # noqa: E501
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    env["PYTHONPATH"] = ""  # nothing of the repository: only what the bundle ships
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if submission is not None:
        env["TUTORIAL9_SUBMISSION"] = str(submission)
    report = bundle / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=bundle, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    return run, report.read_text(encoding="utf-8")


def public_case_count() -> int:
    """The number of public test functions, parametrized ones counted once per id."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         str(PUBLIC)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return sum(1 for line in run.stdout.splitlines() if "::" in line)


@pytest.mark.slow
def test_student_bundle_runs_with_plain_pytest(student_zip: Path, tmp_path: Path) -> None:
    """Unzipped, does `python -m pytest` run every public case, each failing on the stubs?"""
    bundle = unzip(student_zip, tmp_path)
    run, report = run_pytest(bundle)
    assert run.returncode == 1, run.stdout[-2000:]
    total = public_case_count()
    assert total > 0
    assert f'tests="{total}"' in report and f'failures="{total}"' in report, report[:500]
    assert 'errors="0"' in report
    assert "is not implemented yet" in report


@pytest.mark.slow
def test_student_bundle_output_on_the_stubs_is_short(student_zip: Path, tmp_path: Path) -> None:
    """On the untouched stubs, does `python -m pytest` say in a line or two per failing case
    what was called and that it is not implemented yet, without tracebacks or stub code?"""
    bundle = unzip(student_zip, tmp_path)
    run, _ = run_pytest(bundle)
    total = public_case_count()
    lines = run.stdout.splitlines()
    assert len(lines) <= 4 * total + 20, run.stdout
    assert run.stdout.count("is not implemented yet") >= total - 2  # TASK_TYPES is a dict
    assert "def conv2d(" not in run.stdout and "Traceback" not in run.stdout
    assert "conv2d(image, kernel, stride=2, padding=1) is not implemented yet" in run.stdout


@pytest.mark.slow
def test_student_bundle_is_small(student_zip: Path) -> None:
    """Is the bundle well under 1 MB (the recorded values stored as small integers)?"""
    size = student_zip.stat().st_size
    assert size < 700 * 1024, size
    with zipfile.ZipFile(student_zip) as archive:
        recorded = archive.getinfo(f"{PROBLEMS.name}/solutions/recorded.json")
    assert recorded.file_size < 800 * 1024, recorded.file_size


@pytest.mark.slow
def test_student_bundle_ignores_caches(student_zip: Path) -> None:
    """Does the bundle's .gitignore keep what Python, pytest and Jupyter make out of git?"""
    texts = archive_texts(student_zip)
    ignored = texts[f"{PROBLEMS.name}/.gitignore"].splitlines()
    for pattern in ("__pycache__/", ".pytest_cache/", ".ipynb_checkpoints/", "classroom.env"):
        assert pattern in ignored, pattern


def readme_commands(readme: str) -> list[str]:
    """The commands of the README's "Check your work" code block, without their comments."""
    section = readme.split("## Check your work", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]


@pytest.mark.slow
@pytest.mark.parametrize("work", ["stubs", "solved"])
def test_student_readme_commands_run_as_written(
    student_zip: Path, tmp_path: Path, work: str
) -> None:
    """Does each command of the student README run as written, in the bundle's folder, with
    nothing a Windows shell lacks (no `VAR=value cmd`, `$`, `&&`, quotes or continuations)?
    Checked on the stubs (every command fails, saying what is not implemented) and on solved
    work in exercises/, in a folder and in a notebook elsewhere (every command passes)."""
    from tests.solved import solved_notebook

    bundle = unzip(student_zip, tmp_path)
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    commands = readme_commands(readme)
    assert len(commands) >= 4
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "my-work").mkdir(parents=True)
    notebook = solved_notebook() if work == "solved" else None
    for module in MODULES:
        if work == "solved":
            shutil.copy(SOLUTIONS / f"{module}.py", bundle / "exercises")
            shutil.copy(SOLUTIONS / f"{module}.py", elsewhere / "my-work")
        else:
            shutil.copy(bundle / "exercises" / f"{module}.py", elsewhere / "my-work")
    if notebook is not None:
        (bundle / "exercises" / "tutorial9.ipynb").write_text(notebook, encoding="utf-8")
    shutil.copy(bundle / "exercises" / "tutorial9.ipynb", elsewhere / "tutorial9.ipynb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    env.update(PYTHONPATH="", PYTHONDONTWRITEBYTECODE="1")
    for command in commands:
        assert not re.search(r"^\w+=|\$|&&|['\"\\`]", command), command
        words = command.replace("path/to", str(elsewhere)).split()
        assert words[:2] == ["python", "-m"], command
        for cwd in (bundle, bundle / "exercises") if words[2] == "pytest" else (bundle,):
            run = subprocess.run(
                [sys.executable, *words[1:], "-p", "no:cacheprovider"],
                cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            expected = 0 if work == "solved" else 1
            assert run.returncode == expected, (command, cwd, run.stdout[-3000:], run.stderr)
            assert re.search(r"\d+ (passed|failed)", run.stdout), run.stdout[-500:]
            if work == "stubs":
                assert "is not implemented yet" in run.stdout, run.stdout[-1000:]


@pytest.mark.slow
def test_student_bundle_passes_the_references(student_zip: Path, tmp_path: Path) -> None:
    """Do the recorded answers let a correct submission pass every public case?"""
    bundle = unzip(student_zip, tmp_path)
    correct = tmp_path / "correct"
    correct.mkdir()
    for module in MODULES:
        shutil.copy(SOLUTIONS / f"{module}.py", correct)
    run, report = run_pytest(bundle, correct)
    assert run.returncode == 0, run.stdout[-3000:]
    assert 'failures="0"' in report and 'errors="0"' in report


@pytest.mark.slow
def test_student_bundle_contents(student_zip: Path) -> None:
    """Are the README, requirements, pytest.ini and a valid Classroom workflow there?"""
    texts = archive_texts(student_zip)
    prefix = f"{PROBLEMS.name}/"
    for name in (
        "README.md",
        "requirements.txt",
        "pytest.ini",
        ".gitignore",
        "conftest.py",
        "grader/__main__.py",
        "grader/selfcheck/inprocess.py",
        "grader/calling/student.py",
        "grader/runtime/runner.py",
        "problems.yaml",
        "exercises/tutorial9.ipynb",
        "grader/__init__.py",
        "grader/checking/expect.py",
    ):
        assert prefix + name in texts, name  # fmt: skip
    for module in MODULES:
        assert "NotImplementedError" in texts[f"{prefix}exercises/{module}.py"]
    readme = texts[prefix + "README.md"]
    assert "python -m pytest" in readme and "Submit" in readme
    workflow = yaml.safe_load(io.StringIO(texts[prefix + ".github/workflows/classroom.yml"]))
    check_classroom_workflow(workflow)


def check_classroom_workflow(workflow: dict) -> None:
    """One command-grader step per code problem named by its command, then the reporter."""
    # `on:` is a mapping (actionlint flags the list form); PyYAML reads the key `on` as True.
    assert set(workflow[True]) == {"push", "repository_dispatch", "workflow_dispatch"}
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    graders = [s for s in steps if "autograding-command-grader" in s.get("uses", "")]
    reporter_step = steps[-1]
    assert "autograding-grading-reporter" in reporter_step["uses"]
    runners = reporter_step["with"]["runners"]
    assert [s["id"] for s in graders] == runners.split(",")
    assert [(s["id"], s["name"]) for s in graders] == [
        (runner, f"problem {problem}") for runner, problem in formats.classroom_runners(PROBLEMS)
    ]
    points = {p.id: p.points for p in PROBLEMS.problems}
    env = {}
    for step, (_, problem) in zip(graders, formats.classroom_runners(PROBLEMS), strict=True):
        assert reporter_step["env"][f"{step['id'].upper()}_RESULTS"] == (
            "${{steps." + step["id"] + ".outputs.result}}"
        )
        command = step["with"]["command"]
        assert command == step["with"]["test-name"] == release.public_check_command(problem)
        assert step["with"]["max-score"] == points[problem]
        # what the command grader outputs when the command exits 0
        env[f"{step['id'].upper()}_RESULTS"] = command_grader_result(step, "pass")
    seen = reporter.report(env, runners)
    assert seen.points == sum(seen.logged.values()) == seen.max_points == 19
    assert not seen.failed


def command_grader_result(step: dict, status: str) -> str:
    """autograding-command-grader's `result` output for `step` (see tests/reporter.py)."""
    maximum = int(step["with"]["max-score"])
    payload = {
        "version": 1,
        "status": status,
        "max_score": maximum,
        "tests": [
            {
                "name": step["with"]["test-name"],
                "status": status,
                "score": maximum if status == "pass" else 0,
                "message": "",
                "test_code": step["with"]["command"],
                "filename": "",
                "line_no": 0,
                "duration": 1,
            }
        ],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.slow
def test_classroom_step_commands_run_one_problem_in_the_bundle(
    student_zip: Path, tmp_path: Path
) -> None:
    """Does each step's command, run in the unzipped bundle, run only its problem's cases?"""
    bundle = unzip(student_zip, tmp_path)
    for module in MODULES:  # a correct submission, where a student keeps it
        shutil.copy(SOLUTIONS / f"{module}.py", bundle / "exercises")
    (bundle / "exercises" / "activations.py").write_text("")  # 3 and softmax now fail
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "TUTORIAL9_"))}
    env.update(PYTHONPATH="", PYTHONDONTWRITEBYTECODE="1")
    for runner, problem in formats.classroom_runners(PROBLEMS):
        command = release.public_check_command(problem).split()
        assert command[:3] == ["python", "-m", "pytest"]
        run = subprocess.run(
            [sys.executable, *command[1:], "-p", "no:cacheprovider"],
            cwd=bundle, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        failing = problem in ("3", "softmax")
        assert run.returncode == (1 if failing else 0), (runner, run.stdout[-2000:])
        assert re.search(r"\d+ deselected", run.stdout), run.stdout[-500:]


# ----------------------------------------------------------------------- Submission limit


def metadata(created: str, times: list[str], results: bool = True) -> dict:
    return {
        "created_at": created,
        "previous_submissions": [
            {"submission_time": t, "score": 5.0, "autograder_error": False,
             **({"results": {"score": 5.0, "tests": [], "output": "graded"}} if results else {})}
            for t in times
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("times", "over"),
    [
        ([], False),
        (["2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z"], False),
        (["2025-03-01T10:00:00Z", "2025-03-01T11:00:00Z", "2025-03-01T11:30:00Z"], True),
        (["2025-02-27T10:00:00Z", "2025-03-01T11:00:00Z", "2025-03-01T11:30:00Z"], False),
    ],
)
def test_over_limit(times: list[str], over: bool) -> None:
    """Are only the submissions inside the window counted against the limit?"""
    limit = release.SubmissionLimit(count=3, hours=24)
    document = release.over_limit(metadata("2025-03-01T12:00:00Z", times), limit)
    assert (document is not None) == over
    if document is not None:
        assert document["score"] == 5.0
        assert document["output"].startswith("Submission limit reached")
        assert "2025-03-02T10:00+00:00" in document["output"]  # when the oldest leaves
        assert document["output"].endswith("graded")


def test_over_limit_never_leaves_a_student_without_results() -> None:
    """Over the limit but with no previous results to keep, is the submission graded?"""
    times = ["2025-03-01T10:00:00Z"] * 5
    data = metadata("2025-03-01T12:00:00Z", times, results=False)
    assert release.over_limit(data, release.SubmissionLimit(3, 24)) is None
    assert release.over_limit({"created_at": "garbage"}, release.SubmissionLimit(1, 1)) is None


@pytest.mark.slow
def test_student_bundle_gives_the_graders_counterexamples(
    student_zip: Path, tmp_path: Path
) -> None:
    """Does a failing public case show, in the bundle (recorded answers, no references), the
    same `Try:` line as the grader, including an example the reference refuses?"""
    bundle = unzip(student_zip, tmp_path)
    mutant = tmp_path / "mutant"
    mutant.mkdir()
    for module in MODULES:
        shutil.copy(SOLUTIONS / f"{module}.py", mutant)
    shapes = mutant / "shapes.py"
    text = shapes.read_text(encoding="utf-8")
    assert text.count("return (n - k + 2 * p) // s + 1") == 1
    shapes.write_text(
        text.replace("return (n - k + 2 * p) // s + 1", "return -((k - n - 2 * p) // s) + 1")
    )
    run, _ = run_pytest(bundle, mutant)
    assert run.returncode == 1
    assert "Try: conv_output_size(5, 2, stride=2)  -> expected 2, yours 3" in run.stdout
