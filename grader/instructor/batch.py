"""Grade a class: a folder of submissions, in parallel, resumable, with a class report.

    python -m grader batch SUBMISSIONS --out grades/ [--jobs N] [--force]

SUBMISSIONS holds one entry per student: a folder, a .py, an .ipynb or a .zip; other files and
names starting with "." are skipped. Gradescope's "Export Submissions" layout (folders
`submission_<id>/` next to `submission_metadata.yml`) is the same thing, and the submitters'
names are read from the metadata (grader/intake/discovery.py finds the entries).

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

A batch runs in three phases: planning (which submissions changed since the last run),
grading (in this process, or in a pool of forked workers), and recording each finished
submission at once (manifest, grades.csv, progress), then the class report.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
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
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from grader.instructor import classreport
from grader.instructor.classreport import GRADES, max_score
from grader.instructor.handscores import HandScores
from grader.intake.discovery import Entry, content_hash, discover
from grader.problems import DEFAULT_PATH, ProblemSet, load
from grader.results import gradescope

if TYPE_CHECKING:
    from grader.results.scoring import Results

MANIFEST = "manifest.jsonl"


@dataclass
class Summary:
    """What a batch did."""

    graded: int = 0
    skipped: int = 0  # unchanged since the last run
    faults: int = 0  # submissions the grader could not grade (retried by the next run)
    notes: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)


@dataclass(frozen=True)
class Record:
    """One line of manifest.jsonl: a graded submission, or one the grader could not grade.

    JSON only at the file's edge: `to_json` for a line written, `from_json` for one read.
    """

    submission: str
    students: str  # from Gradescope's metadata, "; "-separated
    hash: str  # the submission's content_hash
    grader: str  # the grader_fingerprint it was graded by
    results: str  # its results.json, relative to the output folder
    score: float
    max_score: float
    problems: dict[str, float]  # code problem id -> score ({} when the grader faulted)
    error: str | None  # a grader fault or cases it could not run: the grade is retried next run
    seconds: float
    # None when grading itself faulted: then neither this nor `sandbox` is in the line
    grader_errors: tuple[str, ...] | None = None
    sandbox: str | None = None  # the sandbox level graded at

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "submission": self.submission,
            "students": self.students,
            "hash": self.hash,
            "grader": self.grader,
            "results": self.results,
            "score": self.score,
            "max_score": self.max_score,
            "problems": dict(self.problems),
            "error": self.error,
            "seconds": self.seconds,
        }
        if self.grader_errors is not None:
            data.update(grader_errors=list(self.grader_errors), sandbox=self.sandbox)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        """The record of a manifest line; KeyError or TypeError if it is not one."""
        if not isinstance(data["submission"], str):
            raise TypeError("a record names its submission")
        errors = data.get("grader_errors")
        return cls(
            submission=data["submission"],
            students=data["students"],
            hash=data["hash"],
            grader=data["grader"],
            results=data["results"],
            score=data["score"],
            max_score=data["max_score"],
            problems=dict(data["problems"]),
            error=data["error"],
            seconds=data["seconds"],
            grader_errors=None if "grader_errors" not in data else tuple(errors or ()),
            sandbox=data.get("sandbox"),
        )


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
    settings = _Settings(problems, grader_fingerprint(problems.path), out, trust, grade_function)
    plan = _plan(entries, out, settings.fingerprint, force)
    code_ids = [p.id for p in problems.problems if p.graded]
    ungraded = 0
    with _recording(out, plan, code_ids, hand_scores, progress) as recorder:
        if plan.todo and grade_function is None:
            warm_up(problems)
        jobs = max(1, min(jobs or os.cpu_count() or 1, len(plan.todo) or 1))
        if jobs == 1 or len(plan.todo) <= 1:
            _grade_inline(plan.todo, settings, recorder.record)
        else:
            ungraded = _grade_in_pool(plan.todo, settings, jobs, recorder.record)
    records = [recorder.records[e.name] for e in entries if e.name in recorder.records]
    summary = Summary(
        graded=recorder.graded,
        skipped=len(plan.kept),
        faults=recorder.faults + ungraded,
        notes=notes,
        records=records,
    )
    classreport.write([r.to_json() for r in records], problems, out, notes=notes, hand=hand_scores)
    return summary


# ---------------------------------------------------------------------------- Planning


@dataclass(frozen=True)
class _Task:
    """One submission to grade."""

    entry: Entry
    digest: str  # its content_hash
    results: Path  # where its results.json goes


@dataclass(frozen=True)
class _Plan:
    """What a run does: submissions in name order, those kept from the last run, the rest."""

    entries: tuple[Entry, ...]
    kept: Mapping[str, Record]  # unchanged since the last run: their records stand
    todo: tuple[_Task, ...]

    def kept_records(self) -> list[Record]:
        return [self.kept[e.name] for e in self.entries if e.name in self.kept]


def _plan(entries: list[Entry], out: Path, fingerprint: str, force: bool) -> _Plan:
    """Keep the record of every submission whose content and grader are unchanged since the
    last run, graded without a fault and with its results.json still there; grade the rest."""
    files = result_names(entries)
    previous = read_manifest(out / MANIFEST)
    kept: dict[str, Record] = {}
    todo: list[_Task] = []
    for entry in entries:
        digest = content_hash(entry.path)
        old = previous.get(entry.name)
        unchanged = (
            old is not None
            and old.hash == digest
            and old.grader == fingerprint
            and not old.error
            and (out / old.results).is_file()
        )
        if unchanged and not force:
            kept[entry.name] = old
        else:
            todo.append(_Task(entry, digest, out / "results" / files[entry.name]))
    return _Plan(tuple(entries), kept, tuple(todo))


def read_manifest(path: Path) -> dict[str, Record]:
    """The latest manifest record of every submission (a torn last line is ignored; a latest
    line that is not a whole record keeps its submission from being skipped)."""
    records: dict[str, Record | None] = {}
    if not Path(path).is_file():
        return {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interruption
            if isinstance(data, dict) and isinstance(data.get("submission"), str):
                try:
                    records[data["submission"]] = Record.from_json(data)
                except (KeyError, TypeError, ValueError):
                    records[data["submission"]] = None
    return {name: record for name, record in records.items() if record is not None}


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


# ---------------------------------------------------------------------------- Recording


class _Recorder:
    """Where a finished submission goes at once: a manifest line and a grades.csv row, both
    flushed (so an interrupted batch resumes from them), the counts and the progress bar."""

    def __init__(
        self,
        plan: _Plan,
        manifest: IO[str],
        grades: IO[str],
        code_ids: list[str],
        hand: HandScores | None,
        bar: _Progress,
    ) -> None:
        self.records: dict[str, Record] = dict(plan.kept)
        self.graded = self.faults = 0
        self._manifest, self._grades_file = manifest, grades
        self._grades = csv.writer(grades)
        self._code_ids, self._hand, self._bar = code_ids, hand, bar

    def record(self, record: Record) -> None:
        data = record.to_json()
        self.records[record.submission] = record
        self._manifest.write(json.dumps(data, sort_keys=True) + "\n")
        self._manifest.flush()
        self._grades.writerow(classreport.row(data, self._code_ids, self._hand))
        self._grades_file.flush()
        self.graded += 1
        self.faults += bool(record.error)
        self._bar.update(record)


@contextlib.contextmanager
def _recording(
    out: Path, plan: _Plan, code_ids: list[str], hand: HandScores | None, progress: bool
) -> Iterator[_Recorder]:
    """grades.csv begun with the kept records, then a recorder appending to it and to the
    manifest while the block grades; the progress bar is closed however the block ends."""
    kept = [r.to_json() for r in plan.kept_records()]
    classreport.write_grades(out / GRADES, code_ids, kept, hand)
    bar = _Progress(len(plan.todo), len(plan.kept), enabled=progress)
    try:
        with (
            open(out / GRADES, "a", encoding="utf-8", newline="") as grades,
            open(out / MANIFEST, "a", encoding="utf-8") as manifest,
        ):
            yield _Recorder(plan, manifest, grades, code_ids, hand, bar)
    finally:
        bar.close()


# ------------------------------------------------------------------------------ Grading


@dataclass(frozen=True)
class _Settings:
    """What every submission of a batch is graded with."""

    problems: ProblemSet
    fingerprint: str  # grader_fingerprint, recorded with each submission
    out: Path
    trust: bool  # grade even where no sandbox level is safe
    grade: Callable[..., Any] | None = None  # replaces grader.grading.pipeline.grade (tests)


@dataclass(frozen=True)
class _GraderFault:
    """Grading a submission raised: the grader's fault, not the student's."""

    reason: str


class _Worker:
    """Grades submissions one by one in this process, forking their sandbox workers from a
    template process of its own (grader/sandbox/forkserver.py) where the machine allows."""

    def __init__(self, settings: _Settings) -> None:
        self.settings = settings
        self.template: Any = None  # a ForkServer, once open

    def open(self) -> None:
        from grader.sandbox.forkserver import ForkServer

        template = ForkServer()
        if template.usable:
            template.start()
            self.template = template

    def close(self) -> None:
        template, self.template = self.template, None
        if template is not None:
            template.close()

    def grade(self, task: _Task) -> Record:
        """Grade one submission, write its results.json, return its manifest record."""
        started = time.monotonic()
        graded = self._grade(task.entry.path)
        if isinstance(graded, _GraderFault):
            document = gradescope.fallback(graded.reason)
        else:
            document = gradescope.render(graded)
        document.setdefault("extra_data", {})["submission"] = task.entry.name
        gradescope.write(document, task.results)
        return self._record(task, graded, round(time.monotonic() - started, 3))

    def _grade(self, path: Path) -> Results | _GraderFault:
        """The submission's Results, or the fault that kept it from having any."""
        from grader.grading.pipeline import grade

        settings = self.settings
        try:
            with _noting_interrupts() as interrupted:
                if settings.grade is not None:
                    results = settings.grade(path, settings.problems)
                else:
                    results = grade(
                        path, settings.problems, template=self.template, trust=settings.trust
                    )
            if interrupted:  # pytest turns Ctrl-C into an exit status: stop, do not record a 0
                raise KeyboardInterrupt
        except Exception as exc:  # noqa: BLE001  (one fault must not stop the class)
            return _GraderFault(f"{type(exc).__name__}: {exc}")
        return results

    def _record(self, task: _Task, graded: Results | _GraderFault, seconds: float) -> Record:
        settings = self.settings
        header = {
            "submission": task.entry.name,
            "students": task.entry.students,
            "hash": task.digest,
            "grader": settings.fingerprint,
            "results": os.path.relpath(task.results, settings.out),
            "seconds": seconds,
        }
        if isinstance(graded, _GraderFault):
            return Record(
                **header,
                score=0.0,
                max_score=max_score(settings.problems),
                problems={},
                error=graded.reason,
            )
        return Record(
            **header,
            score=graded.score,
            max_score=graded.max_score,
            problems={p.problem.id: p.score for p in graded.problems},
            # cases the grader could not run make the grade provisional: retried next run
            error="; ".join(graded.grader_errors)[:500] or None,
            grader_errors=tuple(graded.grader_errors),
            sandbox=graded.extra.get("sandbox", {}).get("level"),
        )


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


