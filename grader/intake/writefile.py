"""`%%writefile layers.py` cells of a notebook, read as the module files they write. Parsing only.

Colab students often keep each module in a cell that starts with `%%writefile layers.py` (or
`%%file`, IPython's other name for it) and import it in later cells (`from layers import dense`):
in the notebook, that cell wrote layers.py. So when the submission's only notebook would be used
and a module has no file of its own, the file its `%%writefile` cells write becomes that
module's file: the body of the last cell that writes it (`%%writefile layers.py`), followed by
those appending to it after (`%%writefile -a layers.py`), in the order of the cells, exactly what
IPython writes. Only the file's name counts (`/content/layers.py` is layers.py). A submitted
layers.py wins over the notebook's. Each cell used is noted ("work.ipynb, cell 3: read
`%%writefile layers.py` as layers.py"); the other `%%writefile` cells are noted as not used. The
notebook's own program skips all `%%writefile` cells (grader/intake/cells.py).
"""

from __future__ import annotations

import io
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grader.intake import cells, tree


@dataclass(frozen=True, slots=True)
class Written:
    """A `%%writefile` cell: which file it writes, and how."""

    cell: int  # cell number, counting every cell
    line: str  # its magic line, for messages
    name: str  # the file name it writes, without folders ("" when there is none)
    append: bool
    body: str  # the text it writes


def written(text: str, cell: int) -> Written | None:
    """The `%%writefile` of a cell's source, or None when it is no such cell."""
    lines = io.StringIO(text, newline="").readlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].split()[0] not in cells.WRITEFILE:
        return None
    magic = lines[first].strip()
    try:
        words = shlex.split(magic)[1:]
    except ValueError:
        words = magic.split()[1:]
    append = any(w in ("-a", "--append") for w in words)
    names = [w for w in words if not w.startswith("-")]
    name = names[0].replace("\\", "/").rsplit("/", 1)[-1] if names else ""
    body = "".join(lines[first + 1 :])
    if body and not body.endswith("\n"):
        body += "\n"  # IPython hands a cell magic its body with a final newline
    return Written(cell, magic, name, append, body)


def expand(scan: tree.Scan, modules: Sequence[str], limits: tree.IntakeLimits) -> tree.Scan:
    """`scan` with a file for every module that only the notebook's `%%writefile` cells write.

    Only when the submission holds exactly one notebook and some module has no file of its
    own, as then the notebook is read; its code cells are read here once, and the notebook
    is replaced by what was kept of it (small: its outputs are dropped) for the second reading.
    """
    usable = [f for f in scan.files if not f.problem]
    notebooks = [f for f in usable if f.name.lower().endswith(".ipynb")]
    submitted = {f.name for f in usable if f.name.endswith(".py")}
    if scan.refusal or len(notebooks) != 1 or all(f"{m}.py" in submitted for m in modules):
        return scan
    notebook = notebooks[0]
    try:
        kept = cells.kept_notebook(notebook, limits)
        sources = cells.code_cells(kept)
    except (tree.Unusable, cells.NotebookError):
        return scan  # reading it again says why
    files = [f if f is not notebook else _in_memory(notebook, kept) for f in scan.files]
    notes: list[str] = []
    contents: dict[str, list[Written]] = {}
    for number, text in sources:
        cell = written(text, number)
        if cell is None:
            continue
        if cell.append and cell.name in contents:
            contents[cell.name].append(cell)
        else:
            contents[cell.name] = [cell]
    wanted = {f"{m}.py" for m in modules}
    for name, cells_used in contents.items():
        where = f"{notebook.path}, cell"
        if name not in wanted:
            listed = ", ".join(str(c.cell) for c in cells_used)
            notes.append(
                f"{where}{'s' if len(cells_used) > 1 else ''} {listed}: "
                f"`%%writefile {name or '?'}` writes a file the grader does not use; "
                f"only {', '.join(sorted(wanted))} are graded"
            )
            continue
        if name in submitted:
            notes.append(
                f"{where} {cells_used[0].cell}: `{cells_used[0].line}` was not used: "
                f"the submitted {name} was"
            )
            continue
        notes += [f"{where} {c.cell}: read `{c.line}` as {name}" for c in cells_used]
        code = "".join(c.body for c in cells_used).encode("utf-8", "surrogatepass")
        label = f"{name} (written by {notebook.path})"
        files.append(tree.File((*notebook.parts, name), len(code), _reader(code), label=label))
    return tree.Scan(tuple(files), (*scan.notes, *notes), scan.refusal)


def _in_memory(file: tree.File, data: bytes) -> tree.File:
    return tree.File(file.parts, len(data), _reader(data), open=lambda: io.BytesIO(data))


def _reader(data: bytes) -> Callable[[int], bytes]:
    return lambda cap: data[: cap + 1]
