"""The tenant boundary: every ORM query of tenant data is scoped here, once.

A request (or a command) sets one ``Scope`` on the session: the institution it
works in, or a founder with all of its institutions. A ``do_orm_execute``
listener adds loader criteria for every tenant-owned model to each SELECT,
UPDATE and DELETE, relationship and column loads included; a ``before_flush``
listener stamps new rows with their tenant and refuses rows of another one.
With no scope set, touching tenant data raises ``TenantScopeError`` (fail
closed). Crossing tenants is explicit and greppable:
``.execution_options(all_tenants=True)``, used only inside ``dozq.tenancy``.

Every transaction that writes an institution's rows — flushed objects or ORM
bulk statements — gives that institution a new random ``data_version`` as it
commits, so what is computed from its data can be kept for as long as that
number holds. Random, not counted: a number never stands for two states of the
data, not even across databases (a restored backup, the test suite's many).

Not covered (so not used on tenant tables): ``text()`` SQL, Core ``Table``
statements (counted for data versions, but not scoped), and objects already
loaded under another scope — one request is one scope.
"""

import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import chain

from sqlalchemy import ForeignKey, bindparam, event, update
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from dozq.db import Base

SCOPE_KEY = "dozq.tenant_scope"
#: Institutions whose rows the session's transaction has written.
WRITTEN_KEY = "dozq.written_institutions"
BYPASS_OPTION = "all_tenants"


class TenantScopeError(RuntimeError):
    """Tenant data was touched outside, or across, the current tenant scope."""


@dataclass(frozen=True)
class Scope:
    """What the current request may see: one institution, or a founder's all."""

    founder_id: int
    institution_ids: tuple[int, ...]
    #: Set when the scope is a single institution (its pages, its public links).
    institution_id: int | None = None

    @classmethod
    def for_institution(cls, institution) -> "Scope":
        return cls(institution.founder_id, (institution.id,), institution.id)

    @classmethod
    def for_founder(cls, founder_id: int, institution_ids) -> "Scope":
        return cls(founder_id, tuple(institution_ids))

    def narrowed(self, institution_ids) -> "Scope":
        """The scope of some institutions of this scope, for reading their own data; of
        one alone, its own scope (plain equalities, cheaper than a list of ids). Rows a
        founder writes for itself or for any institution (invitations, audit) stay
        visible as in the founder's scope when several remain."""
        chosen = tuple(institution_ids)
        if not chosen or not set(chosen) <= set(self.institution_ids):
            raise TenantScopeError("Заклад поза межами поточного доступу.")
        if len(chosen) == 1:
            return Scope(self.founder_id, chosen, chosen[0])
        return Scope(self.founder_id, chosen)

    def including(self, institution_id: int) -> "Scope":
        """The same founder scope with one more (newly created) institution."""
        return Scope(self.founder_id, (*self.institution_ids, institution_id), self.institution_id)


class TenantRoot:
    """The institution itself: visible only when it is in the scope."""

    id: Mapped[int] = mapped_column(primary_key=True)


class InstitutionOwned:
    """Data of one institution: the large majority of dozq's tables."""

    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )


class FounderOwned:
    """Data of a founder as a whole (its administrators, its offers)."""

    founder_id: Mapped[int] = mapped_column(
        ForeignKey("founder.id", ondelete="CASCADE"), index=True
    )


class FounderOrInstitutionOwned:
    """Rows a founder writes for itself or for one institution (invitations, audit).

    In an institution's scope only that institution's rows are visible; in a
    founder's scope, all of the founder's rows.
    """

    founder_id: Mapped[int | None] = mapped_column(
        ForeignKey("founder.id", ondelete="CASCADE"), index=True
    )
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institution.id", ondelete="CASCADE"), index=True
    )


SCOPED_KINDS = (TenantRoot, InstitutionOwned, FounderOwned, FounderOrInstitutionOwned)


def current_scope(session: Session) -> Scope | None:
    return session.info.get(SCOPE_KEY)


def set_scope(session: Session, scope: Scope | None) -> None:
    session.info[SCOPE_KEY] = scope


@contextmanager
def tenant_scope(session: Session, scope: Scope) -> Iterator[Scope]:
    """Work inside ``scope`` (commands, seeding, a service acting for a founder)."""
    previous = current_scope(session)
    set_scope(session, scope)
    try:
        yield scope
    finally:
        set_scope(session, previous)


def is_scoped(cls) -> bool:
    return issubclass(cls, SCOPED_KINDS)


