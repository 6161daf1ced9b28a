"""Texts the association writes, in every language its policy set declares.

``languages.toml`` declares the languages (``default = "en"``, ``supported =
["en", "ko"]``). In the other files a text is either a plain string, in the
default language, or a table with one entry per language, usually written as
dotted keys::

    label.en = "Harassment and discrimination"
    label.ko = "괴롭힘 및 차별"

It loads as a ``LocalizedText``: a ``str`` holding the default-language text,
so code and templates that use it as a string keep working, which also carries
every variant (``.in_language("ko")``). A declared language without its text
is an error naming the entry and the language, so a set that says it speaks
Korean never shows a member an English sentence by surprise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, GetCoreSchemaHandler, ValidationInfo, model_validator
from pydantic_core import core_schema

from portal.policies.durations import FROZEN

# The languages the portal's own pages come in; a policy set may declare these.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "ko": "Korean"}
LanguageCode = Literal["en", "ko"]
T = TypeVar("T")


class Languages(BaseModel):
    """Which languages the association writes in, and which one is used when a text lacks one."""

    model_config = FROZEN
    default: LanguageCode
    supported: tuple[LanguageCode, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Languages:
        from portal.policies.types import EntryError  # types imports this module

        if len(set(self.supported)) != len(self.supported):
            raise EntryError("supported", "a language is listed twice")
        if self.default not in self.supported:
            raise EntryError("default", f"{self.default!r} must also be listed in supported")
        return self

    @property
    def others(self) -> tuple[str, ...]:
        """The supported languages other than the default, in the order declared."""
        return tuple(lang for lang in self.supported if lang != self.default)


# What a set without languages.toml would mean; used when validating a model on its own.
ENGLISH_ONLY = Languages.model_construct(default="en", supported=("en",))


class LocalizedText(str):
    """A policy text: the default-language string, with its variants by language code."""

    variants: Mapping[str, str]
    default: str

    def __new__(cls, variants: Mapping[str, str], default: str) -> LocalizedText:
        if default not in variants:
            raise ValueError(f"no text in the default language {default!r}")
        text = super().__new__(cls, variants[default])
        text.variants = dict(variants)
        text.default = default
        return text

    def in_language(self, lang: str | None) -> str:
        """The text in `lang`, else in the association's default language."""
        return self.variants.get(lang or self.default, self.variants[self.default])

    def map(self, change: Callable[[str], str]) -> LocalizedText:
        """The same text with `change` applied to every variant (e.g. filling placeholders)."""
        return LocalizedText({k: change(v) for k, v in self.variants.items()}, self.default)

    def __reduce__(self) -> tuple[Any, ...]:
        # str's own pickling would rebuild it from the bare string and lose the variants.
        return (type(self), (dict(self.variants), self.default))

    def __repr__(self) -> str:
        return f"LocalizedText({dict(self.variants)!r}, default={self.default!r})"

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Kept as it is (pydantic would turn a str subclass back into a plain str).
        return core_schema.is_instance_schema(cls)


def localize(value: T, lang: str | None) -> T | str:
    """`value` in `lang` if it is a policy text; anything else passes through unchanged."""
    return value.in_language(lang) if isinstance(value, LocalizedText) else value


def languages_of(info: ValidationInfo) -> Languages:
    return (info.context or {}).get("languages", ENGLISH_ONLY)


def text_validator(check: Callable[[str], str]) -> Callable[[Any, ValidationInfo], LocalizedText]:
    """A validator reading a string or a {language: string} table, each variant through `check`."""

    def validate(value: Any, info: ValidationInfo) -> LocalizedText:
        if isinstance(value, LocalizedText):
            return value
        context = info.context or {}
        # With languages.toml broken (and reported), check each text's form, not completeness.
        complete = context.get("check_languages", True)
        languages = languages_of(info)
        table = isinstance(value, dict)
        if isinstance(value, str):
            value = {languages.default: value}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValueError(
                'must be a text, or one text per language: name.en = "…" and name.ko = "…"'
            )
        allowed = languages.supported if complete else tuple(LANGUAGE_NAMES)
        for lang in value:
            if lang not in allowed:
                raise ValueError(
                    f"{lang!r} is not a language of this policy set"
                    f" (languages.toml: {', '.join(allowed)})"
                )
        variants = {}
        for lang in allowed:
            if lang in value:
                try:
                    variants[lang] = check(value[lang])
                except ValueError as exc:
                    raise ValueError(f"{exc} (the {lang} text)" if table else str(exc)) from None
        missing = [lang for lang in languages.supported if lang not in variants]
        if missing and complete:
            field = info.field_name or "text"
            names = " and ".join(f"{LANGUAGE_NAMES[lang]} ({lang})" for lang in missing)
            add = ", ".join(f"{field}.{lang}" for lang in missing)
            raise ValueError(f"has no {names} text; languages.toml declares it: add {add}")
        default = languages.default if languages.default in variants else next(iter(variants))
        return LocalizedText(variants, default)

    return validate
