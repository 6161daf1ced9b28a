"""The typed policy set: what the code reads from ``policies/``.

Each ``*.toml`` file has a model here. Every model is frozen and forbids unknown
keys, so a misspelt setting is an error naming it, never a setting silently
ignored. Durations ("4 working hours", "6 years") live in durations.py and
Markdown pages in pages.py; their types can be imported from here too.
"""

from __future__ import annotations

import copy
import re
import string
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from portal.policies.association import Association
from portal.policies.durations import FROZEN, CalendarPeriod, WorkingTime
from portal.policies.pages import Page
from portal.policies.texts import Languages, LocalizedText, languages_of, text_validator

SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Letters of any script, digits, inner spaces, hyphens, apostrophes; "*" may end it.
KEYWORD_RE = re.compile(r"[\w'\u2019-]+(?: [\w'\u2019-]+)*\*?")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Actor = Literal["reviewer", "committee_chair", "grievance_panel"]
TriggerName = Literal[
    "sla_breach", "high_risk_keyword", "member_appeal", "member_request_after_breach"
]
# Who acts, when escalation.toml gives a level no actor_label of its own.
ACTOR_LABELS: dict[str, dict[str, str]] = {
    "reviewer": {"en": "Reviewer", "ko": "심사위원"},
    "committee_chair": {"en": "Committee chair", "ko": "위원장"},
    "grievance_panel": {"en": "Grievance panel of the board", "ko": "이사회 고충심의위원회"},
}
# The only names a canned response may use: a template is text, never code.
PLACEHOLDERS = frozenset(
    {"member_name", "reference", "due_date", "decision_date", "category", "committee"}
)


class EntryError(ValueError):
    """A check across fields that knows which entry (relative to its model) is wrong."""

    def __init__(self, entry: str, message: str) -> None:
        super().__init__(message)
        self.entry = entry


def _slug(value: str) -> str:
    if not SLUG_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid name: use lower-case letters, digits and hyphens"
        )
    return value


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _keyword(value: str) -> str:
    value = " ".join(value.split())
    if not KEYWORD_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a keyword: use words (letters, digits, hyphens, apostrophes)"
            " separated by single spaces; a '*' may only end a keyword"
        )
    return value


def _keyed(field: str) -> BeforeValidator:
    """Copy each table's key into its entry, so an entry knows its own name."""

    def inject(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return {k: ({**v, field: k} if isinstance(v, dict) else v) for k, v in value.items()}

    return BeforeValidator(inject)


Slug = Annotated[str, AfterValidator(_slug)]
Text = Annotated[str, AfterValidator(_text)]  # for the operator only, never shown to members
Keyword = Annotated[str, AfterValidator(_keyword)]
# A text members read: one variant per declared language (see texts.py).
LocalText = Annotated[LocalizedText, PlainValidator(text_validator(_text))]


class Committee(BaseModel):
    model_config = FROZEN
    slug: str  # the table key, validated there
    name: LocalText
    description: LocalText


class Category(BaseModel):
    model_config = FROZEN
    slug: str  # the table key, validated there
    label: LocalText
    description: LocalText
    committee: Slug
    default_priority: Slug
    keywords: tuple[Keyword, ...] = ()
    allow_anonymous: StrictBool  # may members hide their identity from the committee


class Priority(BaseModel):
    model_config = FROZEN
    slug: str  # the table key, validated there
    label: LocalText
    description: LocalText
    rank: StrictInt = Field(ge=1)  # 1 is the most urgent
    first_response: WorkingTime
    resolution: WorkingTime


class Holiday(BaseModel):
    model_config = FROZEN
    date: Annotated[date, Strict()]  # a TOML date, 2026-12-25, not a string
    name: Text


class Calendar(BaseModel):
    """When the association works: the clock of every promised date."""

    model_config = FROZEN
    time_zone: ZoneInfo
    working_days: tuple[Weekday, ...] = Field(min_length=1)
    opens: time
    closes: time
    holidays: tuple[Holiday, ...] = ()

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        # Local wall-clock times only: an offset or a bare number is a mistake.
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f'{value!r} is not a time like "09:00" (24-hour, local)')
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Calendar:
        if self.opens >= self.closes:
            raise EntryError(
                "closes", f"{self.closes:%H:%M} must be later than opens ({self.opens:%H:%M})"
            )
        if len(set(self.working_days)) != len(self.working_days):
            raise EntryError("working_days", "a day is listed twice")
        seen: set[date] = set()
        working = {WEEKDAYS.index(day) for day in self.working_days}
        for index, holiday in enumerate(self.holidays):
            if holiday.date in seen:
                raise EntryError(f"holidays[{index}].date", f"{holiday.date} is listed twice")
            if holiday.date.weekday() not in working:
                raise EntryError(
                    f"holidays[{index}].date",
                    f"{holiday.date} ({holiday.name}) is not a working day anyway; "
                    "list the day off that replaces it",
                )
            seen.add(holiday.date)
        return self

    @cached_property
    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(WEEKDAYS.index(day) for day in self.working_days)

    @cached_property
    def holiday_dates(self) -> frozenset[date]:
        return frozenset(h.date for h in self.holidays)

    @property
    def day_length(self) -> timedelta:
        """One working day of working time (the clock-face length of the day)."""
        today = date(2000, 1, 3)
        return datetime.combine(today, self.closes) - datetime.combine(today, self.opens)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() in self.weekday_numbers and day not in self.holiday_dates

    def duration(self, amount: WorkingTime) -> timedelta:
        per_unit = timedelta(hours=1) if amount.unit == "hours" else self.day_length
        return amount.amount * per_unit

    def describe(self) -> str:
        """When the clock runs, e.g. "Monday to Friday, 09:00 to 17:00 (Europe/London time)..."."""
        numbers = sorted(self.weekday_numbers)
        names = [WEEKDAYS[n].capitalize() for n in numbers]
        if len(names) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
            days = f"{names[0]} to {names[-1]}"
        else:
            days = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return (
            f"{days}, {self.opens:%H:%M} to {self.closes:%H:%M} ({self.time_zone.key} time),"
            " except public holidays"
        )


