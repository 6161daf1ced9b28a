"""Markdown pages members read, and the checks that refuse a broken one.

A page starts with its title ("# Title"); a line holding only ``{{ name }}``
is a block generated from the TOML (the targets table, the ladder...), so a
number is never typed twice. Raw HTML is refused: pages render with it off.
"""

from __future__ import annotations

import re
from typing import Literal

from markdown_it import MarkdownIt
from pydantic import BaseModel, ConfigDict

from portal.policies.texts import LocalizedText

PROCEDURE = "procedure"
# A generated block in a Markdown page: a line holding only "{{ name }}".
BLOCK_LINE_RE = re.compile(r"\s*\{\{\s*([A-Za-z_]+)\s*\}\}\s*")
# Blocks each kind of page may show; the procedure page must show the targets.
PROCEDURE_BLOCKS = frozenset({"targets", "categories", "ladder"})
CATEGORY_BLOCKS = frozenset({"targets", "ladder", "category"})
# Parsing with HTML on lets us find raw HTML and refuse it.
_HTML_FINDER = MarkdownIt("commonmark", {"html": True}).enable("table")


class Page(BaseModel):
    """A Markdown page members read; `{{ name }}` lines are blocks generated from the TOML.

    `title` and `markdown` hold every language's version (``procedure.md`` in the default
    language, ``procedure.ko.md`` and so on for the others); `file` is the default one's.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    slug: str
    file: str
    title: LocalizedText
    markdown: LocalizedText

    def segments(self, lang: str | None = None) -> list[tuple[Literal["markdown", "block"], str]]:
        """The page in `lang` (else the default language) cut at its block lines:
        ("markdown", text) and ("block", name) in order."""
        out: list[tuple[Literal["markdown", "block"], str]] = []
        chunk: list[str] = []
        for line in self.markdown.in_language(lang).splitlines():
            match = BLOCK_LINE_RE.fullmatch(line)
            if match is None:
                chunk.append(line)
                continue
            if chunk:
                out.append(("markdown", "\n".join(chunk)))
                chunk = []
            out.append(("block", match[1]))
        if chunk:
            out.append(("markdown", "\n".join(chunk)))
        return out


def check_page(
    text: str, blocks: frozenset[str], required: str | None
) -> tuple[str | None, list[tuple[str | None, str]]]:
    """(title, problems) of a page; each problem is (entry such as "line 4", message)."""
    problems: list[tuple[str | None, str]] = []
    used = set()
    for number, line in enumerate(text.splitlines(), 1):
        if "{{" not in line and "}}" not in line:
            continue
        match = BLOCK_LINE_RE.fullmatch(line)
        if match is None:
            problems.append((f"line {number}", "a {{ block }} must stand alone on its line"))
        elif match[1] not in blocks:
            allowed = ", ".join(f"{{{{ {b} }}}}" for b in sorted(blocks))
            problems.append(
                (
                    f"line {number}",
                    f"unknown block {{{{ {match[1]} }}}} (this page may use {allowed})",
                )
            )
        else:
            used.add(match[1])
    if required and required not in used:
        problems.append(
            (None, f"the page must show the {required} table: add a line {{{{ {required} }}}}")
        )

    tokens = _HTML_FINDER.parse(text)
    titles = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h1"]
    if not titles or titles[0] != 0 or not tokens[1].content.strip():
        problems.append(("line 1", "the page must start with its title as a '# Title' heading"))
    for index in titles[1:]:
        line = (tokens[index].map or [0])[0] + 1
        problems.append(
            (f"line {line}", "only the title may be a '# ' heading; use '## ' for sections")
        )
    for token in tokens:
        children = token.children or []
        if token.type == "html_block" or any(c.type == "html_inline" for c in children):
            line = (token.map or [0])[0] + 1
            problems.append(
                (f"line {line}", "raw HTML is not shown to members; write Markdown instead")
            )
    return (None if problems else tokens[1].content.strip()), problems
