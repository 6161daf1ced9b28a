"""A worker that the test kills with SIGKILL at the worst moments (run as a child process).

    python tests/unit/store/killed_worker.py INSTANCE DATABASE_URL MEMBER_ID

It leaves what a killed worker leaves: the part of an upload whose request never committed,
and a filing whose transaction committed while its file was still in incoming/ (it stops
right after COMMIT, before the store moves the file into place). It prints both storage
ids, then "ready", and waits to be killed.
"""

from __future__ import annotations

import io
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))


def main(instance: str, url: str, member_id: int) -> None:
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from portal import create_app
    from portal.db import database
    from portal.models.users import User
    from portal.services.evidence import Upload
    from tests.conftest import make_settings
    from tests.factories import make_case

    app = create_app(make_settings(Path(instance), url))
    store = app.extensions["portal.store"]
    with app.app_context():
        # A request that wrote its file and died before its transaction committed.
        abandoned = store.new_id()
        store.write(database(app).new_session(), abandoned, b"k" * 32, b"aad", io.BytesIO(b"x"))
        print("abandoned", abandoned, flush=True)

        session = database(app).new_session()
        case = make_case(
            app,
            session,
            session.get(User, member_id),
            files=[Upload("receipt.txt", io.BytesIO(b"Receipt for the March dues.\n"))],
        )
        print("committed", case.attachments[0].storage_id, flush=True)

        def stop_after_commit(_session: Session) -> None:
            print("ready", flush=True)
            threading.Event().wait()  # until SIGKILL

        # Before the store's own listener, which would move the file into place.
        event.listen(Session, "after_commit", stop_after_commit, insert=True)
        session.commit()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
