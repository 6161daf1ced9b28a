"""The bench's seeder writes real cases: sealed with the instance's keys, chained into the audit
log, and readable by their member through the portal's own pages."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from bench import seed
from bench.seed_texts import OPENINGS, SUBJECTS
from bench.server import Instance
from portal import create_app
from portal.db import database
from portal.models.grievances import Grievance
from portal.security import keys as keyring
from tests.conftest import Browser, make_settings, migrate

CASES = 150


def test_seeded_cases_verify_and_their_member_reads_them(empty_database_url: str, tmp_path: Path):
    keyring.init_keys(tmp_path / "keys")
    migrate(empty_database_url)
    settings = make_settings(tmp_path, empty_database_url)
    instance = Instance("test", tmp_path, empty_database_url)

    report = seed.seed(instance, CASES, workers=1, chunk=50, progress=False, settings=settings)

    assert report.cases == CASES and report.rows["audit_entries"] > CASES * 5
    app = create_app(settings)
    try:
        runner = app.test_cli_runner()
        keys_verified = runner.invoke(args=["keys", "verify"])
        assert keys_verified.exit_code == 0, keys_verified.output
        assert "all encrypted data is readable" in keys_verified.output
        chain = runner.invoke(args=["audit", "verify"])
        assert chain.exit_code == 0 and "the chain is intact" in chain.output, chain.output

        manifest = seed.json.loads((tmp_path / "manifest.json").read_text())
        member = manifest["members"][0]
        reference = member["cases"][0]
        browser = Browser(app.test_client())
        signed = browser.sign_in(member["email"], manifest["passwords"]["member"])
        assert signed.status_code == 303
        page = browser.get(f"/grievances/{reference}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and reference in html
        # The subject and narrative are shown decrypted, and stored only as ciphertext.
        with database(app).engine.connect() as conn:
            row = conn.execute(
                sa.select(Grievance.__table__).where(Grievance.reference == reference)
            ).one()
        subject = next(s for subjects in SUBJECTS.values() for s in subjects if s in html)
        opening = next(o.split("{when}")[0] for o in OPENINGS if o.split("{when}")[0] in html)
        assert subject.encode() not in row.subject_ct and opening.encode() not in row.narrative_ct
        # Another member's case is not theirs to open.
        other = manifest["members"][1]["cases"][0]
        assert browser.get(f"/grievances/{other}").status_code == 404
        # The load members file grievances too: their addresses are confirmed.
        assert browser.get("/grievances/new").status_code == 200
    finally:
        database(app).engine.dispose()
        keyring.uninstall()
