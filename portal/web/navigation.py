"""The navigation shows what the signed-in person can do, nothing more."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, request, url_for
from flask_login import current_user

from portal import db
from portal.domain.roles import COMMITTEE_ROLES, Role
from portal.i18n import _l
from portal.policies import current_policies
from portal.services import notifications

# Everyone who works in the portal rather than filing in it.
STAFF = frozenset({*COMMITTEE_ROLES, Role.ADMIN, Role.AUDITOR})


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str
    roles: frozenset[Role] | None = None  # None: everyone signed in

    def visible_to(self, roles: frozenset[Role]) -> bool:
        return self.roles is None or bool(self.roles & roles)


ITEMS = [
    NavItem("member.my_grievances", _l("My grievances"), frozenset({Role.MEMBER})),
    NavItem("member.file", _l("File a grievance"), frozenset({Role.MEMBER})),
    NavItem("committee.queue_page", _l("Case queue"), COMMITTEE_ROLES),
    NavItem("committee.record", _l("Record a grievance"), frozenset({Role.REVIEWER, Role.CHAIR})),
    NavItem("committee.survey_results_page", _l("Survey results"), frozenset({Role.CHAIR})),
    NavItem("admin.users", _l("Users"), frozenset({Role.ADMIN})),
    NavItem("admin.committees_page", _l("Committees"), frozenset({Role.ADMIN})),
    NavItem("admin.panel", _l("Grievance panel"), frozenset({Role.ADMIN})),
    NavItem("admin.outbox_page", _l("Outgoing mail"), frozenset({Role.ADMIN})),
    NavItem("oversight.audit_trail", _l("Audit trail"), frozenset({Role.AUDITOR})),
    NavItem(
        "insight.dashboard", _l("Dashboard"), frozenset({Role.CHAIR, Role.ADMIN, Role.AUDITOR})
    ),
    NavItem("notifications.notices", _l("Notifications")),
    NavItem("public.procedure", _l("How we handle grievances")),
    NavItem("auth.account", _l("My account")),
]


def _unread() -> int:
    if "unread" not in g:
        g.unread = notifications.unread_count(db.session(), current_user)
    return int(g.unread)


def init_app(app: Flask) -> None:
    @app.before_request
    def _count_unread() -> None:
        # Counted before the view runs, in its transaction: after a view's commit the count
        # would need a transaction of its own.
        if request.method == "GET" and current_user.is_authenticated:
            _unread()

    @app.context_processor
    def _nav() -> dict[str, object]:
        # (address, label, whether it is this page, unread count shown beside it)
        items: list[tuple[str, str, bool, int]] = []
        if current_user.is_authenticated:
            for item in ITEMS:
                if item.endpoint in current_app.view_functions and item.visible_to(
                    current_user.roles
                ):
                    badge = _unread() if item.endpoint == "notifications.notices" else 0
                    items.append(
                        (
                            url_for(item.endpoint),
                            item.label,
                            request.endpoint == item.endpoint,
                            badge,
                        )
                    )
        return {
            "nav_items": items,
            "settings": current_app.extensions["portal.settings"],
            # Who runs the portal, on every page (association.toml).
            "association": current_policies().association,
            # Staff read other people's grievances: the footer speaks to them as such.
            "staff_view": bool(current_user.is_authenticated and current_user.roles & STAFF),
        }
