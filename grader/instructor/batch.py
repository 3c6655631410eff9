"""Grade a class: a folder of submissions, in parallel, resumable, with a class report.

    python -m grader batch SUBMISSIONS --out grades/ [--jobs N] [--force]

SUBMISSIONS holds one entry per student: a folder, a .py, an .ipynb or a .zip; other files and
names starting with "." are skipped. Gradescope's "Export Submissions" layout (folders
`submission_<id>/` next to `submission_metadata.yml`) is the same thing, and the submitters'
names are read from the metadata.

What lands in the output folder, each file as soon as its submission is graded:
- results/<submission>.json: Gradescope's results.json for that submission;
- grades.csv: submission, total, one column per code problem, students (a row is appended
  and flushed as each submission finishes; rewritten in order at the end); with hand scores
  (`--hand-scores`): submission, auto_total, hand_total, total, the code problems, the
  written problems, students;
- manifest.jsonl: one line per graded submission with its content hash and the grader's
  fingerprint. A rerun skips submissions whose content and grader are unchanged, so an
  interrupted batch resumes where it stopped;
- report.md (and scores.png with the `report` extra): the class report
  (grader/instructor/classreport.py writes it and grades.csv; this module runs the batch).

Workers are forked from this process after it has graded the reference solutions once, so
pytest, numpy, the references and the collected (assertion-rewritten) cases are imported once
and shared, and so is every expected value the cases compute (grader/grading/references.py);
each worker then grades many submissions, forking their sandbox workers from a pre-loaded fork
server of its own (grader/sandbox/forkserver.py) instead of starting an interpreter per
submission.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import dataclasses
import hashlib
import importlib.util
import json
import multiprocessing
import os
import re
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from grader.instructor import classreport
from grader.instructor.classreport import GRADES, max_score
from grader.instructor.handscores import HandScores
from grader.problems import DEFAULT_PATH, ProblemSet, load
from grader.results import gradescope

SUBMISSION_SUFFIXES = (".py", ".ipynb", ".zip")
GRADESCOPE_METADATA = "submission_metadata.yml"
MANIFEST = "manifest.jsonl"


@dataclass(frozen=True)
class Entry:
    """One student's submission."""

    name: str  # its file or folder name: the submission's id in every output
    path: Path
    students: str = ""  # from Gradescope's metadata, "; "-separated


@dataclass
class Summary:
    """What a batch did."""

    graded: int = 0
    skipped: int = 0  # unchanged since the last run
    faults: int = 0  # submissions the grader could not grade (retried by the next run)
    notes: list[str] = dataclasses.field(default_factory=list)
    records: list[dict[str, Any]] = dataclasses.field(default_factory=list)


# ------------------------------------------------------------------------------- Discovery


def discover(folder: Path) -> tuple[list[Entry], list[str]]:
    """The submissions in `folder`, sorted by name, and notes about what was skipped."""
    folder = Path(folder)
    students = _gradescope_students(folder)
    entries, notes = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        name = path.name
        if name.startswith(".") or name in ("__MACOSX", GRADESCOPE_METADATA):
            continue
        if path.is_symlink():
            notes.append(f"skipped {name}: a symbolic link")
        elif path.is_dir() or (path.is_file() and path.suffix.lower() in SUBMISSION_SUFFIXES):
            entries.append(Entry(name, path, students.get(name, "")))
        else:
            notes.append(f"skipped {name}: not a folder, .py, .ipynb or .zip")
    return entries, notes


def _gradescope_students(folder: Path) -> dict[str, str]:
    """Folder name -> submitter names, from an export's submission_metadata.yml."""
    path = folder / GRADESCOPE_METADATA
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    names = {}
    for key, value in (data or {}).items() if isinstance(data, dict) else ():
        submitters = value.get(":submitters") if isinstance(value, dict) else None
        if isinstance(submitters, list):
            found = [
                str(s.get(":name") or s.get(":email") or s.get(":sid") or "")
                for s in submitters
                if isinstance(s, dict)
            ]
            names[str(key)] = "; ".join(n for n in found if n)
    return names


def content_hash(path: Path) -> str:
    """sha256 of a submission: the file's bytes, or a folder's relative paths and bytes."""
    digest = hashlib.sha256()
    path = Path(path)
    if path.is_dir():
        for directory, folders, files in os.walk(path, followlinks=False):
            folders.sort()
            for name in sorted(files):
                file = Path(directory, name)
                digest.update(file.relative_to(path).as_posix().encode("utf-8", "surrogateescape"))
                digest.update(b"\0")
                if file.is_symlink():
                    digest.update(b"link:" + os.readlink(file).encode("utf-8", "surrogateescape"))
                else:
                    _hash_file(digest, file)
                digest.update(b"\0")
    else:
        _hash_file(digest, path)
    return digest.hexdigest()


def _hash_file(digest: Any, path: Path) -> None:
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)


