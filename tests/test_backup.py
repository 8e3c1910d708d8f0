"""Backups and restores: the same data comes back, on either database and across them,
a backup taken while the app writes is one consistent moment, and a restore that
cannot be done changes nothing."""

import hashlib
import json
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import downgrade
from sqlalchemy import event, func, select

from dozq.audit.services import record
from dozq.auth.models import User
from dozq.backup import (
    BackupError,
    archive_rows,
    create_backup,
    dump_database,
    read_manifest,
    restore_backup,
)
from dozq.db import db
from dozq.demo import load_demo
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from tests.conftest import BACKENDS, database_for, make_app
from tests.factories import add_member, build_world, make_user, tiny_png, upload_file

PAIRS = [(source, target) for source in BACKENDS for target in BACKENDS]


def populate(app) -> None:
    """Demo data, the two-tenant test world and a few more uploaded files."""
    with app.app_context():
        load_demo("демо-пароль-для-копії")
        db.session.commit()
        world = build_world()
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={BYPASS_OPTION: True}
        )
        uploader = db.session.get(User, world.a.users[Role.TEACHER])
        with tenant_scope(db.session, Scope.for_institution(institution)):
            upload_file("план «Сонечко».png", tiny_png(40, 30), uploader)
            upload_file("звіт.png", tiny_png(8, 8), uploader)
            db.session.commit()


def logical_dump(app) -> str:
    with app.app_context(), db.engine.connect() as connection:
        return json.dumps(dump_database(connection), ensure_ascii=False, sort_keys=True)


def file_hashes(app) -> dict[str, str]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def row_counts(app) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: connection.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }


@contextmanager
def fresh_app(backend: str, tmp_path_factory):
    """A new migrated database of its own; its connections closed whatever happens."""
    with database_for(backend, tmp_path_factory) as url:
        app = make_app(url, tmp_path_factory)
        try:
            yield app
        finally:
            with app.app_context():
                db.engine.dispose()


@pytest.mark.parametrize("source,target", PAIRS, ids=[f"{s}-to-{t}" for s, t in PAIRS])
def test_restore_gives_back_the_same_data_and_files(source, target, tmp_path_factory, tmp_path):
    archive = tmp_path / "dozq.zip"
    with fresh_app(source, tmp_path_factory) as original:
        populate(original)
        before = logical_dump(original)
        with original.app_context():
            manifest = create_backup(archive)
        # Taking a backup writes nothing, not even to the audit log.
        assert logical_dump(original) == before
        files = file_hashes(original)
    populated = {entry["name"]: entry["rows"] for entry in manifest["tables"]}
    assert sum(populated.values()) > 50 and len(files) == len(manifest["files"]) >= 6
    with fresh_app(target, tmp_path_factory) as restored:
        with restored.app_context():
            restore_backup(archive)
        assert logical_dump(restored) == before
        assert file_hashes(restored) == files
        assert row_counts(restored) == populated
        last_id = max(row["id"] for row in json.loads(before)["user_account"])
        with restored.app_context():
            # Ids continue after the restored ones (PostgreSQL's sequences are reset).
            assert make_user("after.restore@test.example.com").id == last_id + 1
            db.session.commit()


def test_the_commands_back_up_and_refuse_a_populated_target(tmp_path_factory, tmp_path):
    archive = tmp_path / "копія.zip"
    with fresh_app("sqlite", tmp_path_factory) as app:
        populate(app)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["dozq", "backup", str(archive)])
        assert result.exit_code == 0, result.output
        assert "Резервну копію збережено" in result.output
        before = logical_dump(app)
        result = runner.invoke(args=["dozq", "restore", str(archive)])
        assert result.exit_code == 1
        assert "лише в порожню базу даних" in result.output
        assert "Нічого не змінено" in result.output
        assert logical_dump(app) == before
        result = runner.invoke(args=["dozq", "backup", str(archive)])
        assert result.exit_code == 1 and "уже існує" in result.output


def rewrite_archive(source: Path, target: Path, change) -> None:
    """Copy an archive, letting ``change(manifest, entries)`` alter it; checksums
    are recomputed unless the change says otherwise."""
    with zipfile.ZipFile(source) as archive:
        manifest = read_manifest(archive)
        entries = {
            name: archive.read(name) for name in archive.namelist() if name != "manifest.json"
        }
    keep_checksums = change(manifest, entries)
    if not keep_checksums:
        for entry in [*manifest["tables"], *manifest["files"]]:
            entry["sha256"] = hashlib.sha256(entries[entry["path"]]).hexdigest()
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        archive.writestr("manifest.json", json.dumps(manifest))


