"""Backups of the whole installation, and restoring one into an empty database.

``create_backup`` reads every table of ``db.metadata`` inside ONE read
transaction (REPEATABLE READ on PostgreSQL; a single read transaction on
SQLite in WAL mode), so the archive is one consistent moment even while the
app keeps writing. The uploaded files that the snapshot's ``stored_file`` rows
name are read inside the same transaction and checked against their sha256.

The archive is a ZIP:

``tables/<table>.jsonl``  one JSON object per row, columns by name, ordered by key
``files/<storage key>``   the uploaded files
``manifest.json``         format, Alembic revision, row counts, sha256 of every entry

Values are written by type, so that an archive of SQLite restores into
PostgreSQL and back: datetimes as ISO 8601 in UTC with their zone, dates,
times, decimals, binary (base64) and enum members (by name) as one-key objects
such as ``{"$datetime": "2026-11-25T10:00:00+00:00"}``; JSON columns as they are.

``restore_backup`` loads an archive into an EMPTY database migrated to the
archive's revision — in one transaction, tables in foreign-key order, rows of
self-referencing tables parents first, cyclic references set afterwards —
resets PostgreSQL sequences and writes the files back. Anything wrong (a
populated target, another revision, a damaged archive, a failing row) leaves
the database and the upload folder as they were.

Only Core statements on the metadata tables are used: a backup is the whole
installation, not one tenant's view of it, and no audit rows are written.
"""

import base64
import enum
import hashlib
import io
import json
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import (
    JSON,
    Column,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.ddl import sort_tables_and_constraints
from sqlalchemy.types import TypeDecorator

from dozq.db import db, utcnow
from dozq.files.models import StoredFile
from dozq.files.storage import storage

FORMAT = "dozq-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 500

#: A table whose rows a migration creates sets ``info={"seeded_by_migrations": True}``:
#: restore accepts such rows in the target and replaces them with the archive's.
SEEDED_BY_MIGRATIONS = "seeded_by_migrations"

_alembic_version = Table("alembic_version", MetaData(), Column("version_num", String(32)))


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in Ukrainian."""


# Values by type -------------------------------------------------------------


def _base_type(column: Column):
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def is_json_column(column: Column) -> bool:
    return isinstance(_base_type(column), JSON)


def encode_value(value, column: Column | None = None, *, tagged: bool = True):
    """A JSON-ready form of a column value.

    ``tagged`` (backups) keeps the type, so the value restores exactly;
    untagged (exports for people) gives plain strings and numbers.
    """
    if column is not None and is_json_column(column):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": value.name} if tagged else value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return {"$datetime": value.isoformat()} if tagged else value.isoformat()
    if isinstance(value, date):
        return {"$date": value.isoformat()} if tagged else value.isoformat()
    if isinstance(value, time):
        return {"$time": value.isoformat()} if tagged else value.isoformat()
    if isinstance(value, Decimal):
        return {"$decimal": str(value)} if tagged else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        text = base64.b64encode(bytes(value)).decode("ascii")
        return {"$base64": text} if tagged else text
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        return {"$interval": seconds} if tagged else seconds
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)} if tagged else str(value)
    if isinstance(value, (list, tuple)):
        return [encode_value(item, tagged=tagged) for item in value]
    raise BackupError(f"Значення типу {type(value).__name__} не вдається зберегти в копії.")


def decode_value(data, column: Column):
    """The Python value ``encode_value`` wrote, ready for the column's own type."""
    if is_json_column(column) or data is None or not isinstance(data, (dict, list)):
        return data
    if isinstance(data, list):
        return [decode_value(item, column) for item in data]
    ((tag, raw),) = data.items()
    if tag == "$enum":
        enum_class = getattr(_base_type(column), "enum_class", None)
        return enum_class[raw] if enum_class is not None else raw
    if tag == "$datetime":
        return datetime.fromisoformat(raw)
    if tag == "$date":
        return date.fromisoformat(raw)
    if tag == "$time":
        return time.fromisoformat(raw)
    if tag == "$decimal":
        return Decimal(raw)
    if tag == "$base64":
        return base64.b64decode(raw)
    if tag == "$interval":
        return timedelta(seconds=raw)
    if tag == "$uuid":
        return uuid.UUID(raw)
    raise BackupError(f"Невідомий тип значення в копії: {tag}.")


def encode_row(table: Table, row, *, tagged: bool = True) -> dict:
    mapping = row._mapping
    return {
        column.name: encode_value(mapping[column], column, tagged=tagged)
        for column in table.columns
    }


# Which tables, in which order -------------------------------------------------


def data_tables() -> list[Table]:
    """Every table the models define (all of them: tables added later included)."""
    return list(db.metadata.sorted_tables)


def _ordered_tables() -> tuple[list[Table], set]:
    """Tables parents first, and the foreign keys that close a cycle between tables."""
    ordered, cyclic = [], set()
    for table, constraints in sort_tables_and_constraints(db.metadata.tables.values()):
        if table is None:
            cyclic.update(constraints)
        else:
            ordered.append(table)
    return ordered, cyclic


def _order_by(table: Table):
    return list(table.primary_key.columns) or list(table.columns)


def dump_database(connection: Connection) -> dict[str, list[dict]]:
    """Every row of every table as tagged JSON values, sorted: two databases
    with the same data give the same dump, whatever their engines."""
    return {
        table.name: [
            encode_row(table, row)
            for row in connection.execute(table.select().order_by(*_order_by(table)))
        ]
        for table in data_tables()
    }


# Revisions ------------------------------------------------------------------------


def code_revisions() -> set[str]:
    """The Alembic head(s) this code expects the database to be at."""
    config = current_app.extensions["migrate"].migrate.get_config()
    return set(ScriptDirectory.from_config(config).get_heads())


def database_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.scalar(select(_alembic_version.c.version_num))


def _check_schema(connection: Connection, revision: str | None) -> None:
    if revision is None:
        raise BackupError("База даних не підготовлена: виконайте «flask --app wsgi db upgrade».")
    expected = code_revisions()
    if revision not in expected:
        raise BackupError(
            f"Версія схеми бази даних ({revision}) не збігається з версією коду "
            f"({', '.join(sorted(expected))}). Спершу виконайте «flask --app wsgi db upgrade»."
        )
    present = set(inspect(connection).get_table_names())
    missing = [table.name for table in data_tables() if table.name not in present]
    unknown = sorted(present - {table.name for table in data_tables()} - {"alembic_version"})
    if missing or unknown:
        raise BackupError(
            "Таблиці бази даних не відповідають моделям коду"
            + (f"; бракує: {', '.join(missing)}" if missing else "")
            + (f"; невідомі: {', '.join(unknown)}" if unknown else "")
            + "."
        )


# Backup -----------------------------------------------------------------------------


class _HashingWriter:
    """Writes through to a ZIP entry while counting and hashing the bytes."""

    def __init__(self, target):
        self.target = target
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)


