"""Declaring a column encrypted, so no model can store case text in the clear.

`subject = EncryptedText()` on a model that mixes in `Encrypted` adds a
`subject_ct` binary column; reading `obj.subject` decrypts it with the case's
data key, writing encrypts it with a fresh nonce. The associated data names
table, column and row, so a ciphertext copied anywhere else fails to decrypt.

`EncryptedText(bind=("public",))` also binds the row's `public` flag: someone who
flips it in the database gets a decryption failure, not a leak. Bound flags are
set before any encrypted field in the constructor, and a service that changes a
bound flag must write the governed fields again.
"""

from __future__ import annotations

import uuid
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.orm import mapped_column

from portal.security.envelope import decrypt_text, encrypt_text, field_aad


class EncryptedText:
    """A text attribute stored as AES-256-GCM ciphertext in `<name>_ct`."""

    def __init__(self, *, required: bool = False, bind: tuple[str, ...] = ()) -> None:
        self.required = required
        self.bind = bind
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @property
    def column(self) -> str:
        return f"{self.name}_ct"

    def _aad(self, obj: Encrypted) -> bytes:
        bound = []
        for flag in self.bind:
            value = getattr(obj, flag)
            if value is None:
                raise ValueError(f"set {flag} before {self.name}: it is bound to the ciphertext")
            bound.append(f"{flag}={int(value) if isinstance(value, bool) else value}")
        return field_aad(obj.__tablename__, self.name, str(obj.id), *bound)

    @overload
    def __get__(self, obj: None, owner: type) -> EncryptedText: ...
    @overload
    def __get__(self, obj: Encrypted, owner: type) -> str | None: ...
    def __get__(self, obj: Encrypted | None, owner: type) -> Any:
        if obj is None:
            return self
        blob = getattr(obj, self.column)
        if blob is None:
            return None
        return decrypt_text(obj.case_key(), bytes(blob), self._aad(obj))

    def __set__(self, obj: Encrypted, value: str | None) -> None:
        if obj.id is None:
            obj.id = uuid.uuid4()  # the row id is part of the associated data
        if value is None:
            if self.required:
                raise ValueError(f"{self.name} is required")
            setattr(obj, self.column, None)
            return
        setattr(obj, self.column, encrypt_text(obj.case_key(), value, self._aad(obj)))


class Encrypted:
    """Mixin: adds a `<name>_ct` column for every EncryptedText of the class."""

    __tablename__: str
    __table__: sa.Table
    id: Any
    _bound_flags: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        bound: list[str] = list(cls._bound_flags)
        for name, value in list(vars(cls).items()):
            if isinstance(value, EncryptedText):
                setattr(
                    cls,
                    f"{name}_ct",
                    mapped_column(f"{name}_ct", sa.LargeBinary, nullable=not value.required),
                )
                bound += [f for f in value.bind if f not in bound]
        cls._bound_flags = tuple(bound)
        super().__init_subclass__(**kwargs)

    def __init__(self, **values: Any) -> None:
        # Bound flags first (with their column default when not given), so the
        # encrypted fields that follow are sealed with the flag's final value.
        for flag in self._bound_flags:
            if flag in values:
                setattr(self, flag, values.pop(flag))
            elif getattr(self, flag, None) is None:
                default = self.__table__.c[flag].default
                if default is not None and default.is_scalar:
                    setattr(self, flag, default.arg)
        super().__init__(**values)

    def case_key(self) -> bytes:
        """The data key of the case this row belongs to; each model defines it."""
        raise TypeError(f"{type(self).__name__} must define case_key()")

    @classmethod
    def encrypted_fields(cls) -> list[EncryptedText]:
        return [v for k in dir(cls) if isinstance(v := getattr(cls, k, None), EncryptedText)]