def test_refusals_leave_the_target_untouched(tmp_path_factory, tmp_path):
    good = tmp_path / "good.zip"
    with fresh_app("sqlite", tmp_path_factory) as app:
        populate(app)
        with app.app_context():
            manifest = create_backup(good)
    last = next(e for e in reversed(manifest["tables"]) if e["rows"] > 1)

    def duplicate_a_row_of_the_last_table(manifest, entries):
        lines = entries[last["path"]].splitlines(keepends=True)
        entries[last["path"]] = b"".join([*lines, lines[0]])
        next(e for e in manifest["tables"] if e["name"] == last["name"])["rows"] += 1

    def other_revision(manifest, entries):
        manifest["alembic_revision"] = "0123456789ab"

    def damage(manifest, entries):
        entries[last["path"]] = entries[last["path"]].replace(b'"id"', b'"ID"', 1)
        return True

    cases = {
        "duplicate.zip": (duplicate_a_row_of_the_last_table, "UNIQUE"),
        "revision.zip": (other_revision, "версії схеми 0123456789ab"),
        "damaged.zip": (damage, "Архів пошкоджено"),
    }
    with fresh_app("sqlite", tmp_path_factory) as target:
        empty = logical_dump(target)
        for name, (change, message) in cases.items():
            rewrite_archive(good, tmp_path / name, change)
            with target.app_context(), pytest.raises(Exception) as refused:
                restore_backup(tmp_path / name)
            assert message.lower() in str(refused.value).lower(), name
            assert logical_dump(target) == empty, name
            assert file_hashes(target) == {}, name
        # A file of another content already where the second file goes: the first
        # file written is taken back and the database stays empty.
        second = manifest["files"][1]["storage_key"]
        clash = Path(target.config["UPLOAD_FOLDER"]) / second
        clash.parent.mkdir(parents=True, exist_ok=True)
        clash.write_bytes(b"something else")
        with target.app_context(), pytest.raises(BackupError, match="уже є інший файл"):
            restore_backup(good)
        assert logical_dump(target) == empty
        assert file_hashes(target) == {second: hashlib.sha256(b"something else").hexdigest()}
        clash.unlink()
        # A database at another revision than the archive's is refused.
        with target.app_context():
            downgrade(revision="-1")
            with pytest.raises(BackupError, match="цільова база даних має версію"):
                restore_backup(good)


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_backup_taken_while_the_app_writes_is_one_moment(
    backend_name, tmp_path_factory, tmp_path
):
    archive = tmp_path / "live.zip"
    with fresh_app(backend_name, tmp_path_factory) as app:
        with app.app_context():
            world = build_world()
        commits = [0]
        stop = threading.Event()
        failures = []

        def keep_writing():
            # Each commit: a new account, its membership and an audit row, so a
            # backup that read tables at different moments would hold a
            # membership (or audit row) whose account it does not have.
            try:
                with app.app_context():
                    institution = db.session.get(
                        Institution, world.a.institution_id, execution_options={BYPASS_OPTION: True}
                    )
                    scope = Scope.for_institution(institution)
                    number = 0
                    while not stop.is_set():
                        number += 1
                        with tenant_scope(db.session, scope):
                            user = make_user(f"live.{number}@test.example.com", f"Особа {number}")
                            add_member(institution, user, Role.TEACHER)
                            record(user, "test.live", user, f"Запис {number}")
                            db.session.commit()
                        commits[0] += 1
            except Exception as error:  # reported by the main thread
                failures.append(error)

        writer = threading.Thread(target=keep_writing)
        backup_thread = threading.current_thread()
        with app.app_context():
            engine = db.engine

        def wait_for_a_commit(conn, cursor, statement, *args):
            # Before each table is read, let the writer commit at least once more.
            if threading.current_thread() is backup_thread and statement.startswith("SELECT"):
                seen = commits[0]
                deadline = time.monotonic() + 5
                while commits[0] == seen and time.monotonic() < deadline and not failures:
                    time.sleep(0.001)

        writer.start()
        while commits[0] < 3 and not failures:
            time.sleep(0.01)
        event.listen(engine, "before_cursor_execute", wait_for_a_commit)
        started = commits[0]
        try:
            with app.app_context():
                manifest = create_backup(archive)
        finally:
            event.remove(engine, "before_cursor_execute", wait_for_a_commit)
            stop.set()
            writer.join()
        assert not failures
        during = commits[0] - started
        assert during >= len(manifest["tables"])
        with zipfile.ZipFile(archive) as opened:
            rows = {e["name"]: list(archive_rows(opened, e)) for e in manifest["tables"]}
        for entry in manifest["tables"]:
            assert len(rows[entry["name"]]) == entry["rows"], entry["name"]
        dangling = []
        with app.app_context():
            for table in db.metadata.sorted_tables:
                for key in table.foreign_keys:
                    present = {row[key.column.name] for row in rows[key.column.table.name]}
                    for row in rows[table.name]:
                        value = row[key.parent.name]
                        if value is not None and value not in present:
                            dangling.append(f"{table.name}.{key.parent.name}={value}")
        assert dangling == []
        live_users = {r["id"] for r in rows["user_account"] if r["email"].startswith("live.")}
        live_members = {r["user_id"] for r in rows["membership"]} & live_users
        live_audit = {r["actor_id"] for r in rows["audit_entry"] if r["action"] == "test.live"}
        assert live_users == live_members == live_audit
        print(
            f"\nbackup during writes ({backend_name}): {during} commits while "
            f"{len(manifest['tables'])} tables were read; {len(live_users)} of "
            f"{commits[0]} written accounts in the snapshot, 0 dangling references"
        )
    with fresh_app(backend_name, tmp_path_factory) as restored:
        with restored.app_context():
            restore_backup(archive)
        assert row_counts(restored) == {e["name"]: e["rows"] for e in manifest["tables"]}
