"""Plain words for the audit log's action codes and object kinds (the code is shown too)."""

from __future__ import annotations

from portal.i18n import _l

ACTIONS = {
    "account.admin_created": _l("Administrator created from the command line"),
    "account.invited": _l("Account invited"),
    "account.language": _l("Language changed"),
    "account.password_changed": _l("Password changed"),
    "account.password_set": _l("Password set from a link"),
    "account.registered": _l("Account registered"),
    "account.registration_repeated": _l("Registration tried again for an existing account"),
    "account.signed_in": _l("Signed in"),
    "account.signed_out": _l("Signed out"),
    "audit.viewed": _l("Audit trail read"),
    "case.assigned": _l("Case assigned"),
    "case.category_changed": _l("Kind of grievance changed"),
    "case.claimed": _l("Case claimed by its member"),
    "case.decided": _l("Case decided"),
    "case.escalated": _l("Case escalated"),
    "case.evidence_added": _l("Evidence added"),
    "case.evidence_downloaded": _l("Evidence downloaded"),
    "case.filed": _l("Case filed"),
    "case.identity_revealed": _l("Member revealed their identity"),
    "case.linked": _l("Related case linked"),
    "case.merged": _l("Duplicate merged into another case"),
    "case.information_requested": _l("Information requested from the member"),
    "case.message": _l("Message sent"),
    "case.message_sent": _l("Message sent to the member"),
    "case.note_added": _l("Internal note added"),
    "case.priority_changed": _l("Priority changed"),
    "case.reassigned": _l("Case reassigned"),
    "case.recused": _l("Conflict of interest declared"),
    "case.unlinked": _l("Link to a related case removed"),
    "case.status": _l("Status changed"),
    "case.viewed": _l("Case opened"),
    "cases.listed": _l("Own cases listed"),
    "committee.created": _l("Committee created"),
    "committee.updated": _l("Committee changed"),
    "committee.seat_removed": _l("Committee seat removed"),
    "committee.seat_set": _l("Committee seat given"),
    "committee.synced": _l("Committees synced from the policy"),
    "demo.seeded": _l("Demo data created"),
    "panel.appointed": _l("Appointed to the grievance panel"),
    "panel.removed": _l("Removed from the grievance panel"),
    "panel.voted": _l("Panel vote cast"),
    "queue.listed": _l("Case queue listed"),
    "user.activated": _l("Account reactivated"),
    "user.deactivated": _l("Account deactivated"),
    "user.roles_changed": _l("Roles changed"),
}

OBJECTS = {
    "grievance": _l("Case"),
    "attachment": _l("Evidence file"),
    "user": _l("Account"),
    "committee": _l("Committee"),
    "audit": _l("Audit trail"),
    "system": _l("System"),
}


def action_label(action: str) -> str | None:
    label = ACTIONS.get(action)
    return str(label) if label is not None else None


def object_kind(object_type: str) -> str:
    return str(OBJECTS.get(object_type, object_type))
