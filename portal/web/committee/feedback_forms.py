"""The chair's "you said, we did" note: in their language, the other one optional."""

from __future__ import annotations

from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.i18n import LANGUAGES, _l
from portal.policies.texts import localize
from portal.policies.types import PolicySet
from portal.services.improvements import MAX_BODY, MAX_TITLE
from portal.web.committee.work_forms import MultiCheckboxField
from portal.web.forms import PortalForm

# Whole labels per language: the switcher in every page already says "English" by itself.
TITLES = {"en": _l("Title in English"), "ko": _l("Title in Korean")}
BODIES = {"en": _l("What changed, in English"), "ko": _l("What changed, in Korean")}


def _title(language: str) -> StringField:
    return StringField(
        TITLES[language],
        validators=[Length(max=MAX_TITLE, message=_l("Keep the title under %(max)d characters."))],
    )


def _body(language: str) -> TextAreaField:
    return TextAreaField(
        BODIES[language],
        validators=[Length(max=MAX_BODY, message=_l("Please keep this under %(max)d characters."))],
        description=_l(
            "What members told us, and what we changed. Plain text; a blank line starts a "
            "new paragraph. Never name a member or a case."
        ),
    )


class ImprovementForm(PortalForm):
    categories = MultiCheckboxField(
        _l("Kinds of grievance it concerns"),
        validators=[DataRequired(_l("Tick at least one kind of grievance."))],
        description=_l("Members who filed a grievance of these kinds are told of the note."),
    )
    title_en = _title("en")
    body_en = _body("en")
    title_ko = _title("ko")
    body_ko = _body("ko")

    def set_categories(self, slugs: list[str], policies: PolicySet, language: str) -> None:
        self.categories.choices = [
            SelectChoice(s, localize(policies.categories[s].label, language)) for s in slugs
        ]

    def ordered(self, language: str) -> list[tuple[object, object]]:
        """(title, text) fields, the writer's language first; the other one is optional."""
        first = [language] + [code for code in LANGUAGES if code != language]
        return [(getattr(self, f"title_{c}"), getattr(self, f"body_{c}")) for c in first]
