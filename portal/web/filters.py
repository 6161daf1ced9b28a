"""Template filters: dates in the reader's language and time zone, statuses in plain words."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from flask import Flask, g, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from markupsafe import Markup

from portal import i18n
from portal.domain import workflow
from portal.i18n import _l
from portal.policies import current_policies
from portal.policies.texts import localize
from portal.web import casework_events, ladder_events
from portal.web.language import current_language
from portal.web.phones import link_phones


def _zone() -> ZoneInfo:
    """The reader's time zone, found once a request: a page formats dozens of moments."""
    if "zone" not in g:
        tz = getattr(current_user, "timezone", None) if current_user else None
        g.zone = ZoneInfo(tz) if tz else current_policies().calendar.time_zone
    return g.zone  # type: ignore[no-any-return]


def _moment(moment: datetime | None, style: str) -> str:
    if moment is None:
        return "—"
    return i18n.format_moment(moment, _zone(), current_language(), style)


def localdatetime(moment: datetime | None) -> str:
    """ "Wednesday 25 November 2026 at 12:53" / "2026년 11월 25일 (수) 오후 12:53"."""
    return _moment(moment, "long")


def localdate(moment: datetime | None) -> str:
    """ "25 Nov 2026" / "2026년 11월 25일"."""
    return _moment(moment, "date")


def localshort(moment: datetime | None) -> str:
    """A date with its time, for tables: "24 Nov 2026, 10:00"."""
    return _moment(moment, "short")


def localday(day: date | None) -> str:
    """A calendar date without a time: "2 March 2026" / "2026년 3월 2일"."""
    return "—" if day is None else i18n.format_day(day, current_language())


def number(value: float, digits: int = 1) -> str:
    return i18n.format_number(value, current_language(), digits)


def filesize(size: int) -> str:
    """ "812 bytes", "12.3 KB", "4.2 MB": enough to tell two files of one name apart."""
    if size < 1024:
        return ngettext("%(num)d byte", "%(num)d bytes", size)
    if size < 1024 * 1024:
        return gettext("%(size)s KB", size=number(size / 1024))
    return gettext("%(size)s MB", size=number(size / (1024 * 1024)))


def status_label(status: str | None) -> str:
    return str(workflow.info(status).label) if status else ""


_COUNT = re.compile(r"\d+")
_REFERENCE = re.compile(r"GRV-\d{4}-\d+")


def _reference(detail: str) -> str:
    found = _REFERENCE.search(detail)
    return found.group() if found else ""


def event_text(event: object) -> str:
    """A timeline entry in the reader's language.

    Events keep the English detail they were written with (it is the record); the
    kinds the member sees are worded again here, so the timeline reads in any language.
    """
    kind, detail = getattr(event, "kind", ""), getattr(event, "detail", None) or ""
    if kind == "filed":
        channel = getattr(getattr(event, "grievance", None), "channel", "web")
        if channel == "web":
            return gettext("Filed online")
        return gettext("Recorded by staff (%(channel)s)", channel=channel_phrase(channel))
    if kind == "message":
        return gettext("You sent a message")
    if kind == "evidence":
        found = _COUNT.search(detail)
        count = int(found.group()) if found else 1
        return ngettext("You added %(num)d file", "You added %(num)d files", count)
    if kind == "identity_revealed":
        return gettext("You let the committee see your name")
    if kind == "merged_into":
        return gettext(
            "Merged into %(ref)s, which is about the same matter", ref=_reference(detail)
        )
    if kind == "merged_from":
        return gettext(
            "%(ref)s, about the same matter, was merged into this grievance",
            ref=_reference(detail),
        )
    return (
        casework_events.member_text(kind, detail)
        or ladder_events.member_text(kind, detail)
        or detail
        or kind
    )


def staff_event_text(event: object) -> str:
    """A timeline entry as the committee reads it: the member's steps in the third person."""
    kind, detail = getattr(event, "kind", ""), getattr(event, "detail", None) or ""
    if kind == "message":
        return gettext("The member sent a message")
    if kind == "evidence":
        found = _COUNT.search(detail)
        count = int(found.group()) if found else 1
        return ngettext("The member added %(num)d file", "The member added %(num)d files", count)
    if kind == "identity_revealed":
        return gettext("The member let the committee see their name")
    if kind == "merged_into":
        return gettext("Merged into %(ref)s as a duplicate", ref=_reference(detail))
    if kind == "merged_from":
        return gettext("%(ref)s was merged into this case", ref=_reference(detail))
    if kind == "filed":
        return event_text(event)
    return (
        casework_events.staff_text(kind, detail)
        or ladder_events.staff_text(kind, detail)
        or detail
        or kind
    )


