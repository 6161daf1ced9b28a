"""Policy texts in several languages: variants load, fall back, and a missing one is named."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

from portal.cli.policies import check
from portal.config import ROOT
from portal.policies import load_policies
from portal.policies.loader import PolicyFileError
from portal.policies.texts import LocalizedText, localize
from tests.unit.policies.conftest import DEFAULT, edit

SEOUL = ROOT / "policies" / "examples" / "seoul"
HANGUL = re.compile("[\uac00-\ud7a3]")


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        load_policies(directory)
    return [str(p) for p in caught.value.problems]


def test_a_localized_text_is_its_default_text_and_falls_back_to_it() -> None:
    text = LocalizedText({"en": "Harassment", "ko": "괴롭힘"}, "en")

    assert text == "Harassment" and f"{text}!" == "Harassment!"  # a plain str where one is used
    assert text.in_language("ko") == "괴롭힘"
    assert text.in_language("fr") == "Harassment"  # no French: the default language
    assert text.in_language(None) == "Harassment"
    assert localize(text, "ko") == "괴롭힘"
    assert localize("Just a string", "ko") == "Just a string"
    assert localize(None, "ko") is None
    copied = pickle.loads(pickle.dumps(text))
    assert copied.in_language("ko") == "괴롭힘" and copied == "Harassment"


def all_texts(value: object, where: str = "") -> Iterator[tuple[str, LocalizedText]]:
    """Every policy text in a loaded set, with where it is, by walking the models."""
    if isinstance(value, LocalizedText):
        yield where, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from all_texts(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from all_texts(item, f"{where}.{key}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from all_texts(item, f"{where}[{index}]")


def test_the_default_set_reads_in_english_and_korean() -> None:
    policies = load_policies(DEFAULT)
    harassment = policies.categories["harassment"]

    assert policies.languages.default == "en" and policies.languages.supported == ("en", "ko")
    assert harassment.label == "Harassment and discrimination"  # what templates print as is
    assert harassment.label.in_language("ko") == "괴롭힘 및 차별"
    assert policies.committees["ethics"].name.in_language("ko") == "윤리위원회"
    assert policies.ladder.level(1).actor_label.in_language("ko") == "심사위원"  # built in
    assert "999" in policies.triage.safety_notice.in_language("ko")
    assert policies.pages["procedure"].title.in_language("ko") == "고충 처리 절차"
    assert policies.page("harassment", "ko").startswith("# 괴롭힘 및 차별")
    assert policies.page("harassment", "ja").startswith("# Harassment and discrimination")
    assert localize(harassment.description, "ja") == harassment.description  # falls back


def test_canned_responses_render_in_the_language_asked_for() -> None:
    response = load_policies(DEFAULT).canned_responses["acknowledgement"]
    values = {
        "member_name": "김하나",
        "reference": "GRV-2026-000001",
        "due_date": "2026년 3월 2일",
        "decision_date": "2026년 3월 23일",
        "category": "회비 및 청구",
        "committee": "회원서비스위원회",
    }

    subject, body = response.render("ko", **values)
    english, _ = response.render(**values)

    assert subject == "고충이 접수되었습니다 (GRV-2026-000001)"
    assert body.startswith("김하나 님께") and "회원서비스위원회에서 맡습니다" in body
    assert english == "We have received your grievance GRV-2026-000001"


@pytest.mark.parametrize("directory", [DEFAULT, SEOUL], ids=["default", "seoul"])
def test_both_shipped_sets_are_complete_in_english_and_korean(directory: Path) -> None:
    policies = load_policies(directory)
    texts = list(all_texts(policies))

    assert set(policies.languages.supported) == {"en", "ko"}
    assert len(texts) > 70
    # Each language's text is written in it, not left as a copy of the other one.
    for where, text in texts:
        assert set(text.variants) == {"en", "ko"}, where
        assert HANGUL.search(text.in_language("ko")), where
        assert not HANGUL.search(text.in_language("en")), where
    assert set(policies.pages) == {"procedure", *policies.categories}
    for slug, page in policies.pages.items():
        assert set(page.markdown.variants) == {"en", "ko"}, slug
        assert HANGUL.search(page.title.in_language("ko")), slug
        assert not HANGUL.search(page.markdown.in_language("en")), slug


@pytest.mark.parametrize("directory", [DEFAULT, SEOUL], ids=["default", "seoul"])
def test_policies_check_passes_on_both_shipped_sets(directory: Path, monkeypatch) -> None:
    # As the operator runs it: the directory comes from PORTAL_POLICIES_DIR.
    monkeypatch.setenv("PORTAL_POLICIES_DIR", str(directory))

    result = CliRunner().invoke(check, [])

    assert result.exit_code == 0, result.output
    assert f"Policy set in {directory} is valid." in result.output
    assert "Languages: " in result.output and "ko (Korean)" in result.output


def test_a_missing_korean_text_or_page_is_named_by_policies_check(policy_dir: Path) -> None:
    edit(policy_dir / "categories.toml", 'label.ko = "괴롭힘 및 차별"\n', "")
    edit(policy_dir / "responses.toml", 'subject.ko = "{reference}: 결정을 알려 드립니다"\n', "")
    (policy_dir / "categories" / "events.ko.md").unlink()

    problems = problems_of(policy_dir)
    result = CliRunner().invoke(check, ["--dir", str(policy_dir)])

    # file, entry (ending in the field) and the language
    missing = [
        f"{policy_dir}/categories.toml: categories.harassment.label: has no Korean (ko) text;"
        " languages.toml declares it: add label.ko",
        f"{policy_dir}/responses.toml: responses.resolved.subject: has no Korean (ko) text;"
        " languages.toml declares it: add subject.ko",
        f"{policy_dir}/categories/events.ko.md: the Korean (ko) version of categories/events.md"
        " is missing; languages.toml declares ko",
    ]
    assert sorted(problems) == sorted(missing)
    assert result.exit_code == 1
    for line in missing:
        assert line in result.output


def test_a_text_in_an_undeclared_language_is_refused(policy_dir: Path) -> None:
    edit(policy_dir / "priorities.toml", 'label.ko = "낮음"', 'label.kr = "낮음"')

    problems = problems_of(policy_dir)

    assert any(
        "priorities.toml: priorities.low.label: 'kr' is not a language of this policy set" in p
        for p in problems
    ), problems


def test_a_text_in_a_language_is_checked_like_any_text(policy_dir: Path) -> None:
    edit(
        policy_dir / "responses.toml",
        'subject.ko = "{reference}: 상위 단계로 이관되었습니다"',
        'subject.ko = "{참조}: 상위 단계로 이관되었습니다"',
    )
    edit(policy_dir / "committees.toml", 'name.ko = "윤리위원회"', 'name.ko = " "')

    problems = problems_of(policy_dir)

    assert any(
        "responses.escalated.subject: unknown placeholder {참조}" in p and "(the ko text)" in p
        for p in problems
    ), problems
    assert any("committees.ethics.name: must not be empty (the ko text)" in p for p in problems)


def test_a_page_in_an_undeclared_or_default_language_is_refused(policy_dir: Path) -> None:
    (policy_dir / "procedure.fr.md").write_text("# Procédure\n\n{{ targets }}\n")
    (policy_dir / "categories" / "events.en.md").write_text("# Events\n\n{{ category }}\n")

    problems = problems_of(policy_dir)

    assert any("procedure.fr.md: 'fr' is not a language of this policy set" in p for p in problems)
    assert any(
        "categories/events.en.md: en is the default language (languages.toml): name this page"
        " events.md" in p
        for p in problems
    ), problems


def test_the_default_language_must_be_supported(policy_dir: Path) -> None:
    edit(policy_dir / "languages.toml", 'supported = ["en", "ko"]', 'supported = ["ko"]')

    problems = problems_of(policy_dir)

    assert f"{policy_dir}/languages.toml: default: 'en' must also be listed in supported" in (
        problems
    )


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("categories.toml", 'label.ko = "괴롭힘 및 차별"', 'label.ko = "괴롭힘과 차별"'),
        ("procedure.ko.md", "## 신청인의 권리", "## 회원의 권리"),
    ],
)
def test_the_version_covers_every_language(policy_dir: Path, file: str, old: str, new: str) -> None:
    before = load_policies(policy_dir)

    edit(policy_dir / file, old, new)
    after = load_policies(policy_dir)

    # Cases record the version: a change members read only in Korean is a new version too.
    assert after.version != before.version
    assert file in after.snapshot()
