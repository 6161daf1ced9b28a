"""What a fault scenario left in an instance, checked from inside it (run in its environment):

    python -m bench.faults_check ACKNOWLEDGED.json

ACKNOWLEDGED.json maps each acknowledged reference to the subject its member typed. Prints one
JSON object: acknowledged grievances missing or not decrypting to what was typed, bench filings
stored twice, cases without their evidence file (row or file), stored files no case names, and
what waits in incoming/.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload


def check(acknowledged: dict[str, str]) -> dict[str, Any]:
    from portal import create_app, db
    from portal.models.grievances import Attachment, Grievance
    from portal.security.errors import DecryptionError

    app = create_app()
    store = app.extensions["portal.store"]
    with app.app_context():
        session = db.session()
        on_disk = set(store.stored_ids())
        parts = sorted(store.incoming_parts())
        cases = session.scalars(sa.select(Grievance).options(selectinload(Grievance.attachments)))
        subjects: Counter[str] = Counter()
        by_ref: dict[str, str] = {}
        unreadable: list[str] = []
        without_files: list[str] = []
        for case in cases:
            try:
                subject = case.subject or ""
                _ = case.narrative
            except DecryptionError:
                unreadable.append(case.reference)
                continue
            by_ref[case.reference] = subject
            if not subject.startswith("Bench "):
                continue  # the demo's cases
            subjects[subject] += 1
            if len(case.attachments) != 1:
                without_files.append(f"{case.reference}: {len(case.attachments)} attachments")
            for attachment in case.attachments:
                if attachment.storage_id not in on_disk:
                    without_files.append(f"{case.reference}: file {attachment.storage_id} missing")
                    continue
                try:
                    for _chunk in store.read(
                        attachment.storage_id, case.case_key(), attachment.content_aad()
                    ):
                        pass
                except (DecryptionError, OSError) as exc:
                    without_files.append(f"{case.reference}: {type(exc).__name__}")
        named = set(session.scalars(sa.select(Attachment.storage_id)))
    missing = sorted(ref for ref in acknowledged if ref not in by_ref)
    wrong = sorted(
        ref for ref, subject in acknowledged.items() if ref in by_ref and by_ref[ref] != subject
    )
    return {
        "acknowledged": len(acknowledged),
        "bench_cases": sum(subjects.values()),
        "missing": missing,
        "not_as_typed": wrong,
        "unreadable": unreadable,
        "filed_twice": sorted(s for s, n in subjects.items() if n > 1),
        "without_files": without_files,
        "files_without_case": sorted(on_disk - named),
        "incoming": parts,
        "incoming_committed": sorted(p for p in parts if p in named),
    }


if __name__ == "__main__":
    with open(sys.argv[1]) as source:
        print(json.dumps(check(json.load(source))))
