"""Personal data (Закон України «Про захист персональних даних»): exports and erasure.

Everything here works through the ORM in the current institution's scope, so
the tenant boundary of ``dozq.tenancy.scope`` applies to every read and write,
and generically over the mapper registry: tables added later are covered
without editing this module.

* ``export_institution`` — a ZIP with one JSON file per table of everything the
  institution owns (``InstitutionOwned``, ``FounderOrInstitutionOwned`` and the
  institution row itself), the accounts its rows refer to, and its files.
* ``person_rows`` / ``export_person`` — every row that refers to a person: each
  column with a foreign key to ``user_account.id``, each text column that
  names them (full name, e-mail address, names on invitations sent to them),
  and their account (without secrets).
* ``erase_person`` — the account's name and e-mail replaced by a placeholder,
  the account disabled and signed out everywhere, the person's names and
  address replaced in every text and JSON column of the institution's rows,
  their membership ended and invitations to them revoked. Models marked
  ``__retained_legal_record__ = True`` (signed documents an institution must
  keep) are exported but never scrubbed.

Both steps are written to the audit log without the person's name.
"""

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import JSON, Enum, String, delete, inspect, or_, select
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator

from dozq.audit.services import record
from dozq.auth.models import Invitation, LoginFailure, User, UserSession
from dozq.backup import encode_value
from dozq.db import db, utcnow
from dozq.files.models import StoredFile
from dozq.files.storage import storage
from dozq.tenancy.access import workplaces
from dozq.tenancy.models import Membership
from dozq.tenancy.scope import FounderOrInstitutionOwned, InstitutionOwned, TenantRoot
from dozq.web.errors import DomainError

#: What replaces an erased person's name, everywhere.
PLACEHOLDER = "Особу вилучено на запит"
#: Marks a model whose rows are legal records kept as they are (e.g. signed documents).
RETAINED_ATTRIBUTE = "__retained_legal_record__"
#: Column names that hold secrets (or their hashes); also ``Column(info={"secret": True})``.
SECRET_MARKERS = ("password", "token", "secret")
REDACTED = "[приховано]"
#: Shorter strings are not searched for: they would match ordinary words.
MIN_NEEDLE = 5

INSTITUTION_KINDS = (TenantRoot, InstitutionOwned, FounderOrInstitutionOwned)


# The registry, generically ------------------------------------------------------


def _base_type(column):
    kind = column.type
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


def is_text(column) -> bool:
    kind = _base_type(column)
    return isinstance(kind, String) and not isinstance(kind, Enum)


def is_json(column) -> bool:
    return isinstance(_base_type(column), JSON)


def is_secret(column) -> bool:
    return bool(column.info.get("secret")) or any(
        marker in column.name for marker in SECRET_MARKERS
    )


def refers_to_user(column) -> bool:
    user_id = User.__table__.c.id
    return any(key.column is user_id for key in column.foreign_keys)


def is_retained(cls) -> bool:
    return bool(getattr(cls, RETAINED_ATTRIBUTE, False))


def _table_order() -> dict[str, int]:
    return {table.name: number for number, table in enumerate(db.metadata.sorted_tables)}


def mappers() -> list[Mapper]:
    """One mapper per table (single-table subclasses share their parent's)."""
    order = _table_order()
    found = [
        mapper
        for mapper in db.Model.registry.mappers
        if mapper.inherits is None or mapper.local_table is not mapper.inherits.local_table
    ]
    return sorted(found, key=lambda mapper: order.get(mapper.local_table.name, len(order)))


def institution_mappers() -> list[Mapper]:
    """Models whose rows belong to an institution (seen through its scope)."""
    return [mapper for mapper in mappers() if issubclass(mapper.class_, INSTITUTION_KINDS)]


def _columns(mapper: Mapper):
    """(attribute key, column) of every mapped column."""
    return [(prop.key, prop.columns[0]) for prop in mapper.column_attrs]


def row_data(obj, mapper: Mapper) -> dict:
    """A row as plain JSON values, secrets left out."""
    return {
        column.name: REDACTED
        if is_secret(column)
        else encode_value(getattr(obj, key), column, tagged=False)
        for key, column in _columns(mapper)
    }


def _primary_key(mapper: Mapper):
    return [
        getattr(mapper.class_, mapper.get_property_by_column(c).key) for c in mapper.primary_key
    ]


