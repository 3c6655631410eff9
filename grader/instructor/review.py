"""Pages for grading the written problems by hand, and the blank hand-scores.csv.

    python -m grader answers SUBMISSIONS --out answers/

SUBMISSIONS is a folder of submissions as `batch` reads it (Gradescope's "Export Submissions"
folder included, names from its metadata). The output folder gets:

- `<problem id>.html` per written problem: its statement, the model answer and the rubric
  from the set's model answers (problems.yaml's `answers`, `ProblemSet.answers_path`), then
  every student's answer (CommonMark with tables, LaTeX as MathML:
  grader/instructor/rendering.py; the Markdown source a click away), each under an anchor
  `#s-<submission>`, and at the end the submissions with no answer, listed by name;
- `index.html`: every problem with its counts, every submission with what it answered;
- `hand-scores.csv` (grader/instructor/handscores.py) for the TA's points.

The pages are self-contained: no script, no network (a Content-Security-Policy forbids both;
math is MathML, which the browser renders itself), every piece of student text escaped.
Rendering needs the `answers` extra; `write` raises rendering.MissingExtra, before writing
anything, when it is not installed.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.instructor import handscores, rendering
from grader.intake import answers, discovery
from grader.problems import Problem, ProblemSet
from grader.results import formats

INDEX = "index.html"
_RUBRIC = re.compile(r"^ {0,3}#{3,6}[ \t]+rubric\b.*$", re.I | re.M)
_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; border-bottom: 1px solid #ccc; }
.model { background: #eef6ee; padding: .5rem 1rem; border-left: 4px solid #3a7d44; }
.rubric { background: #f4f0e6; padding: .5rem 1rem; border-left: 4px solid #a87b00; }
.statement { background: #f2f4f8; padding: .5rem 1rem; }
article { border: 1px solid #ddd; border-radius: 6px; padding: .2rem 1rem 1rem; margin: 1rem 0; }
article:target { border-color: #3366cc; box-shadow: 0 0 0 2px #3366cc55; }
.who { color: #555; font-weight: normal; } .origin, .grade { color: #555; font-size: .9rem; }
code { background: #f3f3f3; padding: 0 .2rem; } .link { font-family: monospace; }
code.tex-error { color: #5a2d82; border-bottom: 1px dotted #b00; }
div.math { margin: .6rem 0; overflow-x: auto; } math[display="block"] { margin: .3rem 0; }
pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; white-space: pre-wrap; }
nav ol { columns: 3; font-size: .9rem; } .missing li { margin: .2rem 0; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2rem .6rem; }
"""


@dataclass(frozen=True)
class Review:
    """What `write` did."""

    pages: tuple[Path, ...]
    submissions: int
    answered: dict[str, int]  # problem id -> how many submissions answered it
    kept_scores: int  # filled cells kept from an existing hand-scores.csv
    notes: tuple[str, ...] = field(default_factory=tuple)


def model_answers(problems: ProblemSet) -> dict[str, tuple[str, str]]:
    """Problem id -> (model answer, rubric) Markdown from the set's model answers ("" for a
    part the file does not hold).

    Raises:
        ProblemsError: the set has written problems and its model answers file is missing.
    """
    written = [p for p in problems.problems if not p.graded]
    path = problems.model_answers_path()
    text = path.read_text(encoding="utf-8") if path is not None else ""
    result = {}
    for problem, section in answers.sections(text, written).items():
        parts = _RUBRIC.split(section, maxsplit=1)
        result[problem] = (parts[0].strip(), parts[1].strip() if len(parts) > 1 else "")
    return result


def write(submissions: Path, out: Path, problems: ProblemSet) -> Review:
    """Collect every submission's written answers and write the pages and hand-scores.csv.

    Raises handscores.HandScoresError when an existing hand-scores.csv in `out` cannot be
    read (it is never overwritten then), and ProblemsError when the set's model answers are
    missing (before anything is written).
    """
    rendering.require()
    written = [p for p in problems.problems if not p.graded]
    models = model_answers(problems)
    entries, notes = discovery.discover(Path(submissions))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scores_path = out / handscores.HAND_SCORES
    kept = handscores.read(scores_path, written) if scores_path.is_file() else None
    collected = {e.name: answers.collect(e.path, written) for e in entries}
    for entry in entries:
        notes += [f"{entry.name}: {note}" for note in collected[entry.name].notes]
    anchors = _anchors([e.name for e in entries])
    pages = []
    for problem in written:
        page = out / f"{problem.id}.html"
        text = _problem_page(
            problem, entries, collected, anchors, models.get(problem.id), problems.answers
        )
        formats.write(text, page)
        pages.append(page)
    formats.write(_index_page(problems.title, written, entries, collected, anchors, notes),
                  out / INDEX)  # fmt: skip
    rows = [(e.name, e.students) for e in entries]
    formats.write(handscores.render(rows, written, kept), scores_path)
    answered = {p.id: sum(p.id in c.found for c in collected.values()) for p in written}
    kept_count = sum(len(v) for v in kept.scores.values()) if kept else 0
    return Review(tuple(pages), len(entries), answered, kept_count, tuple(notes))


