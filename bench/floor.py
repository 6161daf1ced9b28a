"""The stack's floor: the least an audited list page can cost on Flask and SQLAlchemy.

Bare Flask (bench/hello.py) is the floor of the web server; this app is the floor of a page
like the case queue, served by the same gunicorn settings on the same database. Each request
loads the signed-in person by primary key, reads one page of 25 rows out of 100,000 through
an index, appends one row to a log of views and commits, and renders the rows through a
compiled Jinja template. Nothing else: no session check, form tokens, languages, encryption,
deadline states or page layout. A page that reads and audits cannot do more requests a second
than this, so a share of bare Flask above this app's own share is out of every such page's
reach on the machine (the table prints both).

`prepare(url)` makes its tables and rows once; the app reads its database from FLOOR_DATABASE_URL.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

ROWS = 100_000
PAGE = 25
COMMITTEES = 8  # the page reads one committee's open rows, an eighth of them


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "floor_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))


class Item(Base):
    __tablename__ = "floor_items"
    __table_args__ = (sa.Index("ix_floor_items_queue", "committee", "is_open", "due_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20))
    subject: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))
    committee: Mapped[int]
    is_open: Mapped[bool]
    due_at: Mapped[datetime]


class View(Base):
    __tablename__ = "floor_views"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int]
    action: Mapped[str] = mapped_column(sa.String(40))
    at: Mapped[datetime]


TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Case queue</title></head>
<body><main><h1>Open cases for {{ person.name }}</h1>
<table><thead><tr><th>Case</th><th>Subject</th><th>Status</th><th>Due</th></tr></thead><tbody>
{% for item in items %}<tr><td><a href="/cases/{{ item.reference }}">{{ item.reference }}</a></td>
<td>{{ item.subject }}</td><td>{{ item.status }}</td><td>{{ item.due_at.strftime("%Y-%m-%d") }}</td></tr>
{% endfor %}</tbody></table></main></body></html>"""


def _engine(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def prepare(url: str, rows: int = ROWS) -> None:
    """Create the floor's tables and `rows` items in the database at `url`, unless there."""
    engine = _engine(url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            if session.scalar(sa.select(sa.func.count()).select_from(Item)) == rows:
                return
            session.execute(sa.delete(Item))
            session.execute(sa.delete(Person))
            session.add(Person(id=1, name="Rita Reviewer"))
            start = datetime(2026, 1, 1, tzinfo=UTC)
            session.execute(
                sa.insert(Item),
                [
                    {
                        "id": n + 1,
                        "reference": f"G-{n + 1:06d}",
                        "subject": f"Dues charged twice, statement {n + 1}",
                        "status": "under_review",
                        "committee": n % COMMITTEES,
                        "is_open": n % 3 != 0,
                        "due_at": start + timedelta(minutes=n),
                    }
                    for n in range(rows)
                ],
            )
            session.commit()
    finally:
        engine.dispose()


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    factory = sessionmaker(_engine(url), expire_on_commit=False)
    template = app.jinja_env.from_string(TEMPLATE)

    @app.get("/")
    def queue() -> str:
        with factory() as session:
            person = session.get(Person, 1)
            assert person is not None, "run bench.floor.prepare first"
            items = session.scalars(
                sa.select(Item)
                .where(Item.committee == 1, Item.is_open == sa.true())
                .order_by(Item.due_at, Item.id)
                .limit(PAGE)
            ).all()
            session.add(View(person_id=person.id, action="queue.listed", at=datetime.now(UTC)))
            session.commit()
        return template.render(person=person, items=items)

    return app


if os.environ.get("FLOOR_DATABASE_URL"):  # under gunicorn: `bench.floor:app`
    app = create_app(os.environ["FLOOR_DATABASE_URL"])