class Level(BaseModel):
    model_config = FROZEN
    number: int = Field(ge=1)
    actor: Actor
    actor_label: LocalText  # optional in the file: ACTOR_LABELS fills it in
    title: LocalText
    description: LocalText
    entered_by: tuple[TriggerName, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _default_actor_label(cls, data: Any, info: ValidationInfo) -> Any:
        if (
            isinstance(data, dict)
            and "actor_label" not in data
            and data.get("actor") in ACTOR_LABELS
        ):
            labels = ACTOR_LABELS[data["actor"]]
            wanted = languages_of(info).supported
            data = {**data, "actor_label": {k: v for k, v in labels.items() if k in wanted}}
        return data


class Trigger(BaseModel):
    model_config = FROZEN
    label: LocalText
    description: LocalText


class Triggers(BaseModel):
    model_config = FROZEN
    sla_breach: Trigger
    high_risk_keyword: Trigger
    member_appeal: Trigger
    member_request_after_breach: Trigger

    def get(self, name: str) -> Trigger:
        return getattr(self, name)

    def items(self) -> list[tuple[str, Trigger]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]


class Panel(BaseModel):
    """How a grievance panel is formed and decides (escalation.toml, [panel])."""

    model_config = FROZEN
    size: StrictInt = Field(ge=1)  # members seated on each panel case
    quorum: StrictInt = Field(ge=1)  # matching votes that make the decision

    @model_validator(mode="after")
    def _consistent(self) -> Panel:
        if self.quorum > self.size:
            raise EntryError("quorum", f"cannot be more than the panel's size ({self.size})")
        return self


class Ladder(BaseModel):
    """The escalation ladder (escalation.toml): who acts at each level and what moves a case up."""

    model_config = FROZEN
    appeal_window: WorkingTime
    # How many times a chair may move a case's decision date, each time with a reason.
    max_extensions: StrictInt = Field(default=0, ge=0)
    # Each extension adds at most this much working time.
    extension_limit: WorkingTime | None = None
    panel: Panel
    levels: Annotated[dict[int, Level], _keyed("number")] = Field(min_length=1)
    triggers: Triggers

    @model_validator(mode="after")
    def _consistent(self) -> Ladder:
        numbers = sorted(self.levels)
        if numbers != list(range(1, len(numbers) + 1)):
            found = ", ".join(map(str, numbers))
            raise EntryError("levels", f"number the levels 1, 2, 3… without gaps (found {found})")
        if self.levels[1].entered_by:
            raise EntryError("levels.1.entered_by", "every case starts at level 1; leave it empty")
        actors: dict[str, int] = {}
        for number in numbers:
            level = self.levels[number]
            if level.actor in actors:
                raise EntryError(
                    f"levels.{number}.actor",
                    f"{level.actor} already acts at level {actors[level.actor]}; "
                    "each level must move the case to someone new",
                )
            actors[level.actor] = number
            if len(set(level.entered_by)) != len(level.entered_by):
                raise EntryError(f"levels.{number}.entered_by", "a trigger is listed twice")
        used = {name for level in self.levels.values() for name in level.entered_by}
        for name in Triggers.model_fields:
            if name not in used:
                raise EntryError(f"triggers.{name}", "no level lists this trigger in entered_by")
        return self

    @property
    def ordered(self) -> list[Level]:
        return [self.levels[n] for n in sorted(self.levels)]

    def level(self, number: int) -> Level:
        return self.levels[number]

    def next_level(self, number: int) -> Level | None:
        """The level a case moves to from `number`, or None at the top of the ladder."""
        return self.levels.get(number + 1)


class RetentionPeriods(BaseModel):
    model_config = FROZEN
    closed: CalendarPeriod
    withdrawn: CalendarPeriod


class Retention(BaseModel):
    """How long a case's content is kept after it reaches a final status (retention.toml)."""

    model_config = FROZEN
    periods: RetentionPeriods

    def period_for(self, status: str) -> CalendarPeriod | None:
        return getattr(self.periods, status, None)


class ScaleQuestion(BaseModel):
    """A question answered on a scale; `low` and `high` name its two ends."""

    model_config = FROZEN
    label: LocalText
    low: LocalText
    high: LocalText


class CommentQuestion(BaseModel):
    model_config = FROZEN
    label: LocalText
    hint: LocalText | None = None


class SurveyQuestions(BaseModel):
    """The survey's fixed questions, worded by the association: outcome, process and
    fairness on 1 to 5, recommending the association on 0 to 10, and a free comment."""

    model_config = FROZEN
    outcome: ScaleQuestion
    process: ScaleQuestion
    fairness: ScaleQuestion
    recommend: ScaleQuestion
    comment: CommentQuestion


class Survey(BaseModel):
    """When the satisfaction survey goes out, how long it stays open, and its words
    (survey.toml)."""

    model_config = FROZEN
    send_after: WorkingTime  # after the case is decided
    reminder_after: CalendarPeriod | None = None
    closes_after: CalendarPeriod
    intro: LocalText
    privacy: LocalText
    questions: SurveyQuestions

    @model_validator(mode="after")
    def _consistent(self) -> Survey:
        if self.reminder_after and self.reminder_after.approx_days >= self.closes_after.approx_days:
            raise EntryError(
                "reminder_after",
                f"{self.reminder_after} must be sooner than closes_after ({self.closes_after})",
            )
        return self


def _template(value: str) -> str:
    value = _text(value)
    try:
        fields = list(string.Formatter().parse(value))
    except ValueError as exc:  # a lone "{" or "}"
        raise ValueError(f"{exc}; write {{{{ or }}}} for a literal brace") from None
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
            raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
    return value


Template = Annotated[LocalizedText, PlainValidator(text_validator(_template))]


class CannedResponse(BaseModel):
    model_config = FROZEN
    slug: str  # the table key, validated there
    title: LocalText
    subject: Template
    body: Template

    def render(self, lang: str | None = None, **values: str) -> tuple[str, str]:
        """(subject, body) in `lang` (else the default language) with the placeholders filled;
        every one used must be given."""
        return (
            self.subject.in_language(lang).format_map(values),
            self.body.in_language(lang).format_map(values),
        )


PhoneNumber = Annotated[str, Field(pattern=r"^\+?[0-9](?:[0-9 -]*[0-9])?$", min_length=3)]


class HighRiskRule(BaseModel):
    model_config = FROZEN
    slug: str  # the table key, validated there
    label: LocalText
    raise_to: Slug
    keywords: tuple[Keyword, ...] = Field(min_length=1)


class TriageRules(BaseModel):
    """High-risk words that raise a new grievance's priority (triage.toml)."""

    model_config = FROZEN
    # Shown as soon as a member's words look urgent: who to contact now.
    safety_notice: LocalText
    # Numbers shown as tap-to-call links wherever they appear in the safety notice and the
    # policy pages ("999", "020 7946 0000"); listed, so a year or an amount never becomes one.
    phone_numbers: tuple[PhoneNumber, ...] = ()
    high_risk: Annotated[dict[Slug, HighRiskRule], _keyed("slug")] = Field(min_length=1)


# One model per file; the loader validates each file on its own so errors name it.
class CommitteesFile(BaseModel):
    model_config = FROZEN
    committees: Annotated[dict[Slug, Committee], _keyed("slug")] = Field(min_length=1)


class CategoriesFile(BaseModel):
    model_config = FROZEN
    categories: Annotated[dict[Slug, Category], _keyed("slug")] = Field(min_length=1)


class PrioritiesFile(BaseModel):
    model_config = FROZEN
    priorities: Annotated[dict[Slug, Priority], _keyed("slug")] = Field(min_length=1)


class Outcome(BaseModel):
    model_config = FROZEN
    slug: str  # the table key, validated there
    label: LocalText
    description: LocalText


class Clause(BaseModel):
    """A clause of the grievance procedure a decision may rely on."""

    model_config = FROZEN
    slug: str  # the table key, validated there
    number: Text  # as the procedure numbers it, "4.2"
    title: LocalText


class DecisionsFile(BaseModel):
    """What a decision may conclude and the clauses it may cite (decisions.toml)."""

    model_config = FROZEN
    outcomes: Annotated[dict[Slug, Outcome], _keyed("slug")] = Field(min_length=1)
    clauses: Annotated[dict[Slug, Clause], _keyed("slug")] = Field(min_length=1)


class RootCause(BaseModel):
    """Why a grievance happened, as a reviewer tags a decided case (root_causes.toml)."""

    model_config = FROZEN
    slug: str  # the table key, validated there
    label: LocalText
    description: LocalText


class RootCausesFile(BaseModel):
    model_config = FROZEN
    root_causes: Annotated[dict[Slug, RootCause], _keyed("slug")] = Field(min_length=1)


class ResponsesFile(BaseModel):
    model_config = FROZEN
    responses: Annotated[dict[Slug, CannedResponse], _keyed("slug")] = Field(min_length=1)

    @model_validator(mode="after")
    def _acknowledgement(self) -> ResponsesFile:
        if "acknowledgement" not in self.responses:
            raise EntryError(
                "responses.acknowledgement",
                "is required: it is what every member receives the moment they file",
            )
        return self


class PolicySet(BaseModel):
    """The whole validated policy set, with the version cases record."""

    model_config = ConfigDict(frozen=True)
    version: str  # sha256 of the canonical content (see loader.version_of)
    directory: Path | None = None  # where it was read from; not part of the version
    languages: Languages
    association: Association
    committees: dict[str, Committee]
    categories: dict[str, Category]
    priorities: dict[str, Priority]
    calendar: Calendar
    ladder: Ladder
    retention: Retention
    survey: Survey
    canned_responses: dict[str, CannedResponse]
    outcomes: dict[str, Outcome]
    clauses: dict[str, Clause]
    root_causes: dict[str, RootCause]
    triage: TriageRules
    pages: dict[str, Page]
    content: dict[str, Any] = Field(repr=False)

    def snapshot(self) -> dict[str, Any]:
        """The canonical content, JSON-safe: file name -> parsed TOML or Markdown text."""
        return copy.deepcopy(self.content)

    def page(self, slug: str, lang: str | None = None) -> str:
        """The Markdown of "procedure" or of a category's page in `lang` (else the default
        language); KeyError if there is none."""
        return self.pages[slug].markdown.in_language(lang)

    @cached_property
    def priority_order(self) -> tuple[str, ...]:
        """Priority names, most urgent first."""
        return tuple(sorted(self.priorities, key=lambda name: self.priorities[name].rank))

    @property
    def priorities_in_order(self) -> list[Priority]:
        return [self.priorities[name] for name in self.priority_order]

    def more_urgent(self, a: str, b: str) -> str:
        """Whichever of two priority names is more urgent."""
        return a if self.priorities[a].rank <= self.priorities[b].rank else b

    def committee_of(self, category: str) -> Committee:
        return self.committees[self.categories[category].committee]