def _snapshot_connection(connection: Connection) -> Connection:
    if connection.dialect.name == "postgresql":
        return connection.execution_options(
            isolation_level="REPEATABLE READ", postgresql_readonly=True
        )
    return connection


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _write_table(archive: zipfile.ZipFile, connection: Connection, table: Table) -> dict:
    name = f"tables/{table.name}.jsonl"
    rows = 0
    with archive.open(_entry(name), "w", force_zip64=True) as entry:
        writer = _HashingWriter(entry)
        result = connection.execute(
            table.select()
            .order_by(*_order_by(table))
            .execution_options(stream_results=True, yield_per=BATCH)
        )
        for row in result:
            line = json.dumps(encode_row(table, row), ensure_ascii=False, sort_keys=True)
            writer.write(line.encode() + b"\n")
            rows += 1
    return {
        "name": table.name,
        "path": name,
        "rows": rows,
        "columns": [column.name for column in table.columns],
        "size": writer.size,
        "sha256": writer.digest.hexdigest(),
    }


def _write_files(archive: zipfile.ZipFile, connection: Connection) -> list[dict]:
    files = StoredFile.__table__
    store = storage()
    entries, problems = [], []
    for key, expected in connection.execute(
        select(files.c.storage_key, files.c.sha256).order_by(files.c.id)
    ):
        try:
            data = store.read(key)
        except FileNotFoundError:
            problems.append(f"{key} (файлу немає)")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != expected:
            problems.append(f"{key} (вміст не збігається з контрольною сумою)")
            continue
        name = f"files/{key}"
        archive.writestr(_entry(name), data)
        entries.append({"storage_key": key, "path": name, "size": len(data), "sha256": digest})
    if problems:
        raise BackupError("Файли, названі в базі даних, недоступні: " + "; ".join(problems))
    return entries


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def create_backup(path: str | Path) -> dict:
    """Write a consistent archive of the database and its files to ``path``."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"Файл {path} уже існує; оберіть інше ім'я для копії.")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    partial = Path(partial_name)
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive,
            db.engine.connect() as plain,
        ):
            connection = _snapshot_connection(plain)
            with connection.begin():
                # The first read fixes the snapshot that every table is read from.
                revision = database_revision(connection)
                _check_schema(connection, revision)
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": utcnow().isoformat(),
                    "dialect": connection.dialect.name,
                    "alembic_revision": revision,
                    "tables": [_write_table(archive, connection, t) for t in data_tables()],
                    "files": _write_files(archive, connection),
                }
            archive.writestr(
                _entry(MANIFEST), json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
            )
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
        _fsync_directory(path.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


# Reading archives -----------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError(
            "Це не резервна копія dozq: у ній немає опису (manifest.json)."
        ) from error
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError("Формат резервної копії не підтримується цією версією dozq.")
    return manifest


def verify_archive(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every entry the manifest names is there, whole, with its checksum."""
    for entry in [*manifest["tables"], *manifest["files"]]:
        digest = hashlib.sha256()
        try:
            with archive.open(entry["path"]) as stream:
                while chunk := stream.read(1 << 20):
                    digest.update(chunk)
        except (KeyError, zipfile.BadZipFile) as error:
            raise BackupError(f"Архів пошкоджено: бракує {entry['path']}.") from error
        if digest.hexdigest() != entry["sha256"]:
            raise BackupError(
                f"Архів пошкоджено: {entry['path']} не збігається з контрольною сумою."
            )


