"""Policy texts in several languages: variants load, fall back, and a missing one is named."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli.policies import check
from portal.config import ROOT
from portal.policies import load_policies
from portal.policies.loader import PolicyFileError
from portal.policies.texts import LocalizedText, localize

DEFAULT = ROOT / "policies"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT, tmp_path / "policies"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


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


def test_a_plain_string_is_the_default_language_and_a_table_gives_each(policy_dir: Path) -> None:
    edit(
        policy_dir / "categories.toml",
        'label = "Dues and billing"',
        'label.en = "Dues and billing"',
    )
    billing = load_policies(policy_dir).categories["billing"]

    assert billing.label == "Dues and billing"
    assert billing.label.in_language("ko") == "Dues and billing"  # en only: ko falls back
    assert billing.description.in_language("ko") == billing.description


def test_a_text_in_an_undeclared_language_is_refused(policy_dir: Path) -> None:
    edit(
        policy_dir / "priorities.toml",
        'label = "Low"',
        'label.en = "Low"\nlabel.kr = "낮음"',
    )

    problems = problems_of(policy_dir)

    assert any(
        "priorities.toml: priorities.low.label: 'kr' is not a language of this policy set" in p
        for p in problems
    ), problems


def test_declaring_a_language_names_every_text_and_page_missing_in_it(policy_dir: Path) -> None:
    edit(policy_dir / "languages.toml", 'supported = ["en"]', 'supported = ["en", "ko"]')

    problems = problems_of(policy_dir)

    # file, entry (with its field) and the language, for TOML texts and pages alike
    assert (
        f"{policy_dir}/categories.toml: categories.harassment.label: has no Korean (ko) text;"
        " languages.toml declares it: add label.ko"
    ) in problems
    assert any(
        p.startswith(f"{policy_dir}/triage.toml: safety_notice: has no Korean (ko)")
        for p in problems
    )
    assert any(
        p.startswith(f"{policy_dir}/responses.toml: responses.acknowledgement.body: has no Korean")
        for p in problems
    )
    assert (
        f"{policy_dir}/procedure.ko.md: the Korean (ko) version of procedure.md is missing;"
        " languages.toml declares ko"
    ) in problems
    assert any(p.startswith(f"{policy_dir}/categories/events.ko.md: the Korean") for p in problems)


def test_policies_check_lists_the_missing_texts_and_fails(policy_dir: Path) -> None:
    edit(policy_dir / "languages.toml", 'supported = ["en"]', 'supported = ["en", "ko"]')

    result = CliRunner().invoke(check, ["--dir", str(policy_dir)])

    assert result.exit_code == 1
    assert "categories.toml: categories.privacy.description: has no Korean (ko) text" in (
        result.output
    )


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
    edit(policy_dir / "languages.toml", 'default = "en"', 'default = "ko"')

    problems = problems_of(policy_dir)

    assert f"{policy_dir}/languages.toml: default: 'ko' must also be listed in supported" in (
        problems
    )
