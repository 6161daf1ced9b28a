"""Reading a JSON request body without letting its size or shape hurt the server.

Flask's ``get_json`` reads whatever the app-wide upload limit allows (megabytes of
evidence) and hands nesting of any depth to the recursive parser, which raises
``RecursionError`` (a 500) on ``[[[[…`` a hundred thousand levels deep. Every JSON
endpoint reads its body through ``json_object`` instead: a small size limit, a depth
limit checked before parsing, and a plain 400 for anything it will not read (too large,
too deep, not JSON, not an object). The error pages answer in JSON for JSON requests
(see errors.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request

from portal.domain.errors import InvalidInput
from portal.i18n import _l

MAX_JSON_BYTES = 64 * 1024
MAX_JSON_DEPTH = 16

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def unreadable() -> InvalidInput:
    return InvalidInput(_l("We could not read that request. Please reload the page and try again."))


def too_large() -> InvalidInput:
    return InvalidInput(_l("That request is too large. Nothing was saved."))


def nesting_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in `raw`, brackets inside strings not counted."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def json_object(max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """The request's JSON object; InvalidInput (a 400) for anything else."""
    if not request.is_json:
        raise unreadable()
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large()
    raw = request.stream.read(max_bytes + 1)  # bounded even without a Content-Length
    if len(raw) > max_bytes:
        raise too_large()
    if nesting_depth(raw) > max_depth:
        raise unreadable()
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        raise unreadable() from None
    if not isinstance(data, dict):
        raise unreadable()
    return data


def text_fields(data: dict[str, Any], *names: str) -> dict[str, str]:
    """The named members of `data` as strings (missing or null: ""); a number, list or
    object where text belongs is refused like an unreadable body."""
    fields = {}
    for name in names:
        value = data.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise unreadable()
        fields[name] = value
    return fields
