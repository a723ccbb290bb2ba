"""The README's and the docs pages' text, for the tests that run their code or check what they say.

The README keeps the install section; the guides are docs/ pages (mkdocs.yml), which may include README sections
(pymdownx.snippets). A test that runs a page's code finds it here by the page and a marker (an HTML comment) or a
section title, so that moving text between pages changes one line of the test, not its reading.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def page(name: str) -> Path:
    """A docs page by its file name (`"rest-api.md"`), or the README (`"README.md"`)."""
    return README if name == "README.md" else DOCS / name


def marked_block(name: str, marker: str, language: str = "python") -> str:
    """The code block right after `<!-- {marker} -->` on the page: the only one so marked."""
    pattern = rf"<!-- {re.escape(marker)} -->\n```{language}\n(.*?)```"
    [code] = re.findall(pattern, page(name).read_text(), re.DOTALL)
    return code


def section(name: str, title: str) -> str:
    """The page's section under the heading `title` (any level), up to the next heading of the same or a higher
    level; headings inside code blocks do not count."""
    lines = page(name).read_text().splitlines(keepends=True)
    start = level = None
    in_code = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        heading = None if in_code else re.match(r"(#+) (.*)", line)
        if heading and start is None and heading[2].strip() == title:
            start, level = number, len(heading[1])
        elif heading and start is not None and len(heading[1]) <= level:
            return "".join(lines[start:number])
    if start is None:
        raise AssertionError(f"{name} has no heading {title!r}")
    return "".join(lines[start:])
