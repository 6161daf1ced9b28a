"""Who runs the portal (association.toml): the name and contact shown on every page.

The name, and the address when given, are texts members read, so they come in
every declared language like the other policy texts. The email and phone are
checked for their form, because a typo there sends an upset member nowhere.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, PlainValidator

from portal.policies.durations import FROZEN
from portal.policies.texts import LocalizedText, text_validator

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
# Digits, spaces, hyphens, dots, brackets and a leading +: "020 7946 0000", "+82 2-123-4567".
PHONE_RE = re.compile(r"\+?[0-9()][0-9 ().-]*[0-9]")
WEBSITE_RE = re.compile(r"https?://[^\s/]+\.[^\s]+")


def _filled(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _email(value: object) -> str:
    if not isinstance(value, str) or not EMAIL_RE.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not an email address like office@association.org")
    return value.strip()


def _phone(value: object) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not PHONE_RE.fullmatch(text) or sum(c.isdigit() for c in text) < 5:
        raise ValueError(
            f"{value!r} is not a phone number like '020 7946 0000' or '+82 2-123-4567'"
        )
    return text


def _website(value: object) -> str:
    if not isinstance(value, str) or not WEBSITE_RE.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a web address starting with https://")
    return value.strip()


LocalText = Annotated[LocalizedText, PlainValidator(text_validator(_filled))]


class Association(BaseModel):
    model_config = FROZEN
    name: LocalText
    email: Annotated[str, PlainValidator(_email)]
    phone: Annotated[str, PlainValidator(_phone)]
    address: LocalText | None = None
    website: Annotated[str, PlainValidator(_website)] | None = None

    @property
    def phone_link(self) -> str:
        """The number for a ``tel:`` link: "+44 20 7946 0000" -> "+442079460000"."""
        return "".join(c for c in self.phone if c.isdigit() or c == "+")


class AssociationFile(BaseModel):
    model_config = FROZEN
    association: Association