def archive_rows(archive: zipfile.ZipFile, entry: dict) -> Iterator[dict]:
    """The rows of one table as written (tagged JSON values)."""
    with archive.open(entry["path"]) as stream:
        for line in io.TextIOWrapper(stream, encoding="utf-8"):
            if line.strip():
                yield json.loads(line)


# Restore ----------------------------------------------------------------------------------


def _check_target(connection: Connection, manifest: dict) -> None:
    revision = database_revision(connection)
    if revision is None:
        raise BackupError(
            "Цільова база даних не підготовлена: спершу виконайте "
            f"«flask --app wsgi db upgrade {manifest['alembic_revision']}»."
        )
    if manifest["alembic_revision"] != revision:
        raise BackupError(
            f"Копію зроблено для версії схеми {manifest['alembic_revision']}, а цільова база "
            f"даних має версію {revision}. Відновлюйте в базу тієї самої версії, потім оновіть її."
        )
    _check_schema(connection, revision)
    populated = [
        table.name
        for table in data_tables()
        if not table.info.get(SEEDED_BY_MIGRATIONS)
        and connection.scalar(select(func.count()).select_from(table))
    ]
    if populated:
        raise BackupError(
            "Відновлення можливе лише в порожню базу даних, щойно створену міграціями "
            "(«flask --app wsgi db upgrade»). У цій базі вже є дані: "
            + ", ".join(populated)
            + ". Нічого не змінено."
        )
    tables = db.metadata.tables
    for entry in manifest["tables"]:
        table = tables.get(entry["name"])
        if table is None or set(entry["columns"]) != {column.name for column in table.columns}:
            raise BackupError(f"Таблиця {entry['name']} у копії не відповідає схемі бази даних.")
    absent = set(tables) - {entry["name"] for entry in manifest["tables"]}
    if absent:
        raise BackupError(f"У копії бракує таблиць: {', '.join(sorted(absent))}.")


def _self_references(table: Table) -> list[tuple[str, str]]:
    """(column, referred column) pairs of single-column foreign keys to the table itself."""
    pairs = []
    for constraint in table.foreign_key_constraints:
        if constraint.referred_table is table and len(constraint.elements) == 1:
            element = constraint.elements[0]
            pairs.append((element.parent.name, element.column.name))
    return pairs


def _parents_first(rows: list[dict], pairs: list[tuple[str, str]]) -> list[dict]:
    """Rows ordered so that a row comes after the rows it refers to in its own table."""
    present = {referred: {row[referred] for row in rows} for _column, referred in pairs}
    placed: dict[str, set] = {referred: set() for _column, referred in pairs}
    ordered, pending = [], rows
    while pending:
        ready, waiting = [], []
        for row in pending:
            satisfied = all(
                row[column] is None
                or row[column] in placed[referred]
                or row[column] not in present[referred]
                for column, referred in pairs
            )
            (ready if satisfied else waiting).append(row)
        if not ready:
            ordered.extend(waiting)  # a cycle inside the table: the database will say so
            break
        for row in ready:
            for _column, referred in pairs:
                placed[referred].add(row[referred])
        ordered.extend(ready)
        pending = waiting
    return ordered


