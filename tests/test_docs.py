"""The documentation stays short where it should and points only at what exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
GRADER_PATH = re.compile(r"(?<![\w.])grader/[\w/.-]*?\.py\b")


def _prose(text: str) -> str:
    """The text without its fenced code blocks (links there are not links)."""
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors of a Markdown page."""
    headings = re.findall(r"^#{1,6} (.+)$", _prose(page.read_text(encoding="utf-8")), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def test_readme_is_short() -> None:
    """Is the README at most 160 lines, the rest in docs/?"""
    assert len(README.read_text(encoding="utf-8").splitlines()) <= 160


def test_quickstart_block_is_what_ci_runs() -> None:
    """Does the Quickstart's first block hold the install-and-grade line, then the test line?"""
    section = README.read_text(encoding="utf-8").split("## Quickstart", 1)[1]
    block = re.search(r"```(?:bash|sh)?\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert "python -m grader grade examples/sample-submission" in lines[0]
    assert lines[1].endswith("python -m pytest")  # what .ci/run runs


def test_readme_links_every_doc() -> None:
    """Is every page of docs/ reachable from the README?"""
    links = set(LINK.findall(_prose(README.read_text(encoding="utf-8"))))
    assert {f"docs/{page.name}" for page in DOCS} <= links


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_relative_links_point_to_existing_files(page: Path) -> None:
    """Does every relative link (and its #anchor, on a Markdown page) lead somewhere?"""
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue  # http:, https:, mailto:
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or (anchor and file.suffix == ".md" and anchor not in _anchors(file)):
            broken.append(target)
    assert not broken, f"{_name(page)}: broken links {broken}"


@pytest.mark.parametrize("page", PAGES, ids=_name)
def test_grader_paths_exist(page: Path) -> None:
    """Does every grader/...py path the page names exist in the current tree?"""
    text = page.read_text(encoding="utf-8")
    missing = sorted({p for p in GRADER_PATH.findall(text) if not (ROOT / p).is_file()})
    assert not missing, f"{_name(page)} names files that do not exist: {missing}"
