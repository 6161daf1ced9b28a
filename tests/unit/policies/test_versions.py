"""Stored policy versions, `flask policies diff` and `flask policies check`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from portal.cli.policies import check
from portal.config import ROOT
from portal.db import make_engine
from portal.models.policies import PolicyVersion
from portal.policies import load_policies
from portal.services.policies import (
    UnknownVersion,
    diff_snapshots,
    find_policy_version,
    record_policy_version,
    snapshot_of,
)

DEFAULT = ROOT / "policies"


@pytest.fixture
def changed(tmp_path: Path) -> Path:
    """The default set with one change of each sort a diff must show."""
    directory = Path(shutil.copytree(DEFAULT, tmp_path / "policies"))

    def edit(name: str, old: str, new: str) -> None:
        path = directory / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1
        path.write_text(text.replace(old, new), encoding="utf-8")

    edit(
        "priorities.toml",
        'first_response = "4 working hours"',
        'first_response = "2 working hours"',
    )
    edit("categories.toml", '"dues", "invoice*"', '"dues", "subscription*", "invoice*"')
    edit("calendar.toml", '  { date = 2027-12-28, name = "Boxing Day (substitute day)" },\n', "")
    edit(
        "procedure.md", "## Your rights\n", "## Your rights\n\n- You may ask for an interpreter.\n"
    )
    return directory


@pytest.fixture
def db() -> Session:
    engine = make_engine("sqlite://")
    PolicyVersion.__table__.create(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_a_version_is_recorded_once(db: Session) -> None:
    policies = load_policies(DEFAULT)

    record_policy_version(db, policies)
    record_policy_version(db, policies)

    (row,) = db.query(PolicyVersion).all()
    assert row.version == policies.version
    assert snapshot_of(row) == policies.snapshot()
    assert row.recorded_at.tzinfo is not None


def test_once_stored_a_version_is_not_asked_about_again(db: Session) -> None:
    policies = load_policies(DEFAULT)
    record_policy_version(db, policies)
    db.commit()
    record_policy_version(db, policies)  # finds it stored, committed: remembered
    db.commit()
    statements: list[str] = []
    sa.event.listen(db.get_bind(), "before_cursor_execute", lambda *a: statements.append(a[2]))

    record_policy_version(db, policies)

    assert statements == []


def test_a_snapshot_rolled_back_is_stored_by_the_next_filing(db: Session) -> None:
    policies = load_policies(DEFAULT)
    record_policy_version(db, policies)
    record_policy_version(db, policies)  # sees its own, uncommitted row: remembers nothing
    db.rollback()

    record_policy_version(db, policies)
    db.commit()

    assert [row.version for row in db.query(PolicyVersion)] == [policies.version]


def test_a_version_is_found_by_a_prefix(db: Session) -> None:
    policies = load_policies(DEFAULT)
    record_policy_version(db, policies)

    assert find_policy_version(db, policies.version[:12].upper()).version == policies.version
    with pytest.raises(UnknownVersion, match="unknown policy version"):
        find_policy_version(db, "0123456789ab")
    with pytest.raises(UnknownVersion, match="not a policy version"):
        find_policy_version(db, "abc%")


def test_an_ambiguous_prefix_is_refused(db: Session) -> None:
    db.add_all(
        [
            PolicyVersion(version="abcdef" + "0" * 58, content="{}"),
            PolicyVersion(version="abcdef" + "1" * 58, content="{}"),
        ]
    )
    db.flush()

    with pytest.raises(UnknownVersion, match="matches several"):
        find_policy_version(db, "abcdef")
    assert find_policy_version(db, "abcdef1").version.endswith("1")


def test_the_diff_names_each_changed_entry(changed: Path) -> None:
    old, new = load_policies(DEFAULT), load_policies(changed)

    lines = diff_snapshots(old.snapshot(), new.snapshot())

    assert (
        'priorities.toml: priorities.high.first_response: "4 working hours" → "2 working hours"'
        in lines
    )
    assert 'categories.toml: categories.billing.keywords: added "subscription*"' in lines
    boxing_day = '{"date": "2027-12-28", "name": "Boxing Day (substitute day)"}'
    assert f"calendar.toml: holidays: removed {boxing_day}" in lines
    assert "procedure.md: changed" in lines
    assert "    +- You may ask for an interpreter." in lines
    assert not any(line.startswith(("committees.toml", "escalation.toml")) for line in lines)


def test_the_diff_of_added_and_removed_entries() -> None:
    old = {"a.toml": {"x": {"k": 1}, "gone": True}, "old.md": "text"}
    new = {"a.toml": {"x": {"k": 2, "new": "v"}}, "new.md": "text"}

    assert diff_snapshots(old, new) == [
        "a.toml: x.k: 1 → 2",
        'a.toml: x.new: added "v"',
        "a.toml: gone: removed (was true)",
        "new.md: added",
        "old.md: removed",
    ]
    assert diff_snapshots(old, old) == []


def test_check_prints_the_summary() -> None:
    policies = load_policies(DEFAULT)

    result = CliRunner().invoke(check, ["--dir", str(DEFAULT)])

    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Version: {policies.version}" in out
    assert "Categories (7):" in out
    assert "harassment" in out and "committee ethics" in out and "default urgent" in out
    assert "1. urgent  first response 1 working hour (1 h)" in out
    assert "resolution 2 working days (16 h)" in out
    assert "3. Grievance panel of the board" in out
    assert "Appeal window: 20 working days" in out


def test_check_lists_every_problem_and_fails(changed: Path) -> None:
    (changed / "survey.toml").write_text('send_after = "soon"\nclosez_after = "30 days"\n')

    result = CliRunner().invoke(check, ["--dir", str(changed)])

    assert result.exit_code == 1
    assert "has 6 problem(s)" in result.output
    assert f"{changed}/survey.toml: send_after: 'soon' is not a working time" in result.output
    assert f"{changed}/survey.toml: closez_after: unknown key (check the spelling)" in result.output
    assert f"{changed}/survey.toml: closes_after: required but missing" in result.output
    assert f"{changed}/survey.toml: questions: required but missing" in result.output


def test_flask_policies_diff_against_a_stored_version(app, session, runner, changed: Path) -> None:  # type: ignore[no-untyped-def]
    # The table may not be migrated yet in this tree; inside the test's transaction either way.
    PolicyVersion.__table__.create(session.connection(), checkfirst=True)
    old = load_policies(changed)
    record_policy_version(session, old)
    session.commit()

    result = runner.invoke(args=["policies", "diff", old.version[:12]])

    assert result.exit_code == 0, result.output
    assert f"Changes from {old.version[:12]} to " in result.output
    assert 'priorities.high.first_response: "2 working hours" → "4 working hours"' in result.output

    unknown = runner.invoke(args=["policies", "diff", "0123456789ab"])
    assert unknown.exit_code == 1
    assert "unknown policy version '0123456789ab'" in unknown.output


def test_flask_policies_check_reads_the_apps_directory(app, runner) -> None:  # type: ignore[no-untyped-def]
    policies = app.extensions["portal.policies"]

    result = runner.invoke(args=["policies", "check"])

    assert result.exit_code == 0, result.output
    assert f"Policy set in {policies.directory} is valid." in result.output
    assert f"Version: {policies.version}" in result.output
