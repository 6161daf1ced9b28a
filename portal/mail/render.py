"""Writing a mail from its template, in its reader's language.

Each message is one template, `templates/mail/<name>.html`, that fills four blocks of a
layout: `subject` (also the line shown in the portal's notification list), `target` (the
page it links to), `action` (the words of that link) and `body`, paragraphs written with
`para(...)`. The same template gives the plain-text body (through `mail/_layout.txt`,
nothing escaped) and the HTML body (through `mail/_layout.html`, everything escaped).

Templates see only the message's context (plain values: the reference, codes, ISO dates)
and helpers that word them for the reader: `_`, `ngettext`, `moment(iso)`,
`status_label(code)`, `level_title(number)`, `committee_name(slug)`, `association` and
`link(endpoint, **values)`, which the caller supplies (an absolute address from
PORTAL_BASE_URL for mail, a path for the portal's own pages).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from portal.config import ROOT
from portal.domain.workflow import Status, info
from portal.i18n import LANGUAGES, format_moment, speaking, translate, translations, zone_city
from portal.policies.types import PolicySet

TEMPLATES = ROOT / "templates"
Link = Callable[..., str]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    target: str
    language: str


def _environment(autoescape: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        # The plain-text body is not HTML: nothing to escape there (the HTML body escapes).
        autoescape=autoescape,  # noqa: S701
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Renderer:
    """Renders mail templates for one policy set; `link` builds the addresses in them."""

    def __init__(self, policies: PolicySet, link: Link) -> None:
        self.policies = policies
        self.link = link
        self._text = _environment(autoescape=False)
        self._html = _environment(autoescape=True)

    def language_for(self, chosen: str | None) -> str:
        """The reader's chosen language if the association offers it, else its default."""
        offered = set(self.policies.languages.supported) & set(LANGUAGES)
        return chosen if chosen in offered else self.policies.languages.default

    def _helpers(self, language: str, html: bool) -> dict[str, Any]:
        policies = self.policies
        catalogue = translations(language)
        zone = policies.calendar.time_zone

        def gettext(msgid: str, **params: object) -> str:
            text = catalogue.gettext(msgid)
            return text % params if params else text

        def ngettext(singular: str, plural: str, num: int, **params: object) -> str:
            text = catalogue.ngettext(singular, plural, num)
            return text % {"num": num, **params}

        def moment(value: str | None) -> str:
            if not value:
                return ""
            when = datetime.fromisoformat(value)
            return translate(
                language,
                "%(moment)s (%(city)s time)",
                moment=format_moment(when, zone, language),
                city=zone_city(zone, language),
            )

        def status_label(code: str) -> str:
            with speaking(language):
                return str(info(Status(code)).label)

        def level_title(number: int) -> str:
            level = policies.ladder.levels.get(int(number))
            return level.title.in_language(language) if level else str(number)

        def committee_name(slug: str) -> str:
            committee = policies.committees.get(slug)
            return committee.name.in_language(language) if committee else slug

        def para(text: str) -> str:
            if html:
                return Markup("<p>") + escape(text) + Markup("</p>\n")
            wrapped = textwrap.fill(
                " ".join(str(text).split()),
                width=72,
                break_long_words=False,
                break_on_hyphens=False,
            )
            return wrapped + "\n\n"

        association = policies.association
        return {
            "_": gettext,
            "gettext": gettext,
            "ngettext": ngettext,
            "moment": moment,
            "status_label": status_label,
            "level_title": level_title,
            "committee_name": committee_name,
            "para": para,
            "link": self.link,
            "language": language,
            "association": {
                "name": association.name.in_language(language),
                "email": association.email,
                "phone": association.phone,
            },
            "layout": "mail/_layout.html" if html else "mail/_layout.txt",
        }

    def _template(self, name: str, html: bool) -> Template:
        return (self._html if html else self._text).get_template(f"mail/{name}.html")

    def _block(self, name: str, block: str, context: Mapping[str, object], language: str) -> str:
        """One block on its own, found through the template's layouts, on one line."""
        values = {**self._helpers(language, html=False), **context}
        values.update(layout="mail/_one_block.txt", only=block)
        return " ".join(self._template(name, html=False).render(values).split())

    def subject(self, name: str, context: Mapping[str, object], language: str) -> str:
        """The message's one line: the mail's subject, the notification's text."""
        return self._block(name, "subject", context, self.language_for(language))

    def target(self, name: str, context: Mapping[str, object]) -> str:
        """Where the message leads (the link of the mail and of the notification)."""
        return self._block(name, "target", context, self.policies.languages.default)

    def render(self, name: str, context: Mapping[str, object], language: str | None) -> Rendered:
        """Subject, plain-text and HTML bodies of one message in the reader's language."""
        lang = self.language_for(language)
        text = self._template(name, html=False).render(
            {**self._helpers(lang, html=False), **context}
        )
        html = self._template(name, html=True).render({**self._helpers(lang, html=True), **context})
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        return Rendered(
            self.subject(name, context, lang), text, html, self.target(name, context), lang
        )
