"""The example set for an association in Korea (policies/examples/seoul)."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from portal.config import ROOT
from portal.domain import sla
from portal.policies import load_policies
from portal.services.triage import triage

SEOUL = load_policies(ROOT / "policies" / "examples" / "seoul")
DEFAULT = load_policies(ROOT / "policies")
KST = ZoneInfo("Asia/Seoul")


def test_it_is_a_korean_association_working_seoul_hours() -> None:
    calendar = SEOUL.calendar

    assert SEOUL.languages.default == "ko" and SEOUL.languages.supported == ("ko", "en")
    assert calendar.time_zone.key == "Asia/Seoul"
    assert (calendar.opens, calendar.closes) == (time(9), time(18))
    assert calendar.describe().startswith("Monday to Friday, 09:00 to 18:00 (Asia/Seoul time)")
    # Korean first: what templates print without a language is the Korean text.
    assert SEOUL.categories["harassment"].label == "괴롭힘 및 차별"
    assert SEOUL.categories["harassment"].label.in_language("en") == (
        "Harassment and discrimination"
    )
    assert SEOUL.page("procedure").startswith("# 고충 처리 절차")
    assert SEOUL.page("procedure", "en").startswith("# How we handle grievances")


def test_it_uses_the_default_sets_names_so_the_demo_runs_on_it() -> None:
    assert list(SEOUL.categories) == list(DEFAULT.categories)
    assert list(SEOUL.committees) == list(DEFAULT.committees)
    assert list(SEOUL.priorities) == list(DEFAULT.priorities)


def test_the_safety_notice_gives_korean_emergency_numbers() -> None:
    for lang in ("ko", "en"):
        notice = SEOUL.triage.safety_notice.in_language(lang)
        for number in ("112", "119", "1366", "109"):
            assert number in notice, (lang, number)
    assert "999" not in SEOUL.triage.safety_notice.in_language("en")


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-01",
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",  # Seollal
        "2026-03-02",  # Independence Movement Day (Sunday) moved to Monday
        "2026-05-05",
        "2026-05-25",  # Buddha's Birthday (Sunday 24 May) moved to Monday
        "2026-08-17",  # Liberation Day (Saturday) moved to Monday
        "2026-09-24",
        "2026-09-25",  # Chuseok; the 26th is a Saturday with no substitute
        "2026-10-05",  # National Foundation Day (Saturday) moved to Monday
        "2026-10-09",
        "2026-12-25",
        "2027-02-08",
        "2027-02-09",  # Seollal 6-8 Feb: the Sunday moves to Tuesday the 9th
        "2027-03-01",
        "2027-05-13",
        "2027-08-16",
        "2027-09-14",
        "2027-09-15",
        "2027-09-16",  # Chuseok
        "2027-10-04",
        "2027-10-11",
        "2027-12-27",  # substitutes for days on a Sunday or Saturday
    ],
)
def test_korean_public_holidays_are_days_off(day: str) -> None:
    assert not SEOUL.calendar.is_working_day(date.fromisoformat(day))


def test_every_listed_holiday_falls_on_a_working_day_in_2026_and_2027() -> None:
    holidays = SEOUL.calendar.holiday_dates
    assert {d.year for d in holidays} == {2026, 2027}
    assert all(d.weekday() < 5 for d in holidays)
    assert len(holidays) == 31


def test_a_promised_date_across_chuseok_skips_it() -> None:
    # Filed on Wednesday 23 September 2026 at 10:00, one working day before Chuseok.
    filed = datetime(2026, 9, 23, 10, 0, tzinfo=KST)
    normal = SEOUL.priorities["normal"]  # first response within 1 working day

    first, resolution = sla.due_dates(filed, normal, SEOUL.calendar)

    # Thu 24 and Fri 25 are Chuseok, then the weekend: the reply is due on Monday the 28th.
    assert first == datetime(2026, 9, 28, 10, 0, tzinfo=KST)
    # 15 working days, with Chuseok, the 5 October substitute and Hangul Day (9 Oct) off.
    assert resolution == datetime(2026, 10, 20, 10, 0, tzinfo=KST)


def test_a_korean_harassment_grievance_is_urgent_and_goes_to_ethics() -> None:
    text = (
        "학술대회 뒤풀이에서\n"
        "지난달 학술대회 뒤풀이 자리에서 한 회원이 저에게 계속 성희롱 발언을 했고, "
        "그 뒤로도 메시지로 괴롭혔습니다."
    )

    found = triage(text, SEOUL)

    assert found.category == "harassment"  # the conference is not what this is about
    assert found.priority == "urgent" and "harassment" in found.rules
    assert "성희롱" in found.high_risk
    assert found.priority_for(SEOUL.categories["harassment"].default_priority, SEOUL) == "urgent"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("연회비가 두 번 결제되었는데 아직 환불을 받지 못했습니다.", "billing"),
        ("회원 명부에 제 개인정보가 동의 없이 공개되어 유출되었습니다.", "privacy"),
        ("이번 임원 선거에서 투표 용지가 지방 회원에게 오지 않았습니다.", "governance"),
        ("보수교육 평점이 아직 반영되지 않았습니다.", "events"),
        ("학회지가 석 달째 오지 않고 회원증도 받지 못했습니다.", "benefits"),
        ("한 이사가 자기 동생 회사의 입찰을 심사하는 이해충돌이 있었습니다.", "ethics"),
    ],
)
def test_korean_narratives_find_their_category_without_raising_priority(
    text: str, category: str
) -> None:
    found = triage(text, SEOUL)

    assert found.category == category, found.reason
    assert found.priority is None, found.reason


def test_korean_high_risk_words_raise_the_priority_whatever_the_category() -> None:
    found = triage("회비 문제로 항의했더니 사무국 직원이 저를 협박했습니다.", SEOUL)

    assert found.category == "billing"
    assert found.priority == "urgent" and found.rules == ("safety",)
    assert found.priority_for("normal", SEOUL) == "urgent"


def test_every_category_has_korean_keywords() -> None:
    for slug, category in SEOUL.categories.items():
        korean = [k for k in category.keywords if any("\uac00" <= c <= "\ud7a3" for c in k)]
        assert len(korean) >= 8, slug
