"""The procedure page and a page per category, rendered from ``policies/*.md``.

The Markdown is the association's text; the tables in it (targets, categories,
ladder, a category's summary) are generated from the TOML at the page's
``{{ block }}`` lines, so a number is never typed twice.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache

from flask import abort, render_template, request
from flask_login import current_user
from markdown_it import MarkdownIt
from markupsafe import Markup

from portal import db
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.policies.pages import PROCEDURE, Page
from portal.services import improvements as improvement_notes
from portal.services import policies as policy_versions
from portal.web import language
from portal.web.access import public
from portal.web.phones import with_phone_links
from portal.web.public import bp

FULL_VERSION = re.compile(r"[0-9a-f]{64}")


@lru_cache(maxsize=8)
def _markdown(numbers: tuple[str, ...]) -> MarkdownIt:
    """Raw HTML off: anything HTML-like in a page is shown as text, never run."""
    return with_phone_links(MarkdownIt("commonmark", {"html": False}).enable("table"), numbers)


@lru_cache(maxsize=64)
def render_markdown(text: str, numbers: tuple[str, ...] = ()) -> Markup:
    """HTML of a Markdown chunk, with the listed phone numbers as `tel:` links (cached:
    pages change only when the policy set does)."""
    return Markup(_markdown(numbers).render(text))  # noqa: S704  (escaped by markdown-it, html off)


def segments(page: Page, lang: str | None = None) -> list[tuple[str, Markup | str]]:
    """("html", markup) for the association's text in `lang` (else the default language),
    ("block", name) for a generated table."""
    numbers = current_policies().triage.phone_numbers
    return [
        ("html", render_markdown(text, numbers)) if kind == "markdown" else ("block", text)
        for kind, text in page.segments(lang)
    ]


@bp.get("/policies/")
@public
def procedure():  # type: ignore[no-untyped-def]
    policies = current_policies()
    page = policies.pages[PROCEDURE]
    return render_template(
        "public/procedure.html",
        page=page,
        segments=segments(page, language.current_language()),
        policies=policies,
    )


@bp.get("/policies/<slug>")
@public
def category(slug: str):  # type: ignore[no-untyped-def]
    policies = current_policies()
    found = policies.categories.get(slug)
    if found is None:
        abort(404)
    page = policies.pages[slug]
    return render_template(
        "public/category.html",
        page=page,
        segments=segments(page, language.current_language()),
        policies=policies,
        category=found,
    )


@bp.get("/policies/versions/<version>")
@public
def procedure_version(version: str):  # type: ignore[no-untyped-def]
    """What changed in one recorded version of the procedure, since the version before it."""
    if not FULL_VERSION.fullmatch(version):
        abort(404)
    try:
        found = policy_versions.version_changes(db.session(), version)
    except policy_versions.UnknownVersion:
        abort(404)
    return render_template("public/version.html", found=found, current=current_policies().version)


@bp.get("/you-said-we-did")
@public
def improvements():  # type: ignore[no-untyped-def]
    """What the association changed because of what members told it, newest first."""
    policies = current_policies()
    category = request.args.get("category", "")
    if category and category not in policies.categories:
        category = ""
    before = None
    if raw := request.args.get("before", ""):
        try:
            before = datetime.fromisoformat(raw)
        except ValueError:
            abort(404)
        if before.tzinfo is None:
            abort(404)
    notes, more = improvement_notes.published(db.session(), category or None, before)
    older = notes[-1].published_at.isoformat() if more and notes else None
    may_publish = current_user.is_authenticated and current_user.has_role(Role.CHAIR)
    return render_template(
        "public/improvements.html",
        notes=notes,
        older=older,
        category=category,
        policies=policies,
        lang=language.current_language(),
        may_publish=may_publish,
    )
