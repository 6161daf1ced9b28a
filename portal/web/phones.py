"""Phone numbers as tap-to-call links, in the safety notice and the policy pages.

Only the numbers the policy lists (``triage.toml`` ``phone_numbers``) become links, each
where it stands on its own (not inside a longer number), so a year or an amount never
turns into one. The Markdown pages get the links from a markdown-it rule that works on
text tokens, outside existing links and code, so the rendered HTML is never re-parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup, escape


@lru_cache(maxsize=16)
def _pattern(numbers: tuple[str, ...]) -> re.Pattern[str] | None:
    if not numbers:
        return None
    # Longest first, so "020 7946 0000" wins over a listed "020".
    choices = "|".join(re.escape(n) for n in sorted(set(numbers), key=len, reverse=True))
    return re.compile(rf"(?<![\d+])(?:{choices})(?!\d)")


def tel_href(number: str) -> str:
    """ "020 7946 0000" → "tel:02079460000"."""
    return "tel:" + re.sub(r"[^\d+]", "", number)


def pieces(text: str, numbers: Iterable[str]) -> Iterator[tuple[str, bool]]:
    """(piece, is_number) in order; joined, the pieces are `text` again."""
    pattern = _pattern(tuple(numbers))
    if pattern is None:
        yield text, False
        return
    start = 0
    for found in pattern.finditer(text):
        if found.start() > start:
            yield text[start : found.start()], False
        yield found.group(), True
        start = found.end()
    if start < len(text):
        yield text[start:], False


def link_phones(text: object, numbers: Iterable[str]) -> Markup:
    """Escaped `text` with each listed number as a `tel:` link."""
    out = Markup("")
    for piece, is_number in pieces(str(text), numbers):
        if is_number:
            out += Markup('<a href="{}" class="tel">{}</a>').format(tel_href(piece), piece)
        else:
            out += escape(piece)
    return out


def markdown_rule(numbers: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """A markdown-it core rule that links the listed numbers in text outside links."""

    def rule(state: StateCore) -> None:
        for block in state.tokens:
            if block.type != "inline" or not block.children:
                continue
            children: list[Token] = []
            in_link = 0
            for token in block.children:
                in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
                if token.type != "text" or in_link:
                    children.append(token)
                    continue
                for piece, is_number in pieces(token.content, numbers):
                    if not is_number:
                        text = Token("text", "", 0)
                        text.content = piece
                        children.append(text)
                        continue
                    opened = Token("link_open", "a", 1)
                    opened.attrs = {"href": tel_href(piece), "class": "tel"}
                    text = Token("text", "", 0)
                    text.content = piece
                    children += [opened, text, Token("link_close", "a", -1)]
            block.children = children

    return rule


def with_phone_links(md: MarkdownIt, numbers: tuple[str, ...]) -> MarkdownIt:
    if numbers:
        md.core.ruler.push("phone_links", markdown_rule(numbers))
    return md
