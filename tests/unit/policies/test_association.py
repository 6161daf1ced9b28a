"""association.toml: who runs the portal, in every language, with a contact that works."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli.policies import check
from portal.policies import load_policies
from portal.policies.loader import PolicyFileError
from tests.unit.policies.conftest import DEFAULT, edit
from tests.unit.policies.test_languages import SEOUL


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        load_policies(directory)
    return [str(p) for p in caught.value.problems]


def test_both_sets_name_their_association_in_each_language() -> None:
    default, seoul = load_policies(DEFAULT).association, load_policies(SEOUL).association
    assert default.name.in_language("en") == "Example Professional Association"
    assert default.name.in_language("ko") == "예시전문직협회"
    assert default.phone == "020 7946 0000" and default.phone_link == "02079460000"
    assert default.email == "grievances@association.example"
    assert default.website == "https://association.example"
    assert seoul.name == "서울전문직협회" and seoul.name.in_language("en").startswith("Seoul")
    assert seoul.website is None and seoul.address.in_language("ko").startswith("서울")


@pytest.mark.parametrize("directory", [DEFAULT, SEOUL])
def test_policies_check_passes_and_names_the_association(directory: Path) -> None:
    result = CliRunner().invoke(check, ["--dir", str(directory)])
    assert result.exit_code == 0, result.output
    assert "Association: " in result.output


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'name.ko = "예시전문직협회"\n',
            "",
            "association.toml: association.name: has no Korean (ko) text;"
            " languages.toml declares it: add name.ko",
        ),
        (
            'address.ko = "영국 런던 EC1A 1AA, 이그잼플 로 12"\n',
            "",
            "association.toml: association.address: has no Korean (ko) text",
        ),
        (
            'email = "grievances@association.example"',
            'email = "grievances at association"',
            "association.toml: association.email: 'grievances at association' is not an email"
            " address",
        ),
        (
            'phone = "020 7946 0000"',
            'phone = "call us"',
            "association.toml: association.phone: 'call us' is not a phone number",
        ),
        (
            'website = "https://association.example"',
            'website = "association.example"',
            "association.toml: association.website: 'association.example' is not a web address",
        ),
        ('phone = "020 7946 0000"\n', "", "association.toml: association.phone: required"),
        ("[association]", "[associaton]", "association.toml: association: required"),
    ],
)
def test_a_broken_association_is_named(policy_dir: Path, old: str, new: str, problem: str) -> None:
    edit(policy_dir / "association.toml", old, new)
    found = problems_of(policy_dir)
    assert any(problem in p for p in found), found


def test_the_address_and_website_may_be_left_out(policy_dir: Path) -> None:
    path = policy_dir / "association.toml"
    lines = path.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(("address", "website"))]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    association = load_policies(policy_dir).association
    assert association.address is None and association.website is None


def test_a_missing_association_file_is_refused(policy_dir: Path) -> None:
    (policy_dir / "association.toml").unlink()
    assert any("association.toml: the file is missing" in p for p in problems_of(policy_dir))
