"""Every form on the committee's case page, by name.

Each entry is a zero-argument factory; give each form its own `prefix` so field ids
stay unique on the page. A POST view builds its form with the same factory, so a
refused form re-renders in place with its errors.

Every form here subclasses `CaseForm` (portal/web/committee/caseform.py): it carries the version of the case the page showed
and when it was shown (filled in by `render_case`; templates render them with
`{{ form.version }}{{ form.seen }}` beside the CSRF token), so
`change_case` refuses a change made on an out-of-date page (services/versions.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from flask_wtf import FlaskForm
from wtforms import HiddenField

from portal.web.committee.caseform import CaseForm
from portal.web.committee.escalation_forms import ExtensionForm
from portal.web.committee.panel_forms import panel_vote_form
from portal.web.committee.work_forms import (
    AssignForm,
    CategoryForm,
    DecisionForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StartForm,
    TakeForm,
)


class MoveForm(CaseForm):
    """A plain status move (start review, start investigating, close, reopen)."""

    target = HiddenField()


CASE_FORMS: dict[str, Callable[[], FlaskForm]] = {
    "move": lambda: MoveForm(prefix="move"),
    "extend": lambda: ExtensionForm(prefix="extend"),
    "panel_vote": panel_vote_form,
    # Working the case (work.py): triage, notes, messages, decisions.
    "category": lambda: CategoryForm(prefix="category"),
    "priority": lambda: PriorityForm(prefix="priority"),
    "assign": lambda: AssignForm(prefix="assign"),
    "take": lambda: TakeForm(prefix="take"),
    "note": lambda: NoteForm(prefix="note"),
    "start": lambda: StartForm(prefix="start", formdata=None),
    "reply": lambda: ReplyForm(prefix="reply"),
    "decision": lambda: DecisionForm(prefix="decision"),
    "root_cause": lambda: _root_cause_form(),
}


def _root_cause_form() -> FlaskForm:
    from portal.web.committee.root_cause import (
        RootCauseForm,
    )  # it imports casepage, this module's user

    return RootCauseForm(prefix="rootcause")


class CaseForms(Mapping[str, FlaskForm]):
    """The page's forms by name, each built when the page first shows it: a case shows a
    few of its fifteen (no decision form before investigation, no vote without a panel),
    and building a form with its fields is most of what an unshown one would cost.
    `prepare` is applied to each as it is built (the version and time the page shows)."""

    def __init__(self, given: dict[str, FlaskForm], prepare: Callable[[FlaskForm], None]):
        for form in given.values():
            prepare(form)
        self._built = dict(given)
        self._prepare = prepare

    def __getitem__(self, name: str) -> FlaskForm:
        if name not in self._built:
            form = CASE_FORMS[name]()
            self._prepare(form)
            self._built[name] = form
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(CASE_FORMS)

    def __len__(self) -> int:
        return len(CASE_FORMS)


def case_forms(prepare: Callable[[FlaskForm], None], **given: FlaskForm) -> CaseForms:
    """The page's forms, with `given` (a refused form) in place of its fresh one."""
    return CaseForms(given, prepare)