def _all_rows(mapper: Mapper, *criteria) -> Iterator:
    statement = select(mapper.class_).order_by(*_primary_key(mapper))
    if criteria:
        statement = statement.where(*criteria)
    yield from db.session.scalars(statement.execution_options(yield_per=500))


# Finding a person ------------------------------------------------------------------


def person_needles(user: User) -> list[str]:
    """The strings that name this person: their name, address and invited names."""
    names = {user.full_name, user.email}
    names.update(
        db.session.scalars(select(Invitation.full_name).where(Invitation.email == user.email))
    )
    needles = {name.strip() for name in names if name and len(name.strip()) >= MIN_NEEDLE}
    # Longest first: an address is replaced whole before a name inside it.
    return sorted(needles, key=lambda needle: (-len(needle), needle))


def _mentions(value, needles) -> bool:
    if isinstance(value, str):
        return any(needle in value for needle in needles)
    if isinstance(value, dict):
        return any(_mentions(k, needles) or _mentions(v, needles) for k, v in value.items())
    if isinstance(value, list):
        return any(_mentions(item, needles) for item in value)
    return False


def _scrubbed(value, needles):
    if isinstance(value, str):
        for needle in needles:
            value = value.replace(needle, PLACEHOLDER)
        return value
    if isinstance(value, dict):
        return {_scrubbed(k, needles): _scrubbed(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, needles) for item in value]
    return value


def _candidates(mapper: Mapper, needles, *, user_id: int | None, scan_json: bool) -> Iterator:
    """Rows of one model that may refer to the person (checked again in Python)."""
    cls = mapper.class_
    columns = _columns(mapper)
    json_keys = [key for key, column in columns if is_json(column)] if scan_json else []
    conditions = []
    if user_id is not None:
        conditions += [getattr(cls, key) == user_id for key, c in columns if refers_to_user(c)]
    conditions += [
        getattr(cls, key).contains(needle, autoescape=True)
        for key, column in columns
        if is_text(column) and not is_secret(column)
        for needle in needles
    ]
    if json_keys:
        yield from _all_rows(mapper)  # JSON is stored escaped: search it in Python
    elif conditions:
        yield from _all_rows(mapper, or_(*conditions))


def _refers(obj, mapper: Mapper, user: User, needles) -> bool:
    for key, column in _columns(mapper):
        value = getattr(obj, key)
        if refers_to_user(column) and value == user.id:
            return True
        searchable = (is_text(column) or is_json(column)) and not is_secret(column)
        if searchable and _mentions(value, needles):
            return True
    return False


def person_rows(user: User) -> dict[str, list[dict]]:
    """Every row this institution's scope shows that refers to the person, by table."""
    needles = person_needles(user)
    found: dict[str, list[dict]] = {}
    for mapper in mappers():
        if mapper.class_ is User:
            rows = [row_data(user, mapper)]
        else:
            scan_json = issubclass(mapper.class_, INSTITUTION_KINDS)
            rows = [
                row_data(obj, mapper)
                for obj in _candidates(mapper, needles, user_id=user.id, scan_json=scan_json)
                if _refers(obj, mapper, user, needles)
            ]
        if rows:
            found[mapper.local_table.name] = rows
    return found


# Archives -----------------------------------------------------------------------------


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)


def _add_files(archive: zipfile.ZipFile, rows: list[dict]) -> int:
    """The stored files named by ``stored_file`` rows, by id and the person's name for them."""
    store = storage()
    count = 0
    for row in rows:
        stored = db.session.get(StoredFile, row["id"])
        if stored is None:
            continue
        archive.writestr(
            f"files/{stored.id}-{stored.original_name}", store.read(stored.storage_key)
        )
        count += 1
    return count


README = """Архів даних із dozq.

tables/<таблиця>.json — записи кожної таблиці у форматі JSON (UTF-8);
дати й час — ISO 8601 в UTC; паролі та ключі сеансів не експортуються.
files/ — завантажені файли (номер запису stored_file, потім назва файлу).
"""


@dataclass
class Export:
    filename: str
    data: bytes
    tables: dict[str, int] = field(default_factory=dict)
    files: int = 0


