"""Read and validate a policy directory: ``load_policies(directory) -> PolicySet``.

A mistake stops the portal with a message naming the file, the entry and what
is wrong, e.g. ``policies/categories.toml: categories.harassment.default_priority:
'critical' is not one of urgent, high, normal, low``. Every file is checked
before giving up, so one run lists every problem (``PolicyFileError.problems``).

The version is the sha256 of the canonical content (parsed TOML and Markdown
text, as JSON with sorted keys): editing a value or a page changes it, while
comments, layout and the directory's location do not.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from portal.policies.association import AssociationFile
from portal.policies.errors import PolicyError
from portal.policies.pages import CATEGORY_BLOCKS, PROCEDURE, PROCEDURE_BLOCKS, check_page
from portal.policies.texts import LANGUAGE_NAMES, Languages, LocalizedText
from portal.policies.types import (
    Calendar,
    CategoriesFile,
    CommitteesFile,
    DecisionsFile,
    EntryError,
    Ladder,
    Page,
    PolicySet,
    PrioritiesFile,
    ResponsesFile,
    Retention,
    RootCausesFile,
    Survey,
    TriageRules,
)

FILES: dict[str, type[BaseModel]] = {
    # First: every other file's texts are checked against the languages it declares.
    "languages.toml": Languages,
    "association.toml": AssociationFile,
    "committees.toml": CommitteesFile,
    "categories.toml": CategoriesFile,
    "priorities.toml": PrioritiesFile,
    "calendar.toml": Calendar,
    "escalation.toml": Ladder,
    "retention.toml": Retention,
    "survey.toml": Survey,
    "responses.toml": ResponsesFile,
    "decisions.toml": DecisionsFile,
    "root_causes.toml": RootCausesFile,
    "triage.toml": TriageRules,
}
PROCEDURE_FILE = "procedure.md"
CATEGORY_PAGES = "categories"

BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.entry}: {self.message}"
            if self.entry
            else f"{self.file}: {self.message}"
        )


class PolicyFileError(PolicyError):
    """The policy set is broken; `problems` lists every mistake found, the message the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        more = len(problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{problems[0]}{suffix}")


def load_policies(directory: Path) -> PolicySet:
    """Read, validate and version the policy set in `directory`; raise PolicyFileError."""
    directory = Path(directory)
    shown = _display(directory)
    if not directory.is_dir():
        raise PolicyFileError([Problem(shown, None, "the policy directory does not exist")])
    problems: list[Problem] = []
    content: dict[str, Any] = {}
    models: dict[str, Any] = {}

    for name, model in FILES.items():
        data = _read_toml(directory / name, f"{shown}/{name}", problems)
        if data is None:
            continue
        content[name] = _jsonable(data)
        languages = models.get("languages.toml")
        # Without valid languages, check each text's form but not its completeness.
        context = {"languages": languages} if languages else {"check_languages": False}
        try:
            models[name] = model.model_validate(data, context=context)
        except ValidationError as exc:
            problems.extend(_problems(exc, f"{shown}/{name}"))
    problems.extend(_unknown_files(directory, shown, models.get("languages.toml")))
    if not problems:
        problems.extend(_cross_checks(models, shown))
    # Pages are checked whenever their languages and categories are known, so one run
    # names every text missing in a language, in the TOML and in the pages alike.
    pages: dict[str, Page] = {}
    raw_categories = content.get("categories.toml", {}).get("categories")
    if "languages.toml" in models and isinstance(raw_categories, dict):
        slugs = list(raw_categories)
        pages = _read_pages(directory, shown, slugs, models["languages.toml"], content, problems)
    _raise_if(problems)

    return PolicySet(
        version=version_of(content),
        directory=directory,
        languages=models["languages.toml"],
        association=models["association.toml"].association,
        committees=models["committees.toml"].committees,
        categories=models["categories.toml"].categories,
        priorities=models["priorities.toml"].priorities,
        calendar=models["calendar.toml"],
        ladder=models["escalation.toml"],
        retention=models["retention.toml"],
        survey=models["survey.toml"],
        canned_responses=models["responses.toml"].responses,
        outcomes=models["decisions.toml"].outcomes,
        clauses=models["decisions.toml"].clauses,
        root_causes=models["root_causes.toml"].root_causes,
        triage=models["triage.toml"],
        pages=pages,
        content=content,
    )


def canonical_json(snapshot: dict[str, Any]) -> str:
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def version_of(snapshot: dict[str, Any]) -> str:
    """The version of a policy set from its snapshot (so a stored snapshot proves its version)."""
    return hashlib.sha256(canonical_json(snapshot).encode("utf-8")).hexdigest()


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise PolicyFileError(problems)


def _display(path: Path) -> str:
    """The path as the operator knows it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def _read_text(path: Path, shown: str, problems: list[Problem]) -> str | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        problems.append(Problem(shown, None, "the file is missing"))
        return None
    except OSError as exc:
        problems.append(Problem(shown, None, f"cannot be read ({exc.strerror})"))
        return None
    try:
        return raw.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        problems.append(Problem(shown, None, f"is not UTF-8 text (byte {exc.start})"))
        return None


def _read_toml(path: Path, shown: str, problems: list[Problem]) -> dict[str, Any] | None:
    text = _read_text(path, shown, problems)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        position = TOML_POSITION.search(reason)
        entry = f"line {position[1]}, column {position[2]}" if position else None
        reason = TOML_POSITION.sub("", reason)
        problems.append(Problem(shown, entry, f"not valid TOML: {reason[:1].lower()}{reason[1:]}"))
        return None


def _jsonable(value: Any) -> Any:
    """TOML values as JSON: dates and times become ISO strings."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    return value


def _entry(loc: tuple[Any, ...], extra: str = "") -> str:
    """("categories", "harassment", "keywords", 2) -> "categories.harassment.keywords[2]"."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part != "[key]":
            key = part if BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{key}" if out else key
    if extra:
        out = f"{out}.{extra}" if out and not extra.startswith("[") else out + extra
    return out


def _problems(exc: ValidationError, shown: str) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        loc, kind, value = error["loc"], error["type"], error.get("input")
        cause = (error.get("ctx") or {}).get("error")
        entry = _entry(loc, cause.entry if isinstance(cause, EntryError) else "")
        if kind == "missing":
            message = "required but missing"
        elif kind == "extra_forbidden":
            message = "unknown key (check the spelling)"
        elif kind == "literal_error":
            allowed = re.findall(r"'([^']*)'", error["ctx"]["expected"])
            message = f"{value!r} is not one of {', '.join(allowed)}"
        elif kind == "zoneinfo_str":
            message = f"{value!r} is not a known time zone (write one like 'Europe/London')"
        elif kind == "value_error":
            message = error["msg"].removeprefix("Value error, ")
        else:
            message = f"{error['msg'][:1].lower()}{error['msg'][1:]} (found {value!r})"
        problems.append(Problem(shown, entry or None, message))
    return problems


def _variant_file(name: str, lang: str) -> str:
    """ "procedure.md", "ko" -> "procedure.ko.md": the page in a language other than the default."""
    stem, _, suffix = name.rpartition(".")
    return f"{stem}.{lang}.{suffix}"


def _language_problem(path: Path, languages: Languages | None) -> str | None:
    """Why a page named "<name>.<lang>.md" is refused, or None if its language is declared."""
    lang = path.stem.rpartition(".")[2]
    if languages is None or lang in languages.others:
        return None
    plain = path.name.replace(f".{lang}.", ".")
    if lang == languages.default:
        return f"{lang} is the default language (languages.toml): name this page {plain}"
    declared = ", ".join(languages.supported)
    return f"{lang!r} is not a language of this policy set (languages.toml: {declared})"


def _unknown_files(directory: Path, shown: str, languages: Languages | None) -> list[Problem]:
    problems = []
    procedure_stem = PROCEDURE_FILE.removesuffix(".md")
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        if path.suffix == ".toml" and path.name not in FILES:
            known = ", ".join(FILES)
            problems.append(
                Problem(f"{shown}/{path.name}", None, f"unknown policy file (known: {known})")
            )
        elif path.suffix == ".md" and path.name != PROCEDURE_FILE:
            if path.stem.rpartition(".")[0] == procedure_stem:
                reason = _language_problem(path, languages)
            else:
                reason = (
                    f"unknown page: pages are {PROCEDURE_FILE} and {CATEGORY_PAGES}/<category>.md"
                    f", with a .<language>.md version of each (e.g. procedure.ko.md)"
                )
            if reason:
                problems.append(Problem(f"{shown}/{path.name}", None, reason))
    return problems


def _one_of(value: str, allowed: list[str]) -> str:
    return f"{value!r} is not one of {', '.join(allowed)}"


def _cross_checks(models: dict[str, Any], shown: str) -> list[Problem]:
    """References between files, and rules that need more than one file to check."""
    committees = list(models["committees.toml"].committees)
    priorities = models["priorities.toml"].priorities
    by_rank = sorted(priorities.values(), key=lambda p: p.rank)
    names = [p.slug for p in by_rank]
    calendar = models["calendar.toml"]
    problems = []

    def add(file: str, entry: str, message: str) -> None:
        problems.append(Problem(f"{shown}/{file}", entry, message))

    for slug, category in models["categories.toml"].categories.items():
        if slug == PROCEDURE:
            add(
                "categories.toml",
                f"categories.{slug}",
                f"'{PROCEDURE}' is the procedure page's name; choose another",
            )
        if category.committee not in committees:
            add(
                "categories.toml",
                f"categories.{slug}.committee",
                _one_of(category.committee, committees),
            )
        if category.default_priority not in priorities:
            add(
                "categories.toml",
                f"categories.{slug}.default_priority",
                _one_of(category.default_priority, names),
            )
    for slug, rule in models["triage.toml"].high_risk.items():
        if rule.raise_to not in priorities:
            add("triage.toml", f"high_risk.{slug}.raise_to", _one_of(rule.raise_to, names))

    seen: dict[int, str] = {}
    for priority in by_rank:
        if priority.rank in seen:
            add(
                "priorities.toml",
                f"priorities.{priority.slug}.rank",
                f"{priority.rank} is also the rank of '{seen[priority.rank]}'",
            )
        seen[priority.rank] = priority.slug
        if calendar.duration(priority.first_response) > calendar.duration(priority.resolution):
            add(
                "priorities.toml",
                f"priorities.{priority.slug}.first_response",
                f"{priority.first_response} is longer than its resolution target"
                f" ({priority.resolution})",
            )
    # A more urgent priority must never promise to take longer than a less urgent one.
    for urgent, calmer in itertools.pairwise(by_rank):
        for target in ("first_response", "resolution"):
            mine, theirs = getattr(urgent, target), getattr(calmer, target)
            if calendar.duration(mine) > calendar.duration(theirs):
                add(
                    "priorities.toml",
                    f"priorities.{urgent.slug}.{target}",
                    f"{mine} is longer than the less urgent '{calmer.slug}' ({theirs})",
                )
    return problems


def _read_pages(
    directory: Path,
    shown: str,
    categories: list[str],
    languages: Languages,
    content: dict[str, Any],
    problems: list[Problem],
) -> dict[str, Page]:
    """Every page in every declared language: ``name.md`` in the default, ``name.<lang>.md``
    in each other one. A missing language version is an error, like a missing TOML text."""
    pages: dict[str, Page] = {}
    wanted = [(PROCEDURE, PROCEDURE_FILE, PROCEDURE_BLOCKS, "targets")]
    for slug in categories:
        # Every category page shows its committee and promised times from the TOML.
        wanted.append((slug, f"{CATEGORY_PAGES}/{slug}.md", CATEGORY_BLOCKS, "category"))
    for slug, name, blocks, required in wanted:
        titles: dict[str, str] = {}
        texts: dict[str, str] = {}
        for lang in languages.supported:
            variant = name if lang == languages.default else _variant_file(name, lang)
            file = f"{shown}/{variant}"
            if variant != name and not (directory / variant).exists():
                problems.append(
                    Problem(
                        file,
                        None,
                        f"the {LANGUAGE_NAMES[lang]} ({lang}) version of {name} is missing;"
                        f" languages.toml declares {lang}",
                    )
                )
                continue
            text = _read_text(directory / variant, file, problems)
            if text is None:
                continue
            found, mistakes = check_page(text, blocks, required)
            problems.extend(Problem(file, entry, message) for entry, message in mistakes)
            if found is not None:
                content[variant] = text
                titles[lang], texts[lang] = found, text
        if len(texts) == len(languages.supported):
            pages[slug] = Page(
                slug=slug,
                file=name,
                title=LocalizedText(titles, languages.default),
                markdown=LocalizedText(texts, languages.default),
            )
    folder = directory / CATEGORY_PAGES
    if folder.is_dir():
        for path in sorted(folder.glob("*.md")):
            category, _, lang = path.stem.partition(".")
            if category not in categories:
                reason: str | None = f"no category '{category}' in categories.toml"
            else:
                reason = _language_problem(path, languages) if lang else None
            if reason:
                problems.append(Problem(f"{shown}/{CATEGORY_PAGES}/{path.name}", None, reason))
    return pages
