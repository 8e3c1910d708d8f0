"""Two app servers on one database serve the same people: a session started on one
works on the other, ends on both, a page one keeps follows writes made through the
other, and failed logins count across both (real HTTP, two gunicorn processes on
different ports; PostgreSQL when configured)."""

import re

import pytest

from bench.loadtest import Browser, FormFields, Server, server_environment
from dozq.db import db
from dozq.tenancy.models import Role
from tests.conftest import database_for, make_app
from tests.factories import (
    TEST_PASSWORD,
    add_member,
    make_founder,
    make_founder_admin,
    make_institution,
    make_user,
)

DIRECTOR = "director@instances.example.com"
TEACHER = "teacher@instances.example.com"
FOUNDER_ADMIN = "founder@instances.example.com"


@pytest.fixture(scope="module")
def two_servers(backend, tmp_path_factory):
    """Started once per database; the throttling test, which locks the director
    out, runs last in this module."""
    with database_for(backend, tmp_path_factory) as url:
        app = make_app(url, tmp_path_factory)
        with app.app_context():
            founder = make_founder("instances")
            institution = make_institution(founder, "zdo-instances", "ЗДО «Двоє»")
            add_member(institution, make_user(DIRECTOR, "Керівник Двох"), Role.DIRECTOR)
            add_member(institution, make_user(TEACHER, "Вихователь Двох"), Role.TEACHER)
            make_founder_admin(founder, make_user(FOUNDER_ADMIN, "Адміністратор Двох"))
            db.session.commit()
            db.engine.dispose()
        env = server_environment(url, tmp_path_factory.mktemp("uploads"))
        with (
            Server(env, workers=1, threads=2, preload=True) as first,
            Server(env, workers=1, threads=2, preload=True) as second,
        ):
            assert first.port != second.port
            yield first, second


def carry(cookies: dict, port: int) -> Browser:
    """The same browser talking to another server (as behind a load balancer)."""
    browser = Browser(port)
    browser.cookies = dict(cookies)
    return browser


def test_sessions_are_shared_and_end_everywhere(two_servers):
    first, second = two_servers
    on_first = Browser(first.port)
    assert on_first.login(DIRECTOR, TEST_PASSWORD).status == 303
    assert on_first.get("/i/zdo-instances/").status == 200
    on_second = carry(on_first.cookies, second.port)
    page = on_second.get("/i/zdo-instances/staff")
    assert page.status == 200 and "Вихователь Двох" in page.body
    # Signing out on the second server ends the session the first one knows.
    stolen = dict(on_first.cookies)
    assert on_second.post("/logout", {}).status == 303
    replayed = carry(stolen, first.port).get("/i/zdo-instances/")
    assert replayed.status == 302 and "/login" in replayed.headers["Location"]


def test_a_board_kept_by_one_server_follows_a_write_through_the_other(two_servers):
    """Each server keeps the founder's rendered board under the institutions' data
    versions: a write through the other server renews a version, so the next view
    is computed afresh, never served stale."""
    first, second = two_servers
    on_first = Browser(first.port)
    assert on_first.login(FOUNDER_ADMIN, TEST_PASSWORD).status == 303
    for _ in range(2):
        board = on_first.get("/f/instances/dashboard/")
        assert board.status == 200 and "ЗДО «Двоє»" in board.body
    on_second = carry(on_first.cookies, second.port)
    listed = on_second.get("/f/instances/")
    edit = re.search(r"/f/instances/institutions/\d+", listed.body).group(0) + "/edit"
    fields = FormFields()
    fields.feed(on_second.get(edit).body)
    saved = on_second.post(edit, {**fields.fields, "short_name": "ЗДО «Двоє» (нова назва)"})
    assert saved.status == 303
    board = on_first.get("/f/instances/dashboard/")
    assert "ЗДО «Двоє» (нова назва)" in board.body


def test_failed_logins_are_counted_across_servers(two_servers):
    first, second = two_servers
    for attempt in range(10):
        server = first if attempt % 2 else second
        answer = Browser(server.port).login(DIRECTOR, "не-той-пароль")
        assert answer.status == 422, attempt
    for server in (first, second):
        refused = Browser(server.port).login(DIRECTOR, TEST_PASSWORD)
        assert refused.status == 429
        assert "Забагато невдалих спроб" in refused.body
    # Only that account is throttled.
    assert Browser(second.port).login(TEACHER, TEST_PASSWORD).status == 303
