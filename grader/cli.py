"""The command line: parses arguments and calls the library. The only module that knows all.

    python -m grader grade SUBMISSION --out results.json
    python -m grader grade SUBMISSION --format junit=junit.xml --format markdown=summary.md
    python -m grader build-gradescope --out autograder.zip
    python -m grader build-student --out tutorial9-student.zip
    python -m grader batch SUBMISSIONS --out grades/ [--hand-scores hand-scores.csv]
    python -m grader answers SUBMISSIONS --out answers/   # written answers, for hand grading
    python -m grader check [SUBMISSION] [--problem ID]    # the public checks, as students run them
    python -m grader stubs        # regenerate the stubs from the references
    python -m grader notebook     # regenerate exercises/<name>.ipynb

Exit status: 0 when results were written, whatever the score; 1 when --fail-under is not met;
2 for a usage error (a bad option, a missing submission, a broken problems.yaml) or a refusal
(build-gradescope, build-student and batch refuse an exercise set that fails its check, see
grader/authoring/audit.py, unless forced); 3 for a grader fault (results were still written,
saying so).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from grader.problems import DEFAULT_PATH, ProblemsError, ProblemSet, load
from grader.results import formats, gradescope
from grader.results.scoring import Results

DEFAULT_OUTPUTS = {
    "gradescope": Path("results.json"),
    "junit": Path("junit.xml"),
    "classroom": Path("classroom.env"),
    "markdown": Path("summary.md"),
}
EXIT_FAIL_UNDER, EXIT_USAGE, EXIT_FAULT = 1, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (3 for any unexpected grader error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return _run(parser, args)
    except Exception:  # noqa: BLE001  (exit 1 means "below --fail-under": never reuse it)
        traceback.print_exc()
        print("error: the grader failed; please report the message above", file=sys.stderr)
        return EXIT_FAULT


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "grade":
        args.outputs = _outputs(parser, args)
        # Checked before grading: a typo in --out must not cost a whole grading run.
        unwritable = _unwritable(args.outputs)
        if unwritable:
            print(f"error: {unwritable}", file=sys.stderr)
            return EXIT_USAGE
    try:
        problems = load(args.problems)
    except ProblemsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.command == "grade":
            _write_fault(args.outputs, f"problems file: {exc}", None)
        return EXIT_USAGE
    if args.command == "check":
        from grader.selfcheck import command as selfcheck

        return selfcheck.command(args)
    if args.command in ("stubs", "notebook"):
        _warn_static(problems)
        return _generate(args.command, problems)
    if args.command in ("build-gradescope", "build-student"):
        return _build(args, problems)
    if args.command == "batch":
        return _batch(args, problems)
    if args.command == "answers":
        return _answers(args, problems)
    return _grade(args, problems)


def _warn_static(problems: ProblemSet) -> None:
    """Print what reading the set's cases and references finds: a warning only, since a set
    being written may have references before it has cases (the builds refuse it)."""
    from grader.authoring import audit

    for finding in audit.static(problems):
        print(f"warning: {finding}", file=sys.stderr)


def _refused(exc: Exception, what: str, override: str) -> int:
    """Report a set that fails its check (an audit.Unsound) and refuse."""
    findings = getattr(exc, "findings", ())
    for finding in findings:
        print(f"error: {finding}", file=sys.stderr)
    print(
        f"error: refused to {what}: the exercise set fails its check ({len(findings)} "
        f"findings above); fix them, or pass {override}",
        file=sys.stderr,
    )
    return EXIT_USAGE


def _generate(command: str, problems: ProblemSet) -> int:
    # Imported here: nbformat alone costs grading 0.1 s of start-up.
    from grader.authoring import notebook, stubs

    if command == "stubs":
        written = stubs.write_all(problems)
    else:
        target = problems.exercises_dir / problems.notebook_name
        target.write_text(notebook.render(problems, stubs.render_all(problems)), encoding="utf-8")
        written = [target]
    for path in written:
        print(f"wrote {path}")
    return 0


def _grade(args: argparse.Namespace, problems: ProblemSet) -> int:
    outputs: list[tuple[str, Path]] = args.outputs
    if not Path(args.submission).exists():
        print(f"error: no such submission: {args.submission}", file=sys.stderr)
        _write_fault(outputs, "the submission path does not exist", problems)
        return EXIT_USAGE
    if args.submission_limit is not None and _kept_previous(args, outputs):
        return 0
    # Imported here so that `stubs` and `notebook` do not pay for numpy and the sandbox.
    from grader.grading.pipeline import grade
    from grader.sandbox.isolation import SandboxUnavailable

    try:
        results = grade(args.submission, problems, trust=args.unsafe_trust_submissions)
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        _write_fault(outputs, "the grader could not start a safe sandbox", problems)
        return EXIT_FAULT
    except Exception as exc:  # noqa: BLE001  (a grader fault must still leave a results file)
        traceback.print_exc()
        _write_fault(outputs, f"{type(exc).__name__}: {exc}", problems)
        return EXIT_FAULT
    for fmt, path in outputs:
        if fmt == "gradescope":
            gradescope.write(gradescope.render(results), path)
        else:
            formats.write(formats.render(fmt, results, problems), path)
    print(table(results))
    for fmt, path in outputs:
        print(f"wrote {path} ({fmt})")
    sandbox = results.extra.get("sandbox", {})
    if sandbox.get("level") == "unsafe":
        print(
            "WARNING: UNSAFE: no sandbox (--unsafe-trust-submissions): the submission's code "
            "could read the references and hidden cases and change these results.",
            file=sys.stderr,
        )
    elif sandbox.get("level") != "full":
        notes = "; ".join(sandbox.get("notes", []))
        print(f"warning: sandbox level {sandbox.get('level')!r}: {notes}", file=sys.stderr)
    for error in results.grader_errors:
        print(f"error: the grader could not run {error}", file=sys.stderr)
    if results.grader_errors:
        return EXIT_FAULT  # the results say so too; the staff must look
    if args.fail_under is not None:
        threshold, percent = args.fail_under
        needed = threshold / 100 * results.max_score if percent else threshold
        if results.score < needed - 1e-9:
            shown = f"{threshold:g}%" if percent else f"{threshold:g}"
            print(f"score {results.score:g} is below --fail-under {shown}", file=sys.stderr)
            return EXIT_FAIL_UNDER
    return 0


def _kept_previous(args: argparse.Namespace, outputs: list[tuple[str, Path]]) -> bool:
    """Apply the submission limit: True when previous results were written instead."""
    from grader.authoring.release import SubmissionLimit, over_limit

    if args.metadata is None or not Path(args.metadata).is_file():
        return False
    try:
        metadata = json.loads(Path(args.metadata).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"warning: cannot read {args.metadata}: {exc}; grading anyway", file=sys.stderr)
        return False
    if not isinstance(metadata, dict):
        return False
    document = over_limit(metadata, SubmissionLimit(args.submission_limit, args.limit_window))
    if document is None:
        return False
    for fmt, path in outputs:
        if fmt == "gradescope":
            gradescope.write(document, path)
            print(f"submission limit reached: wrote the previous results to {path}")
    return True


def _write_fault(outputs: list[tuple[str, Path]], reason: str, problems: ProblemSet | None) -> None:
    for fmt, path in outputs:
        if fmt == "gradescope":
            gradescope.write(gradescope.fallback(reason), path)
        else:
            formats.write(formats.render_fault(fmt, reason, problems), path)


def _build(args: argparse.Namespace, problems: ProblemSet) -> int:
    from grader.authoring import audit, release

    if args.out is None:  # build-student's default, named after the set
        args.out = Path(f"{problems.name}-student.zip")
    try:
        if args.command == "build-gradescope":
            limit = None
            if args.submission_limit is not None:
                limit = release.SubmissionLimit(args.submission_limit, args.limit_window)
            archive = release.build_gradescope(args.out, problems, limit, force=args.force)
        else:
            archive = release.build_student(args.out, problems, force=args.force)
    except audit.Unsound as exc:
        return _refused(exc, f"write {args.out}", "--force to write it anyway")
    except release.ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAULT
    for finding in archive.findings:
        print(f"warning: {finding}", file=sys.stderr)
    if archive.findings:
        print(
            f"warning: --force: writing {archive.path} although the exercise set fails its "
            f"check ({len(archive.findings)} findings above)",
            file=sys.stderr,
        )
    print(
        f"wrote {archive.path}: {len(archive.members)} files, {archive.size:,} bytes "
        f"({archive.size / 1024:.1f} KiB)"
    )
    return 0


def _answers(args: argparse.Namespace, problems: ProblemSet) -> int:
    if not Path(args.submissions).is_dir():
        print(f"error: not a folder of submissions: {args.submissions}", file=sys.stderr)
        return EXIT_USAGE
    from grader.instructor import handscores, rendering, review

    try:
        done = review.write(args.submissions, args.out, problems)
    except handscores.HandScoresError as exc:
        print(f"error: {exc}; fix it or move it away (it was not changed)", file=sys.stderr)
        return EXIT_USAGE
    except (ProblemsError, rendering.MissingExtra) as exc:  # no model answers, or no extra
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for note in done.notes:
        print(note)
    counts = ", ".join(f"{p} {n}/{done.submissions}" for p, n in done.answered.items())
    print(f"{done.submissions} submissions; answered: {counts}")
    kept = f" (kept {done.kept_scores} scores already entered)" if done.kept_scores else ""
    print(f"wrote {len(done.pages)} pages and {args.out / review.INDEX} in {args.out}")
    print(f"fill in {args.out / handscores.HAND_SCORES}{kept}")
    return 0


def _batch(args: argparse.Namespace, problems: ProblemSet) -> int:
    if not Path(args.submissions).is_dir():
        print(f"error: not a folder of submissions: {args.submissions}", file=sys.stderr)
        return EXIT_USAGE
    from grader.authoring import audit
    from grader.instructor import batch, classreport, handscores
    from grader.intake import discovery
    from grader.sandbox.isolation import SandboxUnavailable

    hand = None
    if args.hand_scores is not None:  # checked before grading: a typo must not cost a run
        entries, _ = discovery.discover(args.submissions)
        written = [p for p in problems.problems if not p.graded]
        try:
            hand = handscores.read(args.hand_scores, written, {e.name for e in entries})
        except handscores.HandScoresError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    # Once per run, before any grading: a set that fails its check would grade everyone wrong.
    findings = audit.check(problems, archive=False)
    if findings and not args.grade_anyway:
        return _refused(audit.Unsound(findings), "grade", "--grade-anyway to grade anyway")
    for finding in findings:
        print(f"warning: --grade-anyway: {finding}", file=sys.stderr)
    try:
        summary = batch.run(
            args.submissions,
            args.out,
            jobs=args.jobs,
            force=args.force,
            progress=not args.no_progress,
            problems=problems,
            hand_scores=hand,
            trust=args.unsafe_trust_submissions,
        )
    except SandboxUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAULT
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130
    for note in summary.notes:
        print(note)
    print(
        f"graded {summary.graded}, unchanged {summary.skipped}, grader faults {summary.faults}; "
        f"wrote {args.out / classreport.GRADES} and {args.out / classreport.REPORT}"
    )
    return EXIT_FAULT if summary.faults else 0


def table(results: Results) -> str:
    """A short human table: problem, score, max, one-line reason; then the submission's
    messages (files used, statements that failed or were skipped)."""
    rows = [("problem", "score", "max", "")]
    rows += [
        (p.problem.id, f"{p.score:g}", f"{p.max_score:g}", p.reason[:70]) for p in results.problems
    ]
    rows.append(
        ("total", f"{results.score:g}", f"{results.max_score:g}", f"{results.execution_time:.2f} s")
    )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d}".rstrip() for a, b, c, d in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    if results.written:
        lines.append("graded by hand: " + ", ".join(p.id for p in results.written))
    lines += list(results.messages)
    return "\n".join(lines)


def _outputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[tuple[str, Path]]:
    """Where each format goes: --out is the gradescope output; results.json if nothing given."""
    outputs = list(args.format or [])
    if args.out is not None:
        outputs.insert(0, ("gradescope", args.out))
    elif not outputs:
        outputs = [("gradescope", DEFAULT_OUTPUTS["gradescope"])]
    paths = [path.resolve() for _, path in outputs]
    if len(set(paths)) != len(paths):
        parser.error("two outputs share a path")
    return outputs


def _unwritable(outputs: list[tuple[str, Path]]) -> str | None:
    """Why one of the outputs cannot be written, or None. Folders are never created."""
    for fmt, path in outputs:
        folder = path.parent
        if path.is_dir():
            return f"{fmt} output {path} is a folder; give a file path"
        if not folder.is_dir():
            return (
                f"cannot write the {fmt} output {path}: the folder {folder} does not exist "
                "(create it first, or fix the path)"
            )
        if not os.access(folder, os.W_OK):
            return f"cannot write the {fmt} output {path}: the folder {folder} is not writable"
    return None


def _format(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if name not in formats.FORMATS:
        raise argparse.ArgumentTypeError(
            f"unknown format {name!r} (choose from {', '.join(formats.FORMATS)})"
        )
    if sep and not path:
        raise argparse.ArgumentTypeError(f"{name}=: the path is empty")
    return name, Path(path) if path else DEFAULT_OUTPUTS[name]


def _threshold(text: str) -> tuple[float, bool]:
    percent = text.endswith("%")
    try:
        value = float(text.removesuffix("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a score: {text!r} (e.g. 12 or 80%)") from None
    if value < 0:
        raise argparse.ArgumentTypeError("the score must be >= 0")
    return value, percent


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _limit_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--submission-limit", type=_positive_int, metavar="N",
        help="grade at most N submissions per window; later ones keep the previous results",
    )  # fmt: skip
    command.add_argument(
        "--limit-window", type=_positive_float, default=24.0, metavar="HOURS",
        help="the sliding window of --submission-limit (default 24)",
    )  # fmt: skip


def _trust_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--unsafe-trust-submissions", action="store_true",
        help="grade even where no sandbox can contain the code (it could read the references "
        "and change the results): only for code you trust",
    )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    from grader.selfcheck import command as selfcheck

    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=Path, default=DEFAULT_PATH, help="problems.yaml")
    commands = parser.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade", help="grade one submission")
    grade.add_argument("submission", help="a folder, .py, .ipynb or .zip")
    grade.add_argument(
        "--out", type=Path, default=None,
        help="results.json path (the gradescope format; the default when no --format is given)",
    )  # fmt: skip
    grade.add_argument(
        "--format", type=_format, action="append", metavar="FORMAT[=PATH]",
        help=f"also write FORMAT ({', '.join(formats.FORMATS)}) to PATH; repeatable; default "
        f"paths: {', '.join(f'{k}={v}' for k, v in DEFAULT_OUTPUTS.items())}",
    )  # fmt: skip
    grade.add_argument(
        "--fail-under", type=_threshold, metavar="SCORE",
        help="exit with status 1 when the score is below SCORE points (or SCORE%% of the maximum)",
    )  # fmt: skip
    grade.add_argument(
        "--metadata", type=Path, metavar="PATH",
        help="Gradescope's submission_metadata.json (read for --submission-limit)",
    )  # fmt: skip
    _limit_options(grade)
    _trust_option(grade)

    gradescope_zip = commands.add_parser("build-gradescope", help="build the Gradescope zip")
    gradescope_zip.add_argument("--out", type=Path, default=Path("autograder.zip"))
    _limit_options(gradescope_zip)
    student = commands.add_parser("build-student", help="build the student bundle")
    student.add_argument("--out", type=Path, help="default: <name>-student.zip")
    for build in (gradescope_zip, student):
        build.add_argument(
            "--force", action="store_true",
            help="write the archive even when the exercise set fails its check (its cases "
            "call what their problem does not target, its references miss marks, its stubs "
            "pass a public case); the findings are still printed",
        )  # fmt: skip

    batch = commands.add_parser("batch", help="grade a folder of submissions, with a report")
    batch.add_argument("submissions", type=Path, help="a folder: one entry per student")
    batch.add_argument("--out", type=Path, default=Path("grades"), help="output folder")
    batch.add_argument("--jobs", type=_positive_int, help="worker processes (default: CPUs)")
    batch.add_argument("--force", action="store_true", help="regrade unchanged submissions")
    batch.add_argument(
        "--grade-anyway", action="store_true",
        help="grade even when the exercise set fails its check (see build-gradescope --force)",
    )  # fmt: skip
    batch.add_argument("--no-progress", action="store_true", help="no progress output")
    _trust_option(batch)
    batch.add_argument(
        "--hand-scores", type=Path, metavar="CSV",
        help="hand-scores.csv from `answers`, filled in: adds the written problems' points",
    )  # fmt: skip

    answers = commands.add_parser(
        "answers", help="pages of every student's written answers, and a blank hand-scores.csv"
    )
    answers.add_argument("submissions", type=Path, help="a folder: one entry per student")
    answers.add_argument("--out", type=Path, default=Path("answers"), help="output folder")

    selfcheck.add_command(commands)
    commands.add_parser("stubs", help="regenerate the stubs (exercises/*.py) from the references")
    commands.add_parser("notebook", help="regenerate the notebook (exercises/<name>.ipynb)")
    for subparser in commands.choices.values():  # also accepted after the command
        subparser.add_argument(
            "--problems", type=Path, default=argparse.SUPPRESS,
            help="the exercise set's problems.yaml (default: this project's)",
        )  # fmt: skip
    return parser