def status_info(status: str) -> object:
    return workflow.info(status)


# Marked here, translated when shown: one lookup a call, not one for every way in.
_CHANNEL_PHRASES = {
    "phone": _l("by phone"),
    "email": _l("by email"),
    "letter": _l("by letter"),
    "in_person": _l("in person"),
}
_ONLINE = _l("online")


def channel_phrase(channel: str) -> str:
    """How a grievance reached us, as words after "received": "by phone", "in person"."""
    return str(_CHANNEL_PHRASES.get(channel, _ONLINE))


# --- texts the code generates from the policy files ------------------------------
# The policy package words these in English for the operator's CLI; pages word them here.


def worktime(amount: object) -> str:
    """ "2 working days" / "2 근무일"."""
    n, unit = int(getattr(amount, "amount", 0)), getattr(amount, "unit", "days")
    if unit == "hours":
        return ngettext("%(num)d working hour", "%(num)d working hours", n)
    return ngettext("%(num)d working day", "%(num)d working days", n)


def working_hours(calendar: object) -> str:
    """When the clock runs: "Monday to Friday, 09:00 to 17:00 (London time), except public holidays"."""
    language = current_language()
    names = get_day_names("wide", locale=language)
    numbers = sorted(getattr(calendar, "weekday_numbers", ()))
    days = [names[n] for n in numbers]
    if language == "en":
        days = [d.capitalize() for d in days]
    if len(days) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        span = gettext("%(first)s to %(last)s", first=days[0], last=days[-1])
    elif len(days) == 1:
        span = days[0]
    else:
        span = gettext("%(days)s and %(last)s", days=", ".join(days[:-1]), last=days[-1])
    zone = calendar.time_zone  # type: ignore[attr-defined]
    return gettext(
        "%(days)s, %(opens)s to %(closes)s (%(zone)s time), except public holidays",
        days=span,
        opens=f"{calendar.opens:%H:%M}",  # type: ignore[attr-defined]
        closes=f"{calendar.closes:%H:%M}",  # type: ignore[attr-defined]
        zone=i18n.zone_city(zone, language),
    )


def committee_name(committee: object) -> str:
    """A committee's name in the reader's language (the row keeps the default language's)."""
    spec = current_policies().committees.get(getattr(committee, "slug", ""))
    return localize(spec.name, current_language()) if spec else str(getattr(committee, "name", ""))


def seat_label(seat: str) -> str:
    return {"chair": gettext("Chair"), "reviewer": gettext("Reviewer")}.get(seat, seat)


def localize_text(value: object) -> object:
    """A policy text in the reader's language (`{{ c.label|localize }}`); other values as they are."""
    return localize(value, current_language())


def phone_links(text: object) -> Markup:
    """A policy text with the policy's phone numbers as `tel:` links (`{{ notice|phone_links }}`)."""
    return link_phones(text, current_policies().triage.phone_numbers)


def case_links(endpoint: str) -> Callable[[str], str]:
    """`url_for(endpoint, reference=...)` for every row of a list, the route built once:
    building one costs Werkzeug about 20 µs, and a page lists dozens. References are
    letters, digits and hyphens, so each goes into the built path as it is."""
    head, found, tail = url_for(endpoint, reference=_MARK).partition(_MARK)

    def link(reference: str) -> str:
        if not (found and _REFERENCE_CHARS.fullmatch(reference)):
            return url_for(endpoint, reference=reference)  # anything else: quoted as usual
        return head + reference + tail

    return link


_MARK = "Zcasereference9"
_REFERENCE_CHARS = re.compile(r"[A-Za-z0-9-]+")


def init_app(app: Flask) -> None:
    for name, function in {
        "localdatetime": localdatetime,
        "localdate": localdate,
        "localshort": localshort,
        "localday": localday,
        "number": number,
        "filesize": filesize,
        "worktime": worktime,
        "working_hours": working_hours,
        "phone_links": phone_links,
    }.items():
        app.add_template_filter(function, name)
    app.add_template_global(status_label)
    app.add_template_global(event_text)
    app.add_template_global(staff_event_text)
    app.add_template_global(status_info)
    for function in (channel_phrase, committee_name, seat_label, case_links):
        app.add_template_global(function)
    app.add_template_filter(localize_text, "localize")