def _batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _insert_tables(connection: Connection, archive: zipfile.ZipFile, manifest: dict) -> None:
    entries = {entry["name"]: entry for entry in manifest["tables"]}
    ordered, cyclic = _ordered_tables()
    later: list[tuple[Table, list[str], dict]] = []
    for table in ordered:
        deferred = [
            element.parent.name
            for constraint in cyclic
            if constraint.table is table
            for element in constraint.elements
        ]
        columns = list(table.columns)
        decoded = (
            {column.name: decode_value(row[column.name], column) for column in columns}
            for row in archive_rows(archive, entries[table.name])
        )
        pairs = _self_references(table)
        rows: Iterable[dict] = _parents_first(list(decoded), pairs) if pairs else decoded
        for batch in _batches(rows):
            if deferred:
                for row in batch:
                    later.append((table, deferred, dict(row)))
                batch = [{**row, **dict.fromkeys(deferred)} for row in batch]
            connection.execute(table.insert(), batch)
    for table, deferred, row in later:
        if all(row[name] is None for name in deferred):
            continue
        key = {f"pk_{column.name}": row[column.name] for column in table.primary_key.columns}
        statement = (
            table.update()
            .where(*[column == bindparam(f"pk_{column.name}") for column in table.primary_key])
            .values({name: bindparam(f"v_{name}") for name in deferred})
        )
        connection.execute(statement, {**key, **{f"v_{name}": row[name] for name in deferred}})


def _reset_sequences(connection: Connection) -> None:
    """PostgreSQL hands out the next id after the restored ones."""
    if connection.dialect.name != "postgresql":
        return
    for table in data_tables():
        column = table.autoincrement_column
        if column is None:
            continue
        sequence = func.pg_get_serial_sequence(table.name, column.name)
        following = select(func.coalesce(func.max(column), 0) + 1).scalar_subquery()
        connection.execute(select(func.setval(sequence, following, False)))


def _check_counts(connection: Connection, manifest: dict) -> None:
    tables = db.metadata.tables
    for entry in manifest["tables"]:
        count = connection.scalar(select(func.count()).select_from(tables[entry["name"]]))
        if count != entry["rows"]:
            raise BackupError(
                f"Таблиця {entry['name']}: відновлено {count} записів замість {entry['rows']}."
            )


def _upload_path(root: Path, key: str) -> Path:
    path = (root / key).resolve()
    if root.resolve() not in path.parents:
        raise BackupError(f"Недопустиме ім'я файлу в копії: {key}.")
    return path


def _restore_files(archive: zipfile.ZipFile, manifest: dict, written: list[Path]) -> None:
    root = Path(current_app.config["UPLOAD_FOLDER"])
    for entry in manifest["files"]:
        path = _upload_path(root, entry["storage_key"])
        data = archive.read(entry["path"])
        if path.exists():
            if hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]:
                continue
            raise BackupError(f"У теці файлів уже є інший файл {entry['storage_key']}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        with open(partial, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
        written.append(path)


def restore_backup(path: str | Path) -> dict:
    """Load an archive into this (empty, migrated) database and its upload folder."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (FileNotFoundError, zipfile.BadZipFile) as error:
        raise BackupError(f"Не вдалося відкрити резервну копію {path}.") from error
    written: list[Path] = []
    with archive:
        manifest = read_manifest(archive)
        if manifest["alembic_revision"] not in code_revisions():
            raise BackupError(
                f"Копію зроблено для версії схеми {manifest['alembic_revision']}, а ця версія "
                f"dozq має {', '.join(sorted(code_revisions()))}. Відновіть копію тією версією "
                "dozq, якою її зроблено, а потім оновіть базу даних."
            )
        verify_archive(archive, manifest)
        try:
            with db.engine.begin() as connection:
                _check_target(connection, manifest)
                for table in reversed(data_tables()):
                    if table.info.get(SEEDED_BY_MIGRATIONS):
                        connection.execute(table.delete())
                _insert_tables(connection, archive, manifest)
                _check_counts(connection, manifest)
                _restore_files(archive, manifest, written)
                _reset_sequences(connection)
        except BaseException:
            for file_path in written:
                file_path.unlink(missing_ok=True)
            raise
    return manifest
