"""HTML to PDF with WeasyPrint, in memory, fetching nothing but the portal's own static files.

Letters and case files print what members and committees wrote. Templates escape it, so it
is text; but should markup ever reach the renderer, the fetcher below is the second wall: it
answers only `portal-asset:<name>` for a plain file of `static/` (a stylesheet, an SVG or a
PNG) and refuses every other address (file:, http:, https:, data:, ftp:, ...), so nothing in
a case can make the server read a local file or call a URL. Charts are drawn inline (SVG in
the HTML), never fetched.

WeasyPrint warns about every resource it could not load, naming its address; an address
can quote a case, so those warnings are kept out of the log.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

# Set before WeasyPrint is imported: it logs its progress (parsing its own stylesheets) then.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("weasyprint.progress").setLevel(logging.ERROR)

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

ASSET_SCHEME = "portal-asset:"
ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}\.(css|svg|png)")
MIME = {"css": "text/css", "svg": "image/svg+xml", "png": "image/png"}


class RefusedAddress(ValueError):
    """The PDF asked for something that is not one of the portal's own assets."""


class AssetFetcher(URLFetcher):
    """Serves `portal-asset:<name>` from the static folder; refuses anything else."""

    def __init__(self, static: Path) -> None:
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.static = static.resolve()
        self.refused: list[str] = []  # for tests: what the document tried to load

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        name = url[len(ASSET_SCHEME) :] if url.startswith(ASSET_SCHEME) else None
        match = ASSET_NAME.fullmatch(name) if name is not None else None
        path = (self.static / name).resolve() if match and name else None
        if path is None or path.parent != self.static or not path.is_file():
            self.refused.append(url)
            raise RefusedAddress("only the portal's own static files can be used in a PDF")
        assert match is not None
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": MIME[match[1]]})


@cache
def _fonts() -> FontConfiguration:
    """One font configuration for the process: each new one loads the system's fonts into a
    Pango font map of its own that is never freed (about 7 MB a letter with Noto CJK, so a
    worker grew past 600 MB after a few dozen letters). The stylesheets add no @font-face."""
    return FontConfiguration()


def render_pdf(
    html: str, static: Path, *, stylesheet: str = "", fetcher: AssetFetcher | None = None
) -> bytes:
    """The PDF of `html` (and `stylesheet`, CSS text), built in memory."""
    fetcher = fetcher or AssetFetcher(static)
    fonts = _fonts()
    document = HTML(string=html, base_url=ASSET_SCHEME, url_fetcher=fetcher)
    sheets = [CSS(string=stylesheet, font_config=fonts, url_fetcher=fetcher)] if stylesheet else []
    return document.write_pdf(stylesheets=sheets, font_config=fonts)