def _anchors(names: Sequence[str]) -> dict[str, str]:
    """Submission -> a distinct, safe anchor id: "s-" and its letters, digits, - and _."""
    result, used = {}, set()
    for name in names:
        anchor = "s-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "x")
        if anchor in used:
            anchor += "-" + hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        used.add(anchor)
        result[name] = anchor
    return result


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n"
    )


def _who(students: str) -> str:
    return f' <span class="who">({html.escape(students)})</span>' if students else ""


def _problem_page(
    problem: Problem,
    entries: Sequence[discovery.Entry],
    collected: dict[str, answers.Answers],
    anchors: dict[str, str],
    model: tuple[str, str] | None,
    source: str,
) -> str:
    model_text, rubric = model or ("", "")
    none = f"<p>None in {html.escape(source)}.</p>"
    done = [e for e in entries if problem.id in collected[e.name].found]
    missing = [e for e in entries if problem.id not in collected[e.name].found]
    parts = [
        f'<p><a href="{INDEX}">All written problems</a></p>',
        f"<h1>{html.escape(problem.title)} <small>({problem.points:g} pt)</small></h1>",
        f'<div class="statement">{rendering.render(problem.statement)}</div>',
        '<h2>Model answer</h2><div class="model">'
        + (rendering.render(model_text) if model_text else none)
        + "</div>",
        '<h2>Rubric</h2><div class="rubric">'
        + (rendering.render(rubric) if rubric else none)
        + "</div>",
        f"<h2>Answers ({len(done)} of {len(entries)}; {len(missing)} missing)</h2>",
        '<p class="grade">Enter points in hand-scores.csv, column '
        f"<code>{html.escape(handscores.column(problem))}</code>.</p>",
    ]
    if entries:
        links = "".join(
            f'<li><a href="#{anchors[e.name]}">{html.escape(e.name)}</a>'
            f"{'' if e in done else ' (no answer)'}</li>"
            for e in entries
        )
        parts.append(f"<nav><ol>{links}</ol></nav>")
    for entry in done:
        answer = collected[entry.name].found[problem.id]
        parts.append(
            f'<article id="{anchors[entry.name]}">'
            f'<h3><a href="#{anchors[entry.name]}">{html.escape(entry.name)}</a>'
            f"{_who(entry.students)}</h3>"
            f'<p class="origin">from {html.escape(answer.origin)}</p>'
            f'<div class="answer">{rendering.render(answer.text)}</div>'
            "<details><summary>Markdown source</summary>"
            f"<pre>{html.escape(answer.text)}</pre></details>"
            f'<p class="grade">{html.escape(entry.name)}: __ / {problem.points:g}</p>'
            "</article>"
        )
    parts.append(f'<h2 id="missing">No answer ({len(missing)})</h2>')
    if missing:
        items = "".join(
            f'<li id="{anchors[e.name]}">{html.escape(e.name)}{_who(e.students)}</li>'
            for e in missing
        )
        parts.append(f'<ul class="missing">{items}</ul>')
    else:
        parts.append("<p>Every submission answered.</p>")
    return _page(problem.title, "\n".join(parts))


def _index_page(
    title: str,
    written: Sequence[Problem],
    entries: Sequence[discovery.Entry],
    collected: dict[str, answers.Answers],
    anchors: dict[str, str],
    notes: Sequence[str],
) -> str:
    rows = "".join(
        f'<tr><td><a href="{html.escape(p.id)}.html">{html.escape(p.title)}</a></td>'
        f"<td>{p.points:g}</td>"
        f"<td>{sum(p.id in c.found for c in collected.values())}</td>"
        f"<td>{sum(p.id not in c.found for c in collected.values())}</td></tr>"
        for p in written
    )
    parts = [
        f"<h1>{html.escape(title)}: written answers</h1>",
        f"<p>{len(entries)} submissions. Points go in <code>{handscores.HAND_SCORES}</code>.</p>",
        "<table><tr><th>problem</th><th>max</th><th>answered</th><th>missing</th></tr>"
        f"{rows}</table>",
        "<h2>Submissions</h2><table><tr><th>submission</th>"
        + "".join(f"<th>{html.escape(p.id)}</th>" for p in written)
        + "</tr>",
    ]
    for entry in entries:
        found = collected[entry.name].found
        cells = "".join(
            f'<td><a href="{html.escape(p.id)}.html#{anchors[entry.name]}">answer</a></td>'
            if p.id in found
            else "<td>missing</td>"
            for p in written
        )
        parts.append(f"<tr><td>{html.escape(entry.name)}{_who(entry.students)}</td>{cells}</tr>")
    parts.append("</table>")
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        parts.append(f"<h2>Notes</h2><ul>{items}</ul>")
    return _page(f"{title}: written answers", "\n".join(parts))
