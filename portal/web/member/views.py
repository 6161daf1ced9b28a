from __future__ import annotations

from flask import render_template

from portal.domain.roles import Role
from portal.web.access import roles
from portal.web.member import bp


@bp.get("/my/grievances")
@roles(Role.MEMBER)
def my_grievances():  # type: ignore[no-untyped-def]
    return render_template("member/my_grievances.html", cases=[])
