"""Dates, times and numbers are written the reader's way, in the association's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from portal import i18n

SEOUL, LONDON = ZoneInfo("Asia/Seoul"), ZoneInfo("Europe/London")
NOON_IN_SEOUL = datetime(2026, 11, 25, 3, 53, tzinfo=UTC)  # 12:53 in Seoul
NOON_IN_LONDON = datetime(2026, 11, 25, 12, 53, tzinfo=UTC)  # London is on GMT in November


def test_korean_long_form():
    assert i18n.format_moment(NOON_IN_SEOUL, SEOUL, "ko") == "2026년 11월 25일 (수) 오후 12:53"
    morning = datetime(2026, 3, 2, 0, 5, tzinfo=UTC)  # 09:05 on a Monday in Seoul
    assert i18n.format_moment(morning, SEOUL, "ko") == "2026년 3월 2일 (월) 오전 9:05"


def test_english_long_form():
    assert i18n.format_moment(NOON_IN_LONDON, LONDON, "en") == "Wednesday 25 November 2026 at 12:53"
    summer = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # BST: 09:00 in London
    assert i18n.format_moment(summer, LONDON, "en") == "Wednesday 1 July 2026 at 09:00"


def test_the_time_zone_is_the_one_given_not_the_servers():
    assert i18n.format_moment(NOON_IN_SEOUL, LONDON, "ko") == "2026년 11월 25일 (수) 오전 3:53"
    assert i18n.format_moment(NOON_IN_SEOUL, SEOUL, "en") == "Wednesday 25 November 2026 at 12:53"


@pytest.mark.parametrize(
    ("language", "style", "expected"),
    [
        ("en", "short", "25 Nov 2026, 12:53"),
        ("en", "date", "25 Nov 2026"),
        ("ko", "short", "2026년 11월 25일 오후 12:53"),
        ("ko", "date", "2026년 11월 25일"),
    ],
)
def test_short_forms_for_tables(language, style, expected):
    assert i18n.format_moment(NOON_IN_LONDON, LONDON, language, style) == expected


def test_calendar_days_and_numbers():
    assert i18n.format_day(date(2026, 3, 2), "en") == "2 March 2026"
    assert i18n.format_day(date(2026, 3, 2), "ko") == "2026년 3월 2일"
    assert i18n.format_number(1234.56, "en") == "1,234.6"
    assert i18n.format_number(1234.56, "ko") == "1,234.6"
    assert i18n.format_number(20, "ko", 0) == "20"


def test_an_unknown_language_falls_back_to_english():
    assert i18n.format_moment(NOON_IN_LONDON, LONDON, "fr") == "Wednesday 25 November 2026 at 12:53"


def test_promised_dates_name_their_time_zone_in_the_readers_language():
    from portal.services.intake import when

    assert when(NOON_IN_SEOUL, SEOUL, "ko") == "2026년 11월 25일 (수) 오후 12:53(서울 시간)"
    assert when(NOON_IN_LONDON, LONDON, "en") == "Wednesday 25 November 2026 at 12:53 (London time)"
