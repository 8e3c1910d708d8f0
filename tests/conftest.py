"""Fixtures: the app on SQLite and (with TEST_DATABASE_URL) PostgreSQL, migrated
by Alembic; a world of two founders × two institutions of identical shape."""

import os
import uuid
from contextlib import contextmanager

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from dozq import create_app
from dozq.db import db
from tests import factories

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
STRICT = bool(os.environ.get("DOZQ_TEST_STRICT"))


@contextmanager
def postgresql_database(base_url: str):
    """A database of its own for this run, dropped afterwards."""
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"{url.database or 'dozq_test'}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def database_for(backend: str, tmp_path_factory):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'dozq.sqlite'}"
    else:
        with postgresql_database(os.environ["TEST_DATABASE_URL"]) as url:
            yield url


def make_app(database_url: str, tmp_path_factory, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        **overrides,
    }
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def app(backend, tmp_path_factory):
    with database_for(backend, tmp_path_factory) as url:
        app = make_app(url, tmp_path_factory)
        yield app
        with app.app_context():
            db.engine.dispose()


def reset_database(app) -> None:
    """Empty every table (Core statements: no tenant scope involved)."""
    with app.app_context(), db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())
        app.extensions.get("dozq.sent_mail", []).clear()


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" in request.fixturenames:
        reset_database(request.getfixturevalue("app"))


@pytest.fixture
def sibling_app(app):
    """``sibling_app(**overrides)``: another app on the same database (a second
    instance, a different setting), its connections closed after the test."""
    siblings = []

    def make(**overrides):
        sibling = create_app({**app.config, **overrides})
        siblings.append(sibling)
        return sibling

    yield make
    for sibling in siblings:
        with sibling.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Two founders × two institutions, every role in each; B's names carry a canary."""
    with app.app_context():
        return factories.build_world()


@pytest.fixture
def sent_mail(app):
    return app.extensions.setdefault("dozq.sent_mail", [])


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as counter: …`` — the SQL statements run inside."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def before_cursor_execute(conn, cursor, statement, *args):
            counter.statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before_cursor_execute)

    return counting
