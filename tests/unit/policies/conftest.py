"""Shared by the policy tests: a private copy of the default set, and a one-place edit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal.config import ROOT

DEFAULT = ROOT / "policies"


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A private copy of the default policy set to break."""
    return Path(shutil.copytree(DEFAULT, tmp_path / "policies"))


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old`; a second one would make the test ambiguous."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
