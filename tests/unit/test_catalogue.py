"""The Korean catalogue translates every string the code and templates mark, as they are now.

The extraction is the one `make translations` runs (the mapping in portal/translations/babel.cfg,
the keywords in portal.i18n.KEYWORDS), so a string added without its translation fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from portal.i18n import KEYWORDS, LANGUAGES, TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every msgid in the code and templates, written to a .pot and read back."""
    with open(TRANSLATIONS_DIR / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    template = Catalog(project="portal")
    for filename, lineno, message, comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords={**DEFAULT_KEYWORDS, **KEYWORDS}
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    pot = tmp_path_factory.mktemp("catalogue") / "messages.pot"
    with open(pot, "wb") as out:
        write_po(out, template)
    with open(pot, "rb") as back:
        return read_po(back)


def catalogue(language: str) -> Catalog:
    with open(TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def test_extraction_finds_the_portals_strings(extracted):
    ids = {m.id for m in extracted if m.id}
    # One from a template, one from a form (lazy at import), one from the domain.
    assert {"Skip to main content", "Short title", "Being reviewed"} <= ids
    assert len(ids) > 300


def test_every_extracted_msgid_has_a_korean_translation(extracted):
    korean = catalogue("ko")
    problems = []
    for message in extracted:
        if not message.id:
            continue
        found = korean.get(message.id)
        strings = () if found is None else (found.string if found.pluralizable else (found.string,))
        if found is None:
            problems.append(f"missing: {message.id!r}")
        elif "fuzzy" in found.flags:
            problems.append(f"fuzzy: {message.id!r}")
        elif not strings or not all(s and s.strip() for s in strings):
            problems.append(f"empty: {message.id!r}")
    assert problems == [], "run `make translations` and translate:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogues_hold_no_stale_or_fuzzy_entries(extracted, language):
    ids = {m.id for m in extracted if m.id}
    entries = [m for m in catalogue(language) if m.id]
    assert sorted(str(m.id) for m in entries if m.id not in ids) == []
    assert [m.id for m in entries if "fuzzy" in m.flags] == []
    assert {m.id for m in entries} == ids


def test_korean_keeps_every_placeholder():
    """A translation that drops or renames %(ref)s would crash or mislead at run time."""
    wrong = []
    for message in catalogue("ko"):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        wrong += [repr(s) for s in strings if set(PLACEHOLDER.findall(s)) != expected]
    assert wrong == []


def test_the_makefile_extracts_with_the_same_keywords():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(x for x in makefile.splitlines() if x.startswith("BABEL_KEYWORDS"))
    flags = set(re.findall(r"-k (\S+)", line))
    expected = {
        name if spec is None else f"{name}:{','.join(map(str, spec))}"
        for name, spec in KEYWORDS.items()
    }
    assert flags == expected