@lru_cache(maxsize=4096)
def _loader_criteria(scope: Scope) -> tuple:
    """The criteria options of one scope, built once: a scope is immutable and equal
    scopes select the same rows, and building the options costs more than the query."""
    founder_id = scope.founder_id
    founder_rows = with_loader_criteria(
        FounderOwned, lambda cls: cls.founder_id == founder_id, include_aliases=True
    )
    if scope.institution_id is not None:
        # One institution: plain equality, nothing to expand on every execution.
        institution_id = scope.institution_id
        return (
            founder_rows,
            with_loader_criteria(
                InstitutionOwned,
                lambda cls: cls.institution_id == institution_id,
                include_aliases=True,
            ),
            with_loader_criteria(
                TenantRoot, lambda cls: cls.id == institution_id, include_aliases=True
            ),
            with_loader_criteria(
                FounderOrInstitutionOwned,
                lambda cls: cls.institution_id == institution_id,
                include_aliases=True,
            ),
        )
    ids = scope.institution_ids
    return (
        founder_rows,
        with_loader_criteria(
            InstitutionOwned, lambda cls: cls.institution_id.in_(ids), include_aliases=True
        ),
        with_loader_criteria(TenantRoot, lambda cls: cls.id.in_(ids), include_aliases=True),
        with_loader_criteria(
            FounderOrInstitutionOwned,
            lambda cls: cls.founder_id == founder_id,
            include_aliases=True,
        ),
    )


#: Kinds whose rows belong to an institution (a founder's own rows do not).
INSTITUTION_KINDS = (TenantRoot, InstitutionOwned, FounderOrInstitutionOwned)


@cache
def _kinds_of_tables(mapper_count: int) -> dict[str, type]:
    """table name → its model, of the tenants' tables."""
    # Keyed by the number of mappers, so a model imported later is not missed.
    return {
        mapper.local_table.name: mapper.class_
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, SCOPED_KINDS)
    }


@cache
def _table_names(mapper_count: int, kinds: tuple) -> frozenset[str]:
    return frozenset(
        name for name, model in _kinds_of_tables(mapper_count).items() if issubclass(model, kinds)
    )


def _touches_tables(state: ORMExecuteState, kinds: tuple) -> bool:
    """Does the statement touch rows of ``kinds`` anywhere, subqueries included?

    ``all_mappers`` names only the top-level entities; a count over a subquery
    (as pagination does) would slip past it.
    """
    if any(issubclass(mapper.class_, kinds) for mapper in state.all_mappers):
        return True
    names = _table_names(len(Base.registry.mappers), kinds)
    tables = find_tables(
        state.statement, include_aliases=True, include_joins=True, include_crud=True
    )
    return any(getattr(table, "name", None) in names for table in tables)


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    return _touches_tables(state, SCOPED_KINDS)


def _touches_institution_tables(state: ORMExecuteState) -> bool:
    return _touches_tables(state, INSTITUTION_KINDS)


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_insert or state.is_update or state.is_delete):
        return
    if state.execution_options.get(BYPASS_OPTION):
        return
    scope = current_scope(state.session)
    if not state.is_select and scope is not None and _touches_institution_tables(state):
        _written(state.session).update(scope.institution_ids)
    if state.is_insert:
        _check_inserted_rows(state, scope)
        return
    if scope is None:
        if _touches_tenant_tables(state):
            raise TenantScopeError("Запит до даних закладу без визначеного закладу.")
        return
    # Applied to every statement while a scope is set: the criteria reach the
    # tenant entities wherever they appear, subqueries and lazy loads included.
    state.statement = state.statement.options(*_loader_criteria(scope))


@event.listens_for(Session, "before_flush")
def _guard_writes(session: Session, flush_context, instances) -> None:
    scope = current_scope(session)
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, SCOPED_KINDS):
            continue
        if scope is None:
            if _is_platform_row(obj):
                continue
            raise TenantScopeError(f"Запис {type(obj).__name__} без визначеного закладу.")
        if obj in session.new:
            _stamp(obj, scope)
        _check(obj, scope, is_new=obj in session.new)
        institution_id = (
            obj.id if isinstance(obj, TenantRoot) else getattr(obj, "institution_id", None)
        )
        # A dirty object may carry no change (an attribute set to its own value).
        changed = obj in session.new or obj in session.deleted or session.is_modified(obj)
        if institution_id is not None and changed:
            _written(session).add(institution_id)


def _written(session: Session) -> set[int]:
    return session.info.setdefault(WRITTEN_KEY, set())


def new_data_version() -> int:
    return secrets.randbits(62)