def _grade_inline(
    tasks: Iterable[_Task], settings: _Settings, record: Callable[[Record], None]
) -> None:
    """Grade in this process, one submission after another."""
    worker = _Worker(settings)
    worker.open()
    try:
        for task in tasks:
            record(worker.grade(task))
    finally:
        worker.close()


@dataclass
class _PoolProcess:
    """The grading worker of this process, when it is a pool's worker process.

    A pool runs module-level functions in its processes, so the worker that a process's
    initializer opens must be reachable from module level: `_pool_process` holds it, and is
    set only in pool processes (a forked copy of the batch's process sees it unset).
    """

    worker: _Worker | None = None


_pool_process = _PoolProcess()


def _open_pool_worker(settings: _Settings) -> None:
    """A pool process's initializer: open its worker, closed when the process exits."""
    worker = _Worker(settings)
    worker.open()
    _pool_process.worker = worker
    atexit.register(worker.close)


def _grade_in_pool_worker(task: _Task) -> Record:
    assert _pool_process.worker is not None, "not a pool process"
    return _pool_process.worker.grade(task)


def _grade_in_pool(
    tasks: Iterable[_Task], settings: _Settings, jobs: int, record: Callable[[Record], None]
) -> int:
    """Grade in `jobs` forked workers; returns how many submissions were left ungraded."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    pending: dict[Future, Entry] = {}
    ungraded = 0
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_open_pool_worker,
        initargs=(settings,),
    ) as pool:
        try:
            for task in tasks:
                pending[pool.submit(_grade_in_pool_worker, task)] = task.entry
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    entry = pending.pop(future)
                    try:
                        finished = future.result()
                    except BrokenProcessPool:
                        raise
                    except Exception as exc:  # noqa: BLE001  (writing its results failed)
                        print(f"error: {entry.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
                        ungraded += 1
                        continue
                    record(finished)
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

    def update(self, record: Record) -> None:
        self.done += 1
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_postfix_str(record.submission[:30], refresh=False)
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        print(
            f"[{self.done}/{self.total}] {record.submission}: "
            f"{record.score:g}/{record.max_score:g}  ({rate:.1f}/s, {left:.0f} s left)",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
