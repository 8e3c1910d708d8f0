"""Durability under real processes: a server killed with SIGKILL at random moments
loses no acknowledged write and leaves no half-written record; and the load test
runs clean (no 5xx, no lost acknowledged save) in a short form."""

import http.client
import json
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import create_engine, select, update

from bench.loadtest import ROOT, STEPS, Browser, Server, server_environment
from dozq.auth.models import UserSession
from dozq.db import db, utcnow
from dozq.tenancy.models import Role
from tests.conftest import database_for, make_app
from tests.factories import (
    TEST_PASSWORD,
    add_member,
    login,
    make_founder,
    make_institution,
    make_user,
)

KILLS = 20
WRITERS = 4
DIRECTOR = "director@durability.example.com"


def prepare(tmp_path_factory, url: str) -> str:
    app = make_app(url, tmp_path_factory)
    with app.app_context():
        founder = make_founder("durability")
        institution = make_institution(founder, "zdo-durability", "ЗДО «Надійність»")
        add_member(institution, make_user(DIRECTOR, "Керівник Надійності"), Role.DIRECTOR)
        slug = institution.slug
        db.session.commit()
        db.engine.dispose()
    return slug


def stored_state(url: str):
    """The invitations stored, invitations without their audit row and audit rows
    without their invitation, and the database's own integrity verdict."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = set(connection.exec_driver_sql("SELECT email FROM invitation").scalars())
            without_audit = connection.exec_driver_sql(
                "SELECT count(*) FROM invitation i WHERE NOT EXISTS (SELECT 1 FROM audit_entry a"
                " WHERE a.action = 'invitation.sent' AND a.target_id = i.id)"
            ).scalar()
            audit_without_row = connection.exec_driver_sql(
                "SELECT count(*) FROM audit_entry a WHERE a.action = 'invitation.sent' AND NOT"
                " EXISTS (SELECT 1 FROM invitation i WHERE i.id = a.target_id)"
            ).scalar()
            if connection.dialect.name == "sqlite":
                integrity = connection.exec_driver_sql("PRAGMA integrity_check").all()
                foreign_keys = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                verdict = integrity == [("ok",)] and foreign_keys == []
            else:
                # PostgreSQL enforces foreign keys in every transaction and recovers from
                # its write-ahead log; what can be checked is that it answers and that no
                # transaction of the killed workers is left open.
                verdict = not connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state IN ('idle in transaction', 'idle in transaction (aborted)')"
                ).scalar()
    finally:
        engine.dispose()
    return stored, without_audit, audit_without_row, verdict


def test_acknowledged_writes_survive_sigkill(backend, tmp_path_factory, tmp_path):
    with database_for(backend, tmp_path_factory) as url:
        slug = prepare(tmp_path_factory, url)
        server = Server(server_environment(url, tmp_path / "uploads"), workers=2, preload=True)
        server.start()
        signed_in = Browser(server.port)
        assert signed_in.login(DIRECTOR, TEST_PASSWORD).status == 303
        attempted, acknowledged, in_flight, timed_out, unexpected = [], [], [], [], []
        stop = threading.Event()
        cut_by = Counter()

        def invite_continuously(writer: int) -> None:
            browser = Browser(server.port, timeout=10)
            browser.cookies = dict(signed_in.cookies)
            number = 0
            while not stop.is_set():
                number += 1
                email = f"w{writer}-{number}@durability.example.com"
                attempted.append(email)
                form = {"full_name": f"Особа {writer}-{number}", "email": email, "role": "teacher"}
                try:
                    answer = browser.post(f"/i/{slug}/staff/invite", form)
                except ConnectionRefusedError:
                    time.sleep(0.02)  # the server is down: never reached it
                    continue
                except TimeoutError:
                    timed_out.append(email)
                    continue
                except (OSError, http.client.HTTPException) as error:
                    # Killed while this request was queued or being served.
                    in_flight.append(email)
                    cut_by[type(error).__name__] += 1
                    continue
                if answer.status == 303:
                    acknowledged.append(email)
                else:
                    unexpected.append(answer.status)

        writers = [threading.Thread(target=invite_continuously, args=(n,)) for n in range(WRITERS)]
        for thread in writers:
            thread.start()
        rng = random.Random(20261125)
        started = time.monotonic()
        kills = 0
        try:
            while kills < KILLS:
                time.sleep(rng.uniform(0.1, 0.6))
                server.kill()
                kills += 1
                server.start()
            time.sleep(0.3)
        finally:
            stop.set()
            for thread in writers:
                thread.join()
            server.close()
        elapsed = time.monotonic() - started
        stored, without_audit, audit_without_row, integrity = stored_state(url)
    lost = set(acknowledged) - stored
    assert kills == KILLS
    assert not unexpected, unexpected
    assert len(acknowledged) > KILLS * 5
    assert lost == set(), f"{len(lost)} acknowledged writes lost"
    assert stored <= set(attempted)
    assert without_audit == 0 and audit_without_row == 0
    assert integrity
    print(
        f"\ndurability: {kills} SIGKILLs in {elapsed:.0f} s; {len(acknowledged)} acknowledged "
        f"writes, 0 lost; {len(in_flight)} requests left unanswered by a kill "
        f"({len(set(in_flight) & stored)} of them committed; {dict(cut_by)}), "
        f"{len(timed_out)} timed out; "
        f"integrity ok ({backend})"
    )


def test_the_load_test_runs_clean(backend, tmp_path_factory):
    with database_for(backend, tmp_path_factory) as url:
        command = [
            sys.executable,
            "-m",
            "bench.loadtest",
            "--duration",
            "5",
            "--users",
            "4",
            "--workers",
            "2",
            "--json",
        ]
        if backend == "postgresql":
            command += ["--database-url", url]
        result = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False
        )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("LOADTEST "))
    report = json.loads(line.removeprefix("LOADTEST "))
    steps = report["steps"]
    for step in STEPS:
        assert steps[step]["requests"] > 0, step
        assert steps[step]["server_errors"] == 0, step
    assert report["acknowledged_saves"] > 0 and report["acknowledged_answers"] > 0
    assert report["lost_saves"] == 0 and report["lost_answers"] == 0
    assert report["failures"] == []
    print("\n" + "\n".join(result.stdout.splitlines()[:8]))


def test_a_write_after_a_pause_is_answered_at_once(app, client, world):
    """A form sent after more than a minute of reading: noting the session's
    activity must not wait for the write lock the same request holds (SQLite)."""
    assert login(client, "director.a@test.example.com").status_code == 303
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    started = time.monotonic()
    response = client.post(
        "/i/zdo-a/staff/invite",
        data={
            "full_name": "Особа після паузи",
            "email": "pause@test.example.com",
            "role": "teacher",
        },
    )
    assert response.status_code == 303
    assert time.monotonic() - started < 5
    with app.app_context():
        seen = db.session.scalars(select(UserSession.last_seen_at)).all()
    assert all(utcnow() - at < timedelta(minutes=1) for at in seen)
