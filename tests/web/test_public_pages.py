"""The member-facing procedure pages: rendered from policies/*.md, tables from the TOML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.policies import PolicySet


class Outline(HTMLParser):
    """The level-1 headings, table captions and table rows of a page, as plain text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.captions: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: str | None = None
        self._text = ""
        self._row: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "th", "td", "caption"):
            self._cell, self._text = tag, ""

    def handle_data(self, data: str) -> None:
        if self._cell:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self.rows.append(self._row)
            self._row = []
        if tag != self._cell:
            return
        text = " ".join(self._text.split())
        {"h1": self.h1, "caption": self.captions}.get(tag, self._row).append(text)
        self._cell = None


def outline(html: str) -> Outline:
    return Outline(html)


@pytest.fixture
def policies(app: Flask) -> PolicySet:
    return app.extensions["portal.policies"]


def test_the_procedure_page_is_readable_without_signing_in(client: FlaskClient) -> None:
    response = client.get("/policies/")

    assert response.status_code == 200
    page = outline(response.get_data(as_text=True))
    assert page.h1 == ["How we handle grievances"]


def test_the_targets_table_comes_from_the_priorities(
    client: FlaskClient, policies: PolicySet
) -> None:
    html = client.get("/policies/").get_data(as_text=True)
    page = outline(html)

    assert "How quickly we respond and resolve, in working time" in page.captions
    assert [
        "Urgent",
        policies.priorities["urgent"].description,
        "1 working hour",
        "2 working days",
    ] in page.rows
    for priority in policies.priorities.values():
        assert [
            priority.label,
            priority.description,
            str(priority.first_response),
            str(priority.resolution),
        ] in page.rows
    assert '<th scope="row" data-label="Priority">Urgent</th>' in html
    assert '<th scope="col">First response within</th>' in html


def test_the_procedure_page_lists_categories_and_the_ladder(
    client: FlaskClient, policies: PolicySet
) -> None:
    html = client.get("/policies/").get_data(as_text=True)
    page = outline(html)

    for category in policies.categories.values():
        assert f'href="/policies/{category.slug}"' in html
        assert category.label in [row[0] for row in page.rows if row]
    assert [row[:2] for row in page.rows if row and row[0] in {"1", "2", "3"}] == [
        ["1", "Reviewer"],
        ["2", "Committee chair"],
        ["3", "Grievance panel of the board"],
    ]
    assert "{{" not in html  # every block was replaced


def test_each_category_page_renders(client: FlaskClient, policies: PolicySet) -> None:
    for slug, category in policies.categories.items():
        response = client.get(f"/policies/{slug}")
        assert response.status_code == 200, slug
        html = response.get_data(as_text=True)
        page = outline(html)
        priority = policies.priorities[category.default_priority]

        assert len(page.h1) == 1
        assert ["Handled by", policies.committees[category.committee].name] in page.rows
        assert ["First response within", str(priority.first_response)] in page.rows
        assert ["Resolution within", str(priority.resolution)] in page.rows
        assert 'href="/policies/"' in html


def test_an_unknown_category_is_not_found(client: FlaskClient) -> None:
    assert client.get("/policies/no-such-category").status_code == 404
    assert client.get("/policies/procedure").status_code == 404


def test_pages_escape_raw_html() -> None:
    from portal.web.public.views import render_markdown

    html = render_markdown("Hello <script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script>" not in html
    assert 'href="javascript:' not in html  # left as text, never a link
