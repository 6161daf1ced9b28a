"""The KPI dashboard and its CSV exports."""

from __future__ import annotations

from datetime import date, timedelta

from babel.dates import format_skeleton
from flask import Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from portal import charts, db
from portal.db import utcnow
from portal.domain.errors import InvalidInput
from portal.domain.roles import Role
from portal.policies import current_policies
from portal.services import kpi_export, kpi_report, kpi_tables, kpis
from portal.services.intake import CHANNEL_LABELS
from portal.web.access import roles
from portal.web.documents import pdf_response, render_pdf
from portal.web.forms import attach_error
from portal.web.insight import bp
from portal.web.insight.forms import DashboardForm
from portal.web.language import current_language

OVERSEERS = (Role.CHAIR, Role.ADMIN, Role.AUDITOR)


def today() -> date:
    return utcnow().astimezone(current_policies().calendar.time_zone).date()


def _choices(form: DashboardForm, scope: kpis.Scope) -> None:
    policies, lang = current_policies(), current_language()
    anything = SelectChoice("", _("All"))
    named = {slug: c.name.in_language(lang) for slug, c in policies.committees.items()}
    form.committee.choices = [anything] + [
        SelectChoice(c.slug, named.get(c.slug, c.name)) for c in scope.committees
    ]
    form.category.choices = [anything] + [
        SelectChoice(slug, c.label.in_language(lang)) for slug, c in policies.categories.items()
    ]
    form.channel.choices = [anything] + [
        SelectChoice(slug, str(label)) for slug, label in CHANNEL_LABELS.items()
    ]
    form.priority.choices = [anything] + [
        SelectChoice(p.slug, p.label.in_language(lang)) for p in policies.priorities_in_order
    ]


def read_filters(form: DashboardForm) -> kpis.Filters:
    """The filters the address asks for; the last 90 days unless a period is given."""
    default = kpis.default_filters(today())
    return kpis.Filters(
        start=form.start.data or default.start,
        end=form.end.data or default.end,
        committee=form.committee.data or "",
        category=form.category.data or "",
        channel=form.channel.data or "",
        priority=form.priority.data or "",
    )


def _form(scope: kpis.Scope) -> DashboardForm:
    # The address uses from/to; the fields are start/end (a field cannot be called "from").
    args = request.args.copy()
    for short, name in (("from", "start"), ("to", "end")):
        if short in args:
            args[name] = args.pop(short)
    form = DashboardForm(args)
    _choices(form, scope)
    return form


def load() -> tuple[DashboardForm, kpis.Dashboard, int]:
    """The dashboard for the address's filters; bad filters show the default with the
    form's complaints (400)."""
    session, policies = db.session(), current_policies()
    scope = kpis.scope_for(session, current_user)
    form = _form(scope)
    status = 200
    filters = kpis.default_filters(today())
    if request.args:
        if form.validate():
            filters = read_filters(form)
        else:
            status = 400
    try:
        found = kpis.dashboard(session, current_user, filters, policies, today())
    except InvalidInput as exc:
        attach_error(form, exc)
        status = 400
        found = kpis.dashboard(
            session, current_user, kpis.default_filters(today()), policies, today()
        )
    return form, found, status


def page(form: DashboardForm, found: kpis.Dashboard, status: int) -> tuple[str, int]:
    tables = kpi_tables.tables(found, current_policies(), current_language())
    db.commit()
    return render_template(
        "insight/dashboard.html",
        form=form,
        d=found,
        tables=tables,
        query=found.filters.query(),
        quick_periods=quick_periods(found),
        months=[(m.strftime("%Y-%m"), m) for m in report_months()],  # (value sent, month)
    ), status


def quick_periods(found: kpis.Dashboard) -> list[tuple[str, str]]:
    """(label, link) for the last 30 and 90 days and 12 months, keeping the other filters."""
    query = found.filters.query()
    links = []
    for days, label in (
        (30, _("last 30 days")),
        (90, _("last 90 days")),
        (365, _("last 12 months")),
    ):
        start = found.today - timedelta(days=days - 1)
        period = {"from": start.isoformat(), "to": found.today.isoformat()}
        links.append((label, url_for("insight.dashboard", **{**query, **period})))
    return links


@bp.get("/")
@roles(*OVERSEERS)
def dashboard():  # type: ignore[no-untyped-def]
    return page(*load())


def report_months(count: int = 12) -> list[date]:
    """The months a board report can be asked for: this one and those before it."""
    first = today().replace(day=1)
    found = []
    for _i in range(count):
        found.append(first)
        first = (first.replace(day=1) - date.resolution).replace(day=1)
    return found


def _csv(lines: object, name: str) -> Response:
    response = Response(stream_with_context(lines), mimetype="text/csv")  # type: ignore[arg-type]
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return response


@bp.get("/dashboard.csv")
@roles(*OVERSEERS)
def dashboard_csv():  # type: ignore[no-untyped-def]
    form, found, status = load()
    if status != 200:
        return page(form, found, status)
    tables = kpi_tables.tables(found, current_policies(), current_language())
    table = kpi_export.check_table(request.args.get("table", ""), tables)
    lines = kpi_export.table_csv(db.session(), current_user, table, found.filters)
    db.commit()
    f = found.filters
    return _csv(lines, f"{table.key}-{f.start.isoformat()}-{f.end.isoformat()}.csv")


@bp.get("/cases.csv")
@roles(Role.CHAIR)
def cases_csv():  # type: ignore[no-untyped-def]
    form, found, status = load()
    if status != 200:
        return page(form, found, status)
    listing = kpi_export.case_list(
        db.session(), current_user, found.filters, current_policies(), current_language()
    )
    db.commit()
    f = found.filters
    return _csv(
        kpi_export.csv_lines(listing.header, listing.rows),
        f"cases-{f.start.isoformat()}-{f.end.isoformat()}.csv",
    )


def month_label(month: date) -> str:
    lang = current_language()
    return format_skeleton("yMMMM", month, locale="en_GB" if lang == "en" else lang)


bp.add_app_template_global(charts.data_uri, "chart_uri")


@bp.context_processor
def _helpers() -> dict[str, object]:
    from portal.web.insight.forms import ACTION_STATUSES

    return {
        "timedelta": timedelta,
        "month_label": month_label,
        "action_status": lambda status: ACTION_STATUSES.get(status, status),
    }


@bp.get("/report.pdf")
@roles(*OVERSEERS)
def report_pdf():  # type: ignore[no-untyped-def]
    session, policies, lang = db.session(), current_policies(), current_language()
    month = kpi_report.parse_month(request.args.get("month", ""), today())
    committee = request.args.get("committee", "")
    report = kpi_report.monthly(
        session, current_user, month, committee, policies, today(), utcnow()
    )
    db.commit()  # the download is recorded
    month_tables = kpi_tables.tables(report.month_figures, policies, lang)
    year_tables = kpi_tables.tables(report.year_figures, policies, lang)
    html = render_template(
        "pdf/report.html",
        report=report,
        month_label=month_label(month),
        tables={t.key: t for t in month_tables},
        year={t.key: t for t in year_tables},
        policies=policies,
    )
    return pdf_response(render_pdf(html), f"board-report-{month.strftime('%Y-%m')}.pdf")
