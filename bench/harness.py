"""The measuring kit: a throwaway database, signed-in clients, medians and SQL counts.

Every benchmark prints one line, ``bench NAME: ratio=R queries=Q [key=value …]``,
where R is the median time of NAME over the median time of its baseline (a bare
Flask route unless the benchmark names another), both measured here, the same way.
"""

import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event

from dozq import create_app
from dozq.auth.services import start_session
from dozq.db import db

REGISTRY: dict[str, Callable] = {}
ROUNDS = 25
WARMUP = 5


def benchmark(name: str):
    """Register a benchmark: a function(app) -> Result."""

    def register(fn):
        REGISTRY[name] = fn
        return fn

    return register


@dataclass
class Result:
    ratio: float
    queries: int
    extra: dict = field(default_factory=dict)

    def line(self, name: str) -> str:
        fields = [f"ratio={self.ratio:.2f}", f"queries={self.queries}"]
        fields += [f"{key}={value}" for key, value in self.extra.items()]
        return f"bench {name}: " + " ".join(fields)


def make_app(directory: Path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{directory / 'bench.sqlite'}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "UPLOAD_FOLDER": str(directory / "uploads"),
        }
    )
    app.add_url_rule("/_bench/bare", "bench_bare", lambda: "ok")
    app.view_functions["bench_bare"].allowed_roles = frozenset({None})
    with app.app_context():
        upgrade()
    return app


@contextmanager
def fresh_app():
    with tempfile.TemporaryDirectory(prefix="dozq-bench-") as directory:
        app = make_app(Path(directory))
        yield app
        with app.app_context():
            db.engine.dispose()


def signed_in_client(app, user):
    client = app.test_client()
    with app.app_context():
        user = db.session.merge(user)
        user_session = start_session(user)
        db.session.commit()
        token = user_session.token
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def median_seconds(
    call: Callable[[], object],
    rounds: int = ROUNDS,
    before_each: Callable[[], object] | None = None,
) -> float:
    """The median time of ``call``; ``before_each`` (not timed) runs before every call."""
    timings = []
    for round_number in range(WARMUP + rounds):
        if before_each is not None:
            before_each()
        started = time.perf_counter()
        call()
        if round_number >= WARMUP:
            timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def get_ok(client, url: str) -> Callable[[], None]:
    def call():
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}")

    return call


def count_queries(app, call: Callable[[], object]) -> int:
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def page_against_bare(app, client, url: str, **extra) -> Result:
    """The usual measure: a page's median time over the bare route's, same client."""
    page = get_ok(client, url)
    bare = get_ok(client, "/_bench/bare")
    queries = count_queries(app, page)
    ratio = median_seconds(page) / median_seconds(bare)
    return Result(ratio, queries, extra)
