"""Languages, translatable strings and localized dates, without Flask.

Domain and service modules mark their user-facing strings with ``_l``: a lazy
string that is translated when it is shown, in the language of the request
showing it (the web layer installs the translator; outside a request it stays
English). Text composed for one reader and kept, such as the acknowledgement,
asks for an explicit language with ``translate``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_timezone_location
from babel.numbers import format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

LANGUAGES = ("ko", "en")
FALLBACK = "en"
TRANSLATIONS_DIR = Path(__file__).with_name("translations")

# The names `make translations` and the catalogue test extract, besides Babel's defaults.
KEYWORDS: dict[str, tuple[int, ...] | None] = {"_l": None, "translate": (2,)}

_translate: Callable[[str], str] = lambda msgid: msgid  # noqa: E731  (replaced by the web layer)


def install(translator: Callable[[str], str]) -> None:
    """Set how lazy strings find their translation (the request's language)."""
    global _translate
    _translate = translator


# Set while text for one reader is written outside their request (a mail): lazy strings
# shown then are in that reader's language, not the request's.
_speaking: ContextVar[str | None] = ContextVar("portal_speaking", default=None)


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Within this block, lazy strings are translated into `language`."""
    token = _speaking.set(language)
    try:
        yield
    finally:
        _speaking.reset(token)


def _resolve(msgid: str, params: dict[str, object]) -> str:
    language = _speaking.get()
    text = translations(language).gettext(msgid) if language else _translate(msgid)
    return text % params if params else text


def _l(msgid: str, **params: object) -> str:
    """A string translated each time it is shown; `%(name)s` placeholders are filled then."""
    return LazyProxy(_resolve, msgid, params, enable_cache=False)  # type: ignore[return-value]


def language_or_fallback(code: str | None) -> str:
    return code if code in LANGUAGES else FALLBACK


@cache
def translations(language: str) -> NullTranslations:
    """The compiled catalogue of one language (English needs none)."""
    return Translations.load(str(TRANSLATIONS_DIR), [language])


def translate(language: str, msgid: str, **params: object) -> str:
    """`msgid` in that language, whoever's request is running."""
    text = translations(language).gettext(msgid)
    return text % params if params else text


# --- dates and numbers ----------------------------------------------------------
# Explicit patterns, because CLDR's own medium and long formats read neither the
# way a Korean form nor the way a British letter writes a date.
PATTERNS: dict[str, dict[str, str]] = {
    "en": {
        "long": "EEEE d MMMM y 'at' HH:mm",  # Wednesday 25 November 2026 at 12:53
        "short": "d MMM y, HH:mm",  # 25 Nov 2026, 12:53
        "date": "d MMM y",  # 25 Nov 2026
        "day": "d MMMM y",  # 25 November 2026
    },
    "ko": {
        "long": "y년 M월 d일 (E) a h:mm",  # 2026년 11월 25일 (수) 오후 12:53
        "short": "y년 M월 d일 a h:mm",  # 2026년 11월 25일 오후 12:53
        "date": "y년 M월 d일",
        "day": "y년 M월 d일",
    },
}


# Pure, and the same few hundred moments come back on every view of a queue or a case
# (Babel takes about 0.1 ms each to format one afresh).
@lru_cache(maxsize=8192)
def format_moment(moment: datetime, zone: ZoneInfo, language: str, style: str = "long") -> str:
    """A moment as the reader writes it, in the association's (or reader's) time zone."""
    language = language_or_fallback(language)
    return format_datetime(moment, PATTERNS[language][style], tzinfo=zone, locale=language)


def format_day(day: date, language: str) -> str:
    """A calendar date with no time of day (the date something happened)."""
    language = language_or_fallback(language)
    return format_date(day, PATTERNS[language]["day"], locale=language)


def zone_city(zone: ZoneInfo, language: str) -> str:
    """The city that names a time zone, in the reader's language ("London", "서울")."""
    return get_timezone_location(zone, locale=language_or_fallback(language), return_city=True)


def format_number(value: float, language: str, digits: int = 1) -> str:
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=language_or_fallback(language))
