"""Uploads never touch the disk as plaintext: Werkzeug spools them encrypted."""

from __future__ import annotations

from typing import IO

from flask import Request

from portal.security.filecrypt import make_spool


class PortalRequest(Request):
    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        return make_spool(total_content_length, content_type, filename, content_length)  # type: ignore[return-value]
