"""Static files with fingerprinted names, compressed, cached for a year, served by WhiteNoise.

At start-up each file under ``static/`` is copied to ``instance/static/`` under a name
that carries a hash of its content (``portal.css`` → ``portal.3f9c0a1b2d4e.css``), with
gzip and Brotli versions beside it. Templates ask ``static_url("portal.css")`` for the
fingerprinted address, so a browser may keep a file forever: a changed file has a new
name. WhiteNoise serves these files before Flask sees the request, picking the
compressed version the browser accepts. The plain names stay reachable (briefly cached)
for anything that still links them.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from flask import Flask, current_app
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

PREFIX = "static/"
# A fingerprinted name: "portal.3f9c0a1b2d4e.css".
HASHED = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")
PLAIN_MAX_AGE = 300  # seconds, for the unversioned names


def build(source: Path, target: Path) -> dict[str, str]:
    """Copy every file of `source` to `target` under its fingerprinted name, with its
    compressed versions; return {plain name: fingerprinted name}."""
    manifest: dict[str, str] = {}
    compressor = Compressor(quiet=True)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        name = path.relative_to(source).as_posix()
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()[:12]
        stem, dot, suffix = name.rpartition(".")
        hashed = f"{stem}.{digest}.{suffix}" if dot else f"{name}.{digest}"
        manifest[name] = hashed
        for out in (hashed, name):
            _write(target / out, data)
            if compressor.should_compress(out):
                _write_compressed(compressor, target / out, data)
    return manifest


def _write_compressed(compressor: Compressor, path: Path, data: bytes) -> None:
    versions = {".gz": compressor.compress_gzip(data)}
    if compressor.use_brotli:
        versions[".br"] = compressor.compress_brotli(data)
    for suffix, packed in versions.items():
        if len(packed) < len(data):
            _write(path.with_name(path.name + suffix), packed)


def _write(path: Path, data: bytes) -> None:
    """Write atomically: two workers starting together write the same bytes safely."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(temp, path)


def _immutable(path: str, url: str) -> bool:
    return bool(HASHED.search(url))


def _security_headers(headers, path: str, url: str) -> None:  # type: ignore[no-untyped-def]
    headers["X-Content-Type-Options"] = "nosniff"


def static_url(filename: str) -> str:
    """The address of a static file under its fingerprinted name."""
    manifest: dict[str, str] = current_app.extensions["portal.assets"]
    return "/" + PREFIX + manifest.get(filename, filename)


def init_app(app: Flask, target: Path) -> None:
    """Build the fingerprinted copies and put WhiteNoise in front of the app."""
    source = Path(app.static_folder or "static")
    app.extensions["portal.assets"] = build(source, target)
    app.wsgi_app = WhiteNoise(  # type: ignore[method-assign]
        app.wsgi_app,
        root=str(target),
        prefix=PREFIX,
        max_age=PLAIN_MAX_AGE,
        allow_all_origins=False,
        immutable_file_test=_immutable,
        add_headers_function=_security_headers,
    )
    app.add_template_global(static_url)