def grader_fingerprint(problems_path: Path = DEFAULT_PATH) -> str:
    """The grader version plus a hash of everything that decides a grade: the grader, and the
    problem set's file, references and cases."""
    from grader import __version__

    problems = load(problems_path)
    digest = hashlib.sha256(Path(problems_path).read_bytes())
    trees = [Path(__file__).resolve().parents[1], problems.solutions_dir, problems.cases_dir]
    for index, tree in enumerate(trees):  # names relative to each tree: a moved checkout is alike
        for path in sorted(tree.rglob("*.py")):
            if "__pycache__" not in path.parts:
                name = f"{index}/{path.relative_to(tree).as_posix()}"
                digest.update(name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def result_names(entries: Iterable[Entry]) -> dict[str, str]:
    """Submission name -> a distinct, safe file name for its results.json."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for entry in entries:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", entry.name).lstrip(".") or "submission"
        if safe in used:
            tag = hashlib.sha256(entry.name.encode("utf-8", "surrogateescape")).hexdigest()
            safe += f"-{tag[:8]}"
        used.add(safe)
        names[entry.name] = f"{safe}.json"
    return names


# ----------------------------------------------------------------------------- The workers

# State of a worker process (or of this one when grading inline).
_worker: dict[str, Any] = {}


def _grade_entry(entry: Entry, digest: str, results_path: str) -> dict[str, Any]:
    """Grade one submission, write its results.json, return its manifest record."""
    from grader.grading.pipeline import grade

    problems: ProblemSet = _worker["problems"]
    started = time.monotonic()
    record: dict[str, Any] = {
        "submission": entry.name,
        "students": entry.students,
        "hash": digest,
        "grader": _worker["fingerprint"],
        "results": os.path.relpath(results_path, _worker["out"]),
    }
    try:
        with _noting_interrupts() as interrupted:
            if "grade" in _worker:
                results = _worker["grade"](entry.path, problems)
            else:
                template = _worker.get("template")
                results = grade(entry.path, problems, template=template, trust=_worker["trust"])
        if interrupted:  # pytest turns Ctrl-C into an exit status: stop, do not record a 0
            raise KeyboardInterrupt
    except Exception as exc:  # noqa: BLE001  (one fault must not stop the class)
        reason = f"{type(exc).__name__}: {exc}"
        document = gradescope.fallback(reason)
        record.update(score=0.0, max_score=max_score(problems), problems={}, error=reason)
    else:
        document = gradescope.render(results)
        record.update(
            score=results.score,
            max_score=results.max_score,
            problems={p.problem.id: p.score for p in results.problems},
            # cases the grader could not run make the grade provisional: retried next run
            error="; ".join(results.grader_errors)[:500] or None,
            grader_errors=list(results.grader_errors),
            sandbox=results.extra.get("sandbox", {}).get("level"),
        )
    document.setdefault("extra_data", {})["submission"] = entry.name
    gradescope.write(document, Path(results_path))
    record["seconds"] = round(time.monotonic() - started, 3)
    return record


@contextlib.contextmanager
def _noting_interrupts() -> Iterator[list[int]]:
    """Note SIGINT (then raise KeyboardInterrupt as usual) while the block runs."""
    noted: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        noted.append(signum)
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield noted
    finally:
        signal.signal(signal.SIGINT, previous)


def _init_worker() -> None:
    """Start this worker's template process, which forks every sandbox worker it needs."""
    from grader.sandbox.forkserver import ForkServer

    template = ForkServer()
    if template.usable:
        template.start()
        _worker["template"] = template
        atexit.register(_close_template)


def _close_template() -> None:
    template = _worker.pop("template", None)
    if template is not None:
        template.close()


def warm_up(problems: ProblemSet) -> None:
    """Import everything grading needs, and compute every expected value: by running the
    cases against the reference solutions in this process (grader/grading/plugin.py `prime`), or
    where that
    cannot be done, by grading them (an empty submission where they are not installed)."""
    from grader.grading import plugin
    from grader.grading.pipeline import grade

    if plugin.prime(problems) is not None:
        return
    spec = importlib.util.find_spec(problems.solutions_package)
    folders = spec.submodule_search_locations if spec is not None else None
    if folders:
        grade(Path(list(folders)[0]), problems)
        return
    with tempfile.TemporaryDirectory(prefix="tutorial9-warm-") as empty:
        grade(Path(empty), problems)


# ------------------------------------------------------------------------------- The batch


def run(
    submissions: Path,
    out: Path,
    jobs: int | None = None,
    force: bool = False,
    progress: bool = True,
    problems: ProblemSet | None = None,
    grade_function: Callable[..., Any] | None = None,
    hand_scores: HandScores | None = None,
    trust: bool = False,
) -> Summary:
    """Grade every submission in `submissions` into `out` (see the module docstring).

    Args:
        submissions: the folder of submissions.
        out: the output folder (created).
        jobs: worker processes; default the CPU count; 1 grades in this process.
        force: regrade even unchanged submissions.
        progress: show a progress bar (tqdm when installed, else a line per submission).
        problems: the problem set (default: the repository's problems.yaml).
        grade_function: replaces grader.grading.pipeline.grade (for tests).
        hand_scores: the written problems' points from hand-scores.csv, already checked
            (grader/instructor/handscores.py); grades.csv and the report then show auto, hand
            and total.
        trust: grade even where no sandbox level is safe (--unsafe-trust-submissions).

    Raises:
        SandboxUnavailable: before grading anything, where no sandbox level is safe and
            `trust` is not given.
    """
    problems = problems or load(DEFAULT_PATH)
    if grade_function is None:
        from grader.sandbox.isolation import probe, require

        require(probe(), trust)
    out = Path(out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    entries, notes = discover(Path(submissions))
    summary = Summary(notes=notes)
    fingerprint = grader_fingerprint(problems.path)
    files = result_names(entries)
    previous = read_manifest(out / MANIFEST)
    records: dict[str, dict[str, Any]] = {}
    todo: list[tuple[Entry, str]] = []
    for entry in entries:
        digest = content_hash(entry.path)
        old = previous.get(entry.name)
        unchanged = (
            old is not None
            and old.get("hash") == digest
            and old.get("grader") == fingerprint
            and not old.get("error")
            and (out / old.get("results", "")).is_file()
        )
        if unchanged and not force:
            records[entry.name] = old
            summary.skipped += 1
        else:
            todo.append((entry, digest))

    code_ids = [p.id for p in problems.problems if p.graded]
    hand = hand_scores
    classreport.write_grades(
        out / GRADES, code_ids, [records[e.name] for e in entries if e.name in records], hand
    )
    _worker.update(problems=problems, fingerprint=fingerprint, out=str(out), trust=trust)
    if grade_function is not None:
        _worker["grade"] = grade_function
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) or 1))
    bar = _Progress(len(todo), summary.skipped, enabled=progress)
    try:
        with (
            open(out / GRADES, "a", encoding="utf-8", newline="") as grades_file,
            open(out / MANIFEST, "a", encoding="utf-8") as manifest,
        ):
            grades = csv.writer(grades_file)

            def finished(record: dict[str, Any]) -> None:
                records[record["submission"]] = record
                manifest.write(json.dumps(record, sort_keys=True) + "\n")
                manifest.flush()
                grades.writerow(classreport.row(record, code_ids, hand))
                grades_file.flush()
                summary.graded += 1
                summary.faults += bool(record.get("error"))
                bar.update(record)

            jobs_list = [(e, d, str(out / "results" / files[e.name])) for e, d in todo]
            if todo and grade_function is None:
                warm_up(problems)
            if jobs == 1 or len(todo) <= 1:
                _init_worker()
                try:
                    for job in jobs_list:
                        finished(_grade_entry(*job))
                finally:
                    _close_template()
            else:
                summary.faults += _run_pool(jobs_list, jobs, finished)
    finally:
        bar.close()
        _worker.pop("grade", None)
    summary.records = [records[e.name] for e in entries if e.name in records]
    classreport.write(summary.records, problems, out, notes=notes, hand=hand)
    return summary


