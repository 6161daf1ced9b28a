"""The timeline words of the escalation ladder (services/escalation.py, sweep.py,
extensions.py, panels.py).

Events keep an English record in their detail; their kind is worded again here in the
reader's language, the level's title taken from the policy. A kind not listed answers None.
The member reads "at your request" and "your appeal", the committee "at the member's
request" and "the member's appeal"; every other ladder event reads the same for both.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from portal.policies import current_policies
from portal.policies.texts import localize
from portal.web.language import current_language

_LEVEL = re.compile(r"level (\d+)")


def _title(number: int) -> str:
    level = current_policies().ladder.levels.get(number)
    return str(localize(level.title, current_language())) if level else ""


def _shared(kind: str, detail: str) -> str | None:
    if kind == "extended":
        return gettext("The decision date was moved. Reason: “%(reason)s”", reason=detail)
    if kind == "breached.first_response":
        return gettext("We did not reply by the date we promised")
    if kind == "breached.resolution":
        return gettext("We did not decide by the date we promised")
    if kind == "due_soon.first_response":
        return gettext("The first response is due soon")
    if kind == "due_soon.resolution":
        return gettext("The decision is due soon")
    found = _LEVEL.search(detail)
    if found is None:
        return None
    number = int(found.group(1))
    if kind == "escalated.first_response":
        return gettext(
            "Moved to level %(number)d (%(title)s): we did not reply by the date we promised",
            number=number,
            title=_title(number),
        )
    if kind == "escalated.resolution":
        return gettext(
            "Moved to level %(number)d (%(title)s): we did not decide by the date we promised",
            number=number,
            title=_title(number),
        )
    return None


def member_text(kind: str, detail: str) -> str | None:
    found = _LEVEL.search(detail)
    if found is not None and kind == "escalated.member_request":
        number = int(found.group(1))
        return gettext(
            "Moved to level %(number)d (%(title)s) at your request, after a promised date passed",
            number=number,
            title=_title(number),
        )
    if found is not None and kind == "escalated.appeal":
        number = int(found.group(1))
        return gettext(
            "Your appeal moved the grievance to level %(number)d (%(title)s)",
            number=number,
            title=_title(number),
        )
    return _shared(kind, detail)


def staff_text(kind: str, detail: str) -> str | None:
    found = _LEVEL.search(detail)
    if found is not None:
        number = int(found.group(1))
        words = {"number": number, "title": _title(number)}
        if kind == "escalated.member_request":
            return gettext(
                "Moved to level %(number)d (%(title)s) at the member's request, after a "
                "promised date passed",
                **words,
            )
        if kind == "escalated.appeal":
            return gettext(
                "The member's appeal moved the case to level %(number)d (%(title)s)", **words
            )
        if kind == "panel.seated":
            names = detail.split(": ", 1)[1] if ": " in detail else ""
            return gettext(
                "Seated on the panel at level %(number)d: %(names)s", number=number, names=names
            )
        if kind == "escalated" and "high-risk" in detail:
            return gettext("Moved to level %(number)d (%(title)s): high-risk words", **words)
        if kind == "escalated" and "conflict of interest" in detail:
            return gettext(
                "Moved to level %(number)d (%(title)s): no chair of the committee is free of a "
                "conflict of interest",
                **words,
            )
        if kind == "escalated":
            return gettext("Moved to level %(number)d (%(title)s)", **words)
    return _shared(kind, detail)
