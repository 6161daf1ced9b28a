"""Durations as the policy files write them: "4 working hours", "2 working days", "6 years"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FROZEN = ConfigDict(frozen=True, extra="forbid")
WORKING_TIME_RE = re.compile(r"\s*(\d+)\s+working\s+(hour|day)s?\s*", re.IGNORECASE)
# Bounds keep every date computable: a policy promising a decision in ten years is a typo.
MAX_WORKING = {"hours": 2000, "days": 250}
MAX_PERIOD = {"days": 36525, "weeks": 5218, "months": 1200, "years": 100}
PERIOD_RE = re.compile(r"\s*(\d+)\s+(day|week|month|year)s?\s*", re.IGNORECASE)


class WorkingTime(BaseModel):
    """An amount of working time: "1 working hour", "2 working days"."""

    model_config = FROZEN
    amount: int = Field(gt=0)
    unit: Literal["hours", "days"]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, WorkingTime | dict):
            return value
        match = WORKING_TIME_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise ValueError(
                f"{value!r} is not a working time like '4 working hours' or '2 working days'"
            )
        amount, unit = int(match[1]), match[2].lower() + "s"
        if amount == 0:
            raise ValueError(f"{value!r} must be at least 1 working hour")
        if amount > MAX_WORKING[unit]:
            raise ValueError(f"{value!r} is longer than a year of working time")
        return {"amount": amount, "unit": unit}

    def __str__(self) -> str:
        unit = self.unit.removesuffix("s")
        return f"{self.amount} working {unit}{'' if self.amount == 1 else 's'}"


class CalendarPeriod(BaseModel):
    """A span of calendar time: "90 days", "6 years"."""

    model_config = FROZEN
    amount: int = Field(gt=0)
    unit: Literal["days", "weeks", "months", "years"]

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, CalendarPeriod | dict):
            return value
        match = PERIOD_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None or int(match[1]) == 0:
            raise ValueError(f"{value!r} is not a period like '30 days', '18 months' or '6 years'")
        amount, unit = int(match[1]), match[2].lower() + "s"
        if amount > MAX_PERIOD[unit]:
            raise ValueError(f"{value!r} is longer than 100 years")
        return {"amount": amount, "unit": unit}

    @property
    def approx_days(self) -> float:
        """For comparing periods only; `after` is exact."""
        return self.amount * {"days": 1, "weeks": 7, "months": 30.44, "years": 365.25}[self.unit]

    def after(self, moment: datetime) -> datetime:
        """The moment this period after `moment` (a month end clamps: 31 Jan + 1 month = 28 Feb)."""
        if self.unit in ("days", "weeks"):
            return moment + timedelta(days=self.amount * (7 if self.unit == "weeks" else 1))
        months = self.amount * (12 if self.unit == "years" else 1)
        year, month = divmod(moment.month - 1 + months, 12)
        year, month = moment.year + year, month + 1
        for day in range(moment.day, 27, -1):  # the last valid day of the target month
            try:
                return moment.replace(year=year, month=month, day=day)
            except ValueError:
                continue
        return moment.replace(year=year, month=month, day=min(moment.day, 28))

    def __str__(self) -> str:
        unit = self.unit.removesuffix("s")
        return f"{self.amount} {unit}{'' if self.amount == 1 else 's'}"
