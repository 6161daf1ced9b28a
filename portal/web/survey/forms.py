"""The survey form: its questions are worded by the policy files, in the reader's language."""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.i18n import _l
from portal.policies.texts import localize
from portal.policies.types import ScaleQuestion, SurveyQuestions
from portal.services.surveys import MAX_COMMENT, SCALES
from portal.web.forms import PortalForm

CHOOSE = _l("Choose one of the numbers shown.")


def _scale(name: str) -> RadioField:
    low, high = SCALES[name]
    return RadioField(
        name,
        choices=[SelectChoice(n, str(n)) for n in range(low, high + 1)],
        coerce=int,
        validators=[InputRequired(CHOOSE)],
    )


class SurveyForm(PortalForm):
    # Named for the columns they fill ("process" alone is a method of every form).
    outcome_score = _scale("outcome")
    process_score = _scale("process")
    fairness_score = _scale("fairness")
    recommend_score = _scale("recommend")
    comment = TextAreaField(
        "comment",
        validators=[
            Length(max=MAX_COMMENT, message=_l("Please keep this under %(max)d characters."))
        ],
    )

    def word(self, questions: SurveyQuestions, language: str) -> None:
        """Labels and the meaning of each scale's ends, from survey.toml."""
        for name in SCALES:
            question: ScaleQuestion = getattr(questions, name)
            field = getattr(self, f"{name}_score")
            low, high = SCALES[name]
            field.label.text = localize(question.label, language)
            field.description = _l(
                "%(low)d: %(low_label)s · %(high)d: %(high_label)s",
                low=low,
                low_label=localize(question.low, language),
                high=high,
                high_label=localize(question.high, language),
            )
        self.comment.label.text = localize(questions.comment.label, language)
        hint = questions.comment.hint
        self.comment.description = localize(hint, language) if hint is not None else ""
