"""The timeline words of the committee's casework (triage, messages, decisions).

Events keep the English detail they were written with (it is the record); these kinds are
worded again in the reader's language, the member's way (`member_text`) or the committee's
(`staff_text`). Slugs in the detail are worded from the policy set. A kind not listed here
answers None, and the caller words it as before.
"""

from __future__ import annotations

import re

from flask_babel import gettext

from portal.policies import current_policies
from portal.policies.texts import localize
from portal.web.language import current_language

_PRIORITY = re.compile(r"^Priority changed from (\S+) to (\S+): (.*)$", re.DOTALL)
_CATEGORY = re.compile(
    r"^Category changed from (\S+) to (\S+)(?:; passed to the (\S+) committee)?$"
)
_ASSIGNED = re.compile(r"^Assigned to (.+)$", re.DOTALL)
_DECIDED = re.compile(r"^(Panel decision|Decision): (\S+)$")


def _label(table: str, slug: str) -> str:
    entry = getattr(current_policies(), table).get(slug)
    if entry is None:
        return slug
    text = entry.name if table == "committees" else entry.label
    return str(localize(text, current_language()))


def _shared(kind: str, detail: str) -> str | None:
    """What both readers see alike: the policy's words for a new kind or priority."""
    if kind == "priority" and (found := _PRIORITY.match(detail)):
        return gettext(
            "The priority was changed to %(priority)s: “%(reason)s”",
            priority=_label("priorities", found.group(2)),
            reason=found.group(3),
        )
    if kind == "category" and (found := _CATEGORY.match(detail)):
        category = _label("categories", found.group(2))
        if found.group(3):
            return gettext(
                "The kind of grievance was changed to %(category)s; it is now with the "
                "%(committee)s committee.",
                category=category,
                committee=_label("committees", found.group(3)),
            )
        return gettext("The kind of grievance was changed to %(category)s.", category=category)
    if kind == "decided" and (found := _DECIDED.match(detail)):
        outcome = _label("outcomes", found.group(2))
        if found.group(1) == "Panel decision":
            return gettext("The grievance panel decided: %(outcome)s", outcome=outcome)
        return gettext("The committee decided: %(outcome)s", outcome=outcome)
    return None


def member_text(kind: str, detail: str) -> str | None:
    if kind == "reviewer_assigned":
        return gettext("A reviewer has been assigned")
    if kind == "committee_message":
        return gettext("The committee sent you a message")
    if kind == "information_requested":
        return gettext("The committee asked you for more information")
    return _shared(kind, detail)


def staff_text(kind: str, detail: str) -> str | None:
    if kind == "reviewer_assigned":
        return gettext("The member was told a reviewer has been assigned")
    if kind == "assigned" and (found := _ASSIGNED.match(detail)):
        return gettext("Assigned to %(name)s", name=found.group(1))
    if kind == "committee_message":
        return gettext("A message was sent to the member")
    if kind == "information_requested":
        return gettext("The member was asked for more information")
    return _shared(kind, detail)
