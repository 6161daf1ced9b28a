"""`flask policies check` and `flask policies diff VERSION`.

``check`` validates a policy directory and prints what the portal will obey; it
works even when the configured set is broken (it does not need the app), so
it is the tool for finding a mistake. ``diff`` compares the version a case was
filed under (stored in policy_versions) with the current set, entry by entry.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo

from portal.policies import EXTENSION, current_policies, load_policies
from portal.policies.errors import PolicyError
from portal.policies.loader import PolicyFileError, version_of
from portal.policies.texts import LANGUAGE_NAMES
from portal.policies.types import PolicySet

group = AppGroup("policies", help="Check the grievance procedure files and compare versions.")


def register(app: Flask) -> None:
    app.cli.add_command(group)


def _configured_directory() -> Path:
    """The directory the app reads, or PORTAL_POLICIES_DIR when the app cannot start."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None:
        try:
            app = info.load_app()
        except Exception:  # a broken set stops the app: that is what we are here to show
            app = None
        policies = app.extensions.get(EXTENSION) if app is not None else None
        if policies is not None and policies.directory is not None:
            return policies.directory
    from portal.config import Settings

    return Settings.from_env().policies_dir


@group.command("check", with_appcontext=False)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Validate this directory instead of the configured one (PORTAL_POLICIES_DIR).",
)
def check(directory: Path | None) -> None:
    """Validate the policy files and print a summary of what they say."""
    directory = directory or _configured_directory()
    try:
        policies = load_policies(directory)
    except PolicyError as exc:
        problems = getattr(exc, "problems", None) or [exc]
        click.echo(f"The policy set in {directory} has {len(problems)} problem(s):", err=True)
        for problem in problems:
            click.echo(f"  {problem}", err=True)
        raise click.exceptions.Exit(1) from None
    click.echo("\n".join(summary(policies)))
    if warning := holidays_warning(policies, date.today()):
        click.echo(f"\nWarning: {warning}", err=True)


def holidays_warning(policies: PolicySet, today: date) -> str | None:
    """Promised dates count every unlisted day as working: say when the list runs short."""
    dates = sorted(policies.calendar.holiday_dates)
    if dates and dates[-1] >= today + timedelta(days=365):
        return None
    until = f"only until {dates[-1]}" if dates else "not at all"
    return (
        f"public holidays are listed {until}; add the next year's to calendar.toml "
        "so promised dates skip them"
    )


@group.command("diff")
@click.argument("version")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Compare with this directory instead of the current set.",
)
def diff(version: str, directory: Path | None) -> None:
    """Show what changed between a stored VERSION (or a prefix of it) and the current set."""
    from portal.db import session
    from portal.services.policies import (
        UnknownVersion,
        diff_snapshots,
        find_policy_version,
        snapshot_of,
    )

    try:
        row = find_policy_version(session(), version)
    except UnknownVersion as exc:
        raise click.ClickException(str(exc)) from None
    old = snapshot_of(row)
    if version_of(old) != row.version:
        click.echo(
            f"warning: the stored snapshot of {row.version[:12]} does not match its hash", err=True
        )
    try:
        current = load_policies(directory) if directory else current_policies()
    except PolicyFileError as exc:
        raise click.ClickException(str(exc)) from None
    if current.version == row.version:
        click.echo(f"No changes: {row.version[:12]} is the current version.")
        return
    lines = diff_snapshots(old, current.snapshot())
    click.echo(f"Changes from {row.version[:12]} to {current.version[:12]} (current):")
    click.echo("\n".join(f"  {line}" for line in lines))


def summary(policies: PolicySet) -> list[str]:
    """The readable summary `check` prints."""
    calendar = policies.calendar
    day = calendar.day_length.total_seconds() / 3600
    languages = [f"{code} ({LANGUAGE_NAMES[code]})" for code in policies.languages.supported]
    lines = [
        f"Policy set in {policies.directory} is valid.",
        f"Version: {policies.version}",
        f"Languages: {', '.join(languages)} (default {policies.languages.default}),"
        " every text and page complete in each",
        f"Association: {policies.association.name}, {policies.association.email},"
        f" {policies.association.phone}",
        "",
        f"Committees ({len(policies.committees)}):",
        *(f"  {c.slug:<16} {c.name}" for c in policies.committees.values()),
        "",
        f"Categories ({len(policies.categories)}):",
    ]
    for c in policies.categories.values():
        anonymous = "may hide identity" if c.allow_anonymous else "identity shared"
        lines.append(
            f"  {c.slug:<12} {c.label:<34} committee {c.committee:<16}"
            f" default {c.default_priority:<7} {anonymous}, {len(c.keywords)} keywords"
        )
    lines += [
        "",
        f"Priorities, in working time ({calendar.describe()}; 1 working day = {day:g} h):",
    ]
    for p in policies.priorities_in_order:
        hours = [
            calendar.duration(t).total_seconds() / 3600 for t in (p.first_response, p.resolution)
        ]
        first = f"{p.first_response} ({hours[0]:g} h)"
        resolution = f"{p.resolution} ({hours[1]:g} h)"
        lines.append(f"  {p.rank}. {p.slug:<7} first response {first:<25} resolution {resolution}")
    lines += ["", "Escalation ladder:"]
    for level in policies.ladder.ordered:
        entered = ", ".join(level.entered_by) or "every case starts here"
        lines.append(f"  {level.number}. {level.actor_label:<30} {level.title}  [{entered}]")
    lines.append(f"  Appeal window: {policies.ladder.appeal_window}")
    dates = sorted(calendar.holiday_dates)
    span = f"{dates[0]} to {dates[-1]}" if dates else "none listed"
    periods = policies.retention.periods
    survey = policies.survey
    reminder = f", reminder after {survey.reminder_after}" if survey.reminder_after else ""
    lines += [
        "",
        f"Calendar: {calendar.describe()}; {len(dates)} public holidays ({span})",
        "High-risk words: "
        + "; ".join(
            f"{r.slug} -> {r.raise_to} ({len(r.keywords)} keywords)"
            for r in policies.triage.high_risk.values()
        ),
        f"Retention: closed cases {periods.closed}, withdrawn cases {periods.withdrawn}",
        f"Survey: sent {survey.send_after} after resolution{reminder},"
        f" closes after {survey.closes_after}",
        f"Canned responses: {', '.join(policies.canned_responses)}",
        f"Pages: {', '.join(page.file for page in policies.pages.values())}",
    ]
    return lines