@event.listens_for(Session, "before_commit")
def _renew_data_versions(session: Session) -> None:
    # Also called when a savepoint is released: the outermost commit renews them.
    if session.in_nested_transaction():
        return
    # Commit flushes after this event: flush first, so that every write is counted.
    session.flush()
    written = session.info.pop(WRITTEN_KEY, None)
    if written:
        institution = Base.metadata.tables["institution"]
        session.execute(
            update(institution)
            .where(institution.c.id == bindparam("written_id"))
            # The same moment of last change: a new version is not an edit of the profile.
            .values(data_version=bindparam("new_version"), updated_at=institution.c.updated_at),
            # One row at a time, in id order: concurrent transactions lock the rows
            # in the same order and cannot deadlock on them.
            [
                {"written_id": institution_id, "new_version": new_data_version()}
                for institution_id in sorted(written)
            ],
            execution_options={BYPASS_OPTION: True},
        )


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session: Session, transaction) -> None:
    # Only the outermost transaction: a savepoint rolled back leaves earlier writes.
    if transaction.parent is None:
        session.info.pop(WRITTEN_KEY, None)


def _is_platform_row(obj) -> bool:
    """An audit row of the platform itself belongs to no tenant."""
    return (
        isinstance(obj, FounderOrInstitutionOwned)
        and obj.founder_id is None
        and obj.institution_id is None
    )


def _stamp(obj, scope: Scope) -> None:
    if isinstance(obj, InstitutionOwned) and obj.institution_id is None:
        obj.institution_id = scope.institution_id
    if isinstance(obj, (FounderOwned, FounderOrInstitutionOwned)) and obj.founder_id is None:
        obj.founder_id = scope.founder_id
    if isinstance(obj, FounderOrInstitutionOwned) and obj.institution_id is None:
        obj.institution_id = scope.institution_id
    if isinstance(obj, TenantRoot) and obj.founder_id is None:
        obj.founder_id = scope.founder_id


def _allowed(kind: type, value, scope: Scope, *, is_new: bool) -> bool:
    """May a row of ``kind`` whose columns ``value(name)`` gives be written in ``scope``?"""
    if issubclass(kind, InstitutionOwned):
        return value("institution_id") in scope.institution_ids
    if issubclass(kind, FounderOwned):
        return value("founder_id") == scope.founder_id
    if issubclass(kind, FounderOrInstitutionOwned):
        institution_id = value("institution_id")
        return value("founder_id") == scope.founder_id and (
            institution_id in scope.institution_ids
            or (institution_id is None and scope.institution_id is None)
        )
    if issubclass(kind, TenantRoot):
        # A founder creates its own institutions; everyone else edits only theirs.
        return value("founder_id") == scope.founder_id and (
            (is_new and scope.institution_id is None) or value("id") in scope.institution_ids
        )
    return True


def _check(obj, scope: Scope, *, is_new: bool) -> None:
    if not _allowed(type(obj), partial(getattr, obj), scope, is_new=is_new):
        raise TenantScopeError(f"Запис {type(obj).__name__} належить іншому закладу.")


def _check_inserted_rows(state: ORMExecuteState, scope: Scope | None) -> None:
    """An INSERT statement (bulk inserts bypass the flush and its checks) may write
    tenants' rows only as objects added to the session may: its rows passed as
    parameters, each naming a tenant of the scope. It reads no tenant's rows (no
    criteria reach inside an INSERT), and an upsert updates only a row of the
    inserted row's own institution."""
    statement = state.statement
    table = getattr(statement, "table", None)
    kinds = _kinds_of_tables(len(Base.registry.mappers))
    kind = kinds.get(getattr(table, "name", None))
    read = find_tables(statement, include_aliases=True, include_joins=True)
    if any(getattr(other, "name", None) in kinds for other in read if other is not table):
        raise TenantScopeError("Вставлення не може читати дані закладів.")
    if kind is None:
        return
    rows = state.parameters
    if scope is None:
        raise TenantScopeError(f"Вставлення записів {kind.__name__} без визначеного закладу.")
    if not rows:
        raise TenantScopeError(
            f"Записи {kind.__name__} вставляються лише зі значеннями-параметрами."
        )
    for row in [rows] if isinstance(rows, Mapping) else rows:
        if not _allowed(kind, row.get, scope, is_new=True):
            raise TenantScopeError(f"Запис {kind.__name__} належить іншому закладу.")
    # No public accessor: the ON CONFLICT clause of the SQLite and PostgreSQL inserts.
    conflict = getattr(statement, "_post_values_clause", None)
    if getattr(conflict, "update_values_to_set", None) and not _updates_own_rows_only(
        statement, conflict, kind
    ):
        raise TenantScopeError(f"Оновлення записів {kind.__name__} іншого закладу.")


def _updates_own_rows_only(statement, conflict, kind: type) -> bool:
    """Does ON CONFLICT DO UPDATE update only a row of the inserted row's institution?
    The conflicting row may be anyone's: its WHERE must say so."""
    if not issubclass(kind, InstitutionOwned) or conflict.update_whereclause is None:
        return False
    own = statement.table.c.institution_id == statement.excluded.institution_id
    return conflict.update_whereclause.compare(own)
