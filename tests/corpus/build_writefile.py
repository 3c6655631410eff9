"""Writes correct/l_writefile/submission.ipynb: a Colab notebook that writes each module with a
`%%writefile <module>.py` cell and imports it in the cells after (`from conv import conv2d`).

The modules are correct/d_pad_einsum's, rnn.py written in two cells (`%%writefile -a` appends
the second). Run `python tests/corpus/build_writefile.py` after editing; tests/test_corpus.py
checks that the committed notebook is what this script writes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
TARGET = HERE / "correct" / "l_writefile" / "submission.ipynb"
MODULES = HERE / "correct" / "d_pad_einsum"


def module(name: str) -> str:
    return (MODULES / f"{name}.py").read_text(encoding="utf-8").rstrip("\n")


def cells() -> list[tuple[str, str, str | None]]:
    rnn = module("rnn")
    split = rnn.index("def clip_grad_norm")
    return [
        ("markdown", "# CS2109S Tutorial 9\nName: Nur Aisyah, tutorial group 03", None),
        ("code", "from google.colab import drive\ndrive.mount('/content/drive')",
         "Mounted at /content/drive\n"),
        ("code", "%cd /content/drive/MyDrive/CS2109S/T9", "/content/drive/MyDrive/CS2109S/T9\n"),
        ("code", "import numpy as np\nimport matplotlib.pyplot as plt", None),
        ("markdown", "## Problem 1(a): convolution", None),
        ("code", f"%%writefile conv.py\n{module('conv')}", "Writing conv.py\n"),
        ("code", "from conv import conv2d, conv_layer, max_pool2d\n"
         "x = np.arange(16.0).reshape(4, 4)\nprint(conv2d(x, np.ones((2, 2))))",
         "[[10. 14. 18.]\n [26. 30. 34.]\n [42. 46. 50.]]\n"),
        ("markdown", "## Problem 1(b): output sizes", None),
        ("code", f"%%writefile shapes.py\n{module('shapes')}", "Writing shapes.py\n"),
        ("code", "import shapes\nprint(shapes.conv_output_size(224, 11, 4))", "54\n"),
        ("markdown", "## Problem 2: RNN types", None),
        ("code", f"%%writefile rnn_types.py\n{module('rnn_types')}", "Writing rnn_types.py\n"),
        ("code", "from rnn_types import TASK_TYPES\nTASK_TYPES", None),
        ("markdown", "## Problem 3: activations", None),
        ("code", f"%%writefile activations.py\n{module('activations')}",
         "Writing activations.py\n"),
        ("code", "import activations as act\nz = np.linspace(-2, 2, 5)\n"
         "plt.plot(z, act.leaky_relu(z, 0.1))", None),
        ("markdown", "## Problem 4: tokens and the RNN", None),
        ("code", f"%%writefile rnn.py\n{rnn[:split].rstrip()}", "Writing rnn.py\n"),
        ("code", f"%%writefile -a rnn.py\n\n\n{rnn[split:]}", "Appending to rnn.py\n"),
        ("code", "import importlib, rnn\nimportlib.reload(rnn)\n"
         "print(rnn.image_to_tokens(np.zeros((4, 4, 3)), 'patches', 2).shape)", "(4, 12)\n"),
    ]  # fmt: skip


def build() -> nbformat.NotebookNode:
    """The notebook as the student saved it from Colab (execution counts and printed output)."""
    built = []
    count = 0
    for kind, source, printed in cells():
        if kind == "markdown":
            built.append(nbformat.v4.new_markdown_cell(source))
            continue
        count += 1
        outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)] if printed else []
        built.append(nbformat.v4.new_code_cell(source, execution_count=count, outputs=outputs))
    notebook = nbformat.v4.new_notebook(cells=built)
    notebook.metadata = {
        "colab": {"provenance": []},
        "kernelspec": {"display_name": "Python 3", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i:02d}"  # stable ids, so the committed file is reproducible
    return notebook


def text() -> str:
    return nbformat.writes(build()) + "\n"


if __name__ == "__main__":
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text(), encoding="utf-8")
    sys.stdout.write(f"wrote {TARGET}\n")