def _run_pool(
    jobs_list: list[tuple[Entry, str, str]], jobs: int, finished: Callable[[dict], None]
) -> int:
    """Grade in `jobs` forked workers; returns how many submissions were left ungraded."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pending: dict[Future, Entry] = {}
    ungraded = 0
    with ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_init_worker
    ) as pool:
        try:
            for job in jobs_list:
                pending[pool.submit(_grade_entry, *job)] = job[0]
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    entry = pending.pop(future)
                    try:
                        record = future.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as exc:  # noqa: BLE001  (writing its results failed)
                        print(f"error: {entry.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                        ungraded += 1
                        continue
                    finished(record)
        except BrokenProcessPool:
            print(
                f"error: a grading worker died; {len(pending)} submissions were not graded "
                "(run the same command again to grade them)",
                file=sys.stderr,
            )
            return ungraded + len(pending)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return ungraded


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The latest manifest record of every submission (a torn last line is ignored)."""
    records: dict[str, dict[str, Any]] = {}
    if not Path(path).is_file():
        return records
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interruption
            if isinstance(record, dict) and isinstance(record.get("submission"), str):
                records[record["submission"]] = record
    return records


class _Progress:
    """tqdm's bar when it is installed, else one plain line per submission."""

    def __init__(self, total: int, skipped: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled
        self.started = time.monotonic()
        self.bar = None
        if not enabled:
            return
        if skipped:
            print(f"skipping {skipped} unchanged submissions", file=sys.stderr)
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, unit="sub", desc="grading", file=sys.stderr)

    def update(self, record: dict[str, Any]) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(record["submission"][:30], refresh=False)
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        print(
            f"[{self.done}/{self.total}] {record['submission']}: "
            f"{record['score']:g}/{record['max_score']:g}  ({rate:.1f}/s, {left:.0f} s left)",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