def export_institution(actor, institution) -> Export:
    """All of the institution's data, as a ZIP of JSON per table plus its files."""
    tables: dict[str, list[dict]] = {}
    user_ids: set[int] = set()
    for mapper in institution_mappers():
        rows = []
        user_keys = [column.name for _key, column in _columns(mapper) if refers_to_user(column)]
        for obj in _all_rows(mapper):
            row = row_data(obj, mapper)
            rows.append(row)
            user_ids.update(row[name] for name in user_keys if row[name] is not None)
        tables[mapper.local_table.name] = rows
    user_mapper = inspect(User)
    tables[User.__tablename__] = [
        row_data(user, user_mapper) for user in _all_rows(user_mapper, User.id.in_(user_ids))
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        for name, rows in tables.items():
            archive.writestr(f"tables/{name}.json", _json(rows))
        files = _add_files(archive, tables.get(StoredFile.__tablename__, []))
    counts = {name: len(rows) for name, rows in tables.items()}
    record(
        actor,
        "privacy.institution_exported",
        institution,
        "Експортовано всі дані закладу",
        rows=sum(counts.values()),
        files=files,
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Export(f"dozq-{institution.slug}-{stamp}.zip", buffer.getvalue(), counts, files)


def export_person(actor, membership: Membership) -> Export:
    """Every row about one person, their account and the files they uploaded."""
    user = membership.user
    tables = person_rows(user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README)
        archive.writestr(
            "person.json",
            _json({"exported_at": utcnow().isoformat(), "account": tables[User.__tablename__]}),
        )
        for name, rows in tables.items():
            archive.writestr(f"tables/{name}.json", _json(rows))
        uploaded = [
            row
            for row in tables.get(StoredFile.__tablename__, [])
            if row.get("uploaded_by_id") == user.id
        ]
        files = _add_files(archive, uploaded)
    counts = {name: len(rows) for name, rows in tables.items()}
    record(
        actor,
        "privacy.person_exported",
        user,
        f"Експортовано персональні дані особи (обліковий запис № {user.id})",
        rows=sum(counts.values()),
        files=files,
    )
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Export(f"dozq-osoba-{user.id}-{stamp}.zip", buffer.getvalue(), counts, files)


# Erasure ---------------------------------------------------------------------------------


def check_erasable(actor, membership: Membership) -> None:
    """Refuse what a director may not erase, with the reason."""
    user = membership.user
    if user.id == actor.id:
        raise DomainError(
            "Власні персональні дані вилучає інший керівник закладу або засновник, не ви самі."
        )
    memberships, founder_roles = workplaces(user)
    elsewhere = [m for m in memberships if m.institution_id != membership.institution_id]
    if elsewhere or founder_roles or user.is_platform_admin:
        raise DomainError(
            "Ця особа працює також в іншому закладі або у засновника, тому її обліковий запис "
            "може вилучити лише адміністратор платформи. Ви можете вилучити її з працівників "
            "закладу на сторінці «Працівники»."
        )


def scrub(needles: list[str]) -> dict[str, int]:
    """Replace the needles in every text and JSON column of the institution's rows
    (retained legal records excepted); returns the rows changed, by table."""
    changed: dict[str, int] = defaultdict(int)
    if not needles:
        return changed
    for mapper in institution_mappers():
        if is_retained(mapper.class_):
            continue
        keys = [
            key
            for key, column in _columns(mapper)
            if (is_text(column) or is_json(column)) and not is_secret(column)
        ]
        if not keys:
            continue
        for obj in list(_candidates(mapper, needles, user_id=None, scan_json=True)):
            touched = False
            for key in keys:
                value = getattr(obj, key)
                if _mentions(value, needles):
                    setattr(obj, key, _scrubbed(value, needles))
                    touched = True
            if touched:
                changed[mapper.local_table.name] += 1
    db.session.flush()
    return dict(changed)


def erase_person(actor, membership: Membership) -> dict[str, int]:
    """Erase a person's personal data on their request (the account and this institution)."""
    check_erasable(actor, membership)
    user = membership.user
    needles = person_needles(user)
    old_email = user.email
    now = utcnow()
    for invitation in db.session.scalars(
        select(Invitation).where(
            Invitation.email == old_email,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        invitation.revoked_at = now
    db.session.delete(membership)
    db.session.flush()
    changed = scrub(needles)
    user.full_name = PLACEHOLDER
    user.email = f"vylucheno-{user.id}@dozq.invalid"
    user.password_hash = None
    user.is_active = False
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == old_email))
    record(
        actor,
        "privacy.erased",
        user,
        f"Вилучено персональні дані особи на її запит (обліковий запис № {user.id})",
        rows=sum(changed.values()),
        tables=sorted(changed),
    )
    db.session.flush()
    return changed
