"""The PDF renderer process: one per instance folder, started on demand, gone when idle."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdf
import pytest

from portal.config import ROOT
from portal.pdf.renderer import Renderer, RenderFailed, renderer_pid
from tests.renderers import servers_of, stop_renderers

STATIC = ROOT / "static"
PAGE = "<h1>결정 통지서</h1><p>Dear member, the committee upheld your grievance.</p>"


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def renderer(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = Renderer(tmp_path, STATIC, idle_seconds=30)
    yield made
    stop_renderers(made.socket)


def test_the_web_process_gets_the_pdf_without_loading_weasyprint(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from portal.pdf.renderer import Renderer; "
        f"pdf = Renderer(Path({str(tmp_path)!r}), Path({str(STATIC)!r})).render({PAGE!r}); "
        "sys.stdout.buffer.write(pdf); "
        "sys.stderr.write('weasyprint' if 'weasyprint' in sys.modules else 'clean')"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, timeout=60, check=True
        )
    finally:
        stop_renderers(Renderer(tmp_path, STATIC).socket)
    assert done.stderr == b"clean"
    text = text_of(done.stdout)
    assert "결정 통지서" in text and "upheld your grievance" in text


def test_workers_at_once_share_one_renderer(renderer: Renderer) -> None:
    with ThreadPoolExecutor(6) as pool:
        pdfs = list(pool.map(lambda n: renderer.render(f"<p>Letter number {n}</p>"), range(6)))
    assert [f"Letter number {n}" in text_of(pdf) for n, pdf in enumerate(pdfs)] == [True] * 6
    assert servers_of(renderer.socket) == [renderer_pid(renderer.socket)]


def test_a_killed_renderer_is_started_again(renderer: Renderer) -> None:
    renderer.render(PAGE)
    first = renderer_pid(renderer.socket)
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert "upheld your grievance" in text_of(renderer.render(PAGE))
    assert renderer_pid(renderer.socket) not in (None, first)


def test_an_idle_renderer_ends_and_the_next_pdf_starts_one(tmp_path: Path) -> None:
    renderer = Renderer(tmp_path, STATIC, idle_seconds=0.5)
    try:
        renderer.render(PAGE)
        deadline = time.monotonic() + 10
        while servers_of(renderer.socket) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert servers_of(renderer.socket) == []
        assert not renderer.socket.exists()
        assert "결정 통지서" in text_of(renderer.render(PAGE))
    finally:
        stop_renderers(renderer.socket)


def test_a_renderer_that_does_not_answer_in_time_is_a_failure(
    renderer: Renderer, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer.render(PAGE)
    monkeypatch.setattr("portal.pdf.renderer.TIMEOUT_SECONDS", 0.0)
    with pytest.raises(RenderFailed):
        renderer.render(PAGE * 50)


def test_a_deep_instance_folder_gets_a_private_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    renderer = Renderer(deep, STATIC)
    assert len(os.fsencode(renderer.socket)) <= 100
    assert renderer.socket.parent.stat().st_mode & 0o077 == 0
    assert renderer.socket != Renderer(tmp_path, STATIC).socket


def test_a_request_that_gives_up_leaves_the_renderer_to_serve_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = Renderer(tmp_path, STATIC, idle_seconds=30)
    try:
        monkeypatch.setattr("portal.pdf.renderer.TIMEOUT_SECONDS", 0.05)
        with pytest.raises(RenderFailed):
            renderer.render(PAGE)
        monkeypatch.undo()
        assert "결정 통지서" in text_of(renderer.render(PAGE))
        assert len(servers_of(renderer.socket)) == 1
    finally:
        stop_renderers(renderer.socket)


def test_a_folder_others_can_write_to_never_holds_the_socket(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    renderer = Renderer(shared, STATIC)
    assert renderer.socket.parent != shared
    assert renderer.socket.parent.stat().st_mode & 0o077 == 0
    assert renderer.socket == Renderer(shared, STATIC).socket  # every worker finds the same


def test_another_release_gets_its_own_renderer(tmp_path: Path) -> None:
    other_static = tmp_path / "release-2" / "static"
    other_static.mkdir(parents=True)
    assert Renderer(tmp_path, STATIC).socket != Renderer(tmp_path, other_static).socket


def test_every_interpreter_name_of_one_release_finds_the_same_renderer(tmp_path: Path) -> None:
    # gunicorn runs as python3.11, the flask command and the bench as python: one renderer.
    here = Renderer(tmp_path, STATIC).socket
    bin_dir = Path(sys.executable).parent
    names = [n for n in ("python", "python3", "python3.11") if (bin_dir / n).exists()]
    script = (
        "from pathlib import Path; from portal.pdf.renderer import Renderer; "
        f"print(Renderer(Path({str(tmp_path)!r}), Path({str(STATIC)!r})).socket)"
    )
    for name in names:
        done = subprocess.run(
            [str(bin_dir / name), "-c", script], capture_output=True, text=True, check=True
        )
        assert done.stdout.strip() == str(here), name
