"""A worker killed with SIGKILL mid-filing loses no committed file and leaves no orphan
once `flask files sweep` has run (the leftovers are described in portal/storage.py)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from portal.db import database
from portal.models.grievances import Attachment, Grievance
from tests.factories import make_policy_committees, make_user

WORKER = Path(__file__).with_name("killed_worker.py")


def run_until_ready(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    child = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    said: dict[str, str] = {}
    deadline = time.monotonic() + 60
    while "ready" not in said:
        ready, _, _ = select.select([child.stdout], [], [], max(0, deadline - time.monotonic()))
        line = child.stdout.readline() if ready else ""
        if not line:
            child.kill()
            raise AssertionError(f"the worker stopped early: {child.communicate()[1]}")
        word, _, value = line.strip().partition(" ")
        said[word] = value
    return child, said


def test_a_killed_worker_loses_no_committed_file_and_leaves_no_orphan(own_app):
    store = own_app.extensions["portal.store"]
    with database(own_app).new_session() as session:
        make_policy_committees(session, own_app.extensions["portal.policies"])
        member = make_user(session, email="filer@example.org")
        session.commit()
        member_id = member.id
    settings = own_app.extensions["portal.settings"]
    child, said = run_until_ready(
        str(settings.instance_path), settings.resolved_database_url, str(member_id)
    )
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL

    committed, abandoned = said["committed"], said["abandoned"]
    with database(own_app).new_session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Grievance)) == 1
        assert list(session.scalars(sa.select(Attachment.storage_id))) == [committed]
    # Killed between COMMIT and the move: the case names a file still in incoming/.
    assert store.part_of(committed).is_file() and not store.path_of(committed).exists()
    assert store.part_of(abandoned).is_file()

    runner = own_app.test_cli_runner()
    swept = runner.invoke(args=["files", "sweep"])
    assert swept.exit_code == 0, swept.output
    assert f"committed upload put in place {committed}" in swept.output
    # A part this fresh may belong to a request still running on another worker.
    assert "removed 0 orphaned files and 0 abandoned uploads" in swept.output
    assert store.path_of(committed).is_file() and store.part_of(abandoned).is_file()
    verified = runner.invoke(args=["keys", "verify"])
    assert verified.exit_code == 0, verified.output

    old = time.time() - 301  # older than any request lives
    os.utime(store.part_of(abandoned), (old, old))
    swept = runner.invoke(args=["files", "sweep"])
    assert f"abandoned upload {abandoned}.part" in swept.output
    assert list(store.incoming.iterdir()) == []
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [committed]
