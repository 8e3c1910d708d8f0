"""The tenancy mechanism itself, query shape by query shape, on every database."""

import re
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from dozq.auth.models import Invitation, LoginFailure
from dozq.db import db
from dozq.surveys.models import SurveyGroup
from dozq.tenancy.models import Institution, Membership, Role
from dozq.tenancy.scope import Scope, TenantScopeError, set_scope, tenant_scope

PACKAGE = Path(__file__).resolve().parents[1] / "dozq"


def scope_of(tenant):
    institution = db.session.get(
        Institution, tenant.institution_id, execution_options={"all_tenants": True}
    )
    return Scope.for_institution(institution)


def test_a_query_without_a_scope_raises(app, world):
    with app.app_context(), pytest.raises(TenantScopeError):
        db.session.scalars(select(Membership)).all()


def test_select_count_and_paginate_see_only_the_scope(app, world):
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        members = db.session.scalars(select(Membership)).all()
        assert {m.institution_id for m in members} == {world.a.institution_id}
        assert db.session.scalar(select(func.count(Membership.id))) == 4
        page = db.paginate(select(Membership), page=1, per_page=50)
        assert page.total == 4


def test_get_of_a_foreign_row_is_none_cold_and_warm(app, world):
    with app.app_context():
        with tenant_scope(db.session, scope_of(world.b)):
            foreign_id = db.session.scalar(select(Membership.id).limit(1))
        db.session.expunge_all()
        with tenant_scope(db.session, scope_of(world.a)):
            assert db.session.get(Membership, foreign_id) is None
            assert db.session.get(Institution, world.b.institution_id) is None


def test_changing_the_scope_between_queries_is_not_defeated_by_caching(app, world):
    with app.app_context():
        seen = []
        for tenant in (world.a, world.b, world.a2):
            with tenant_scope(db.session, scope_of(tenant)):
                seen.append(set(db.session.scalars(select(Membership.institution_id))))
        assert seen == [
            {world.a.institution_id},
            {world.b.institution_id},
            {world.a2.institution_id},
        ]


def test_relationship_loads_and_joins_are_scoped(app, world):
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        other = aliased(Membership)
        pairs = db.session.execute(
            select(Membership.id, other.id).join(other, other.user_id != Membership.user_id)
        ).all()
        assert pairs
        ids = {row[1] for row in pairs}
        assert db.session.scalar(select(func.count()).where(Membership.id.in_(ids))) == len(ids)
        institution = db.session.get(Institution, world.a.institution_id)
        assert institution is not None
        joined = db.session.scalars(
            select(Institution).join(Membership, Membership.institution_id != Institution.id)
        ).all()
        assert joined == []


def test_bulk_update_and_delete_touch_only_the_scope(app, world):
    with app.app_context():
        with tenant_scope(db.session, scope_of(world.a)):
            db.session.execute(update(Membership).values(position="оновлено"))
            db.session.execute(delete(Invitation))
            db.session.commit()
        with tenant_scope(db.session, scope_of(world.b)):
            positions = set(db.session.scalars(select(Membership.position)))
            assert "оновлено" not in positions
            assert db.session.scalar(select(func.count(Invitation.id))) == 1


def data_versions(world) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Institution.id, Institution.data_version).execution_options(all_tenants=True)
        ).all()
    )


def test_every_committed_write_renews_its_institutions_data_version(app, world):
    """What is kept under an institution's data version (the founder's board) is never
    served after a write: each committed write renews the version of the institution
    it wrote, and nothing else does."""
    with app.app_context():
        start = data_versions(world)
        assert len(set(start.values())) == len(start), "versions are not shared"

        def renewed():
            now = data_versions(world)
            return {key for key in now if now[key] != start[key]}

        with tenant_scope(db.session, scope_of(world.a)):
            db.session.scalars(select(Membership)).all()
            db.session.commit()
            assert renewed() == set(), "a read renews nothing"
            member = db.session.scalar(select(Membership).limit(1))
            member.position = member.position
            db.session.commit()
            assert renewed() == set(), "setting a value it already has is no write"
            member = db.session.scalar(select(Membership).limit(1))
            member.position = "вихователь-методист (оновлено)"
            db.session.flush()
            db.session.rollback()
            db.session.scalars(select(Membership)).all()
            db.session.commit()
            assert renewed() == set(), "a rolled back write renews nothing"
            member = db.session.scalar(select(Membership).limit(1))
            member.position = "вихователь-методист (оновлено)"
            db.session.commit()
            assert renewed() == {world.a.institution_id}
        start = data_versions(world)
        with tenant_scope(db.session, scope_of(world.b)):
            db.session.execute(update(Membership).values(position="оновлено разом"))
            db.session.commit()
            assert renewed() == {world.b.institution_id}, "bulk statements count too"
        start = data_versions(world)
        with tenant_scope(db.session, scope_of(world.a2)):
            db.session.execute(update(Membership).values(position="до точки збереження"))
            savepoint = db.session.begin_nested()
            db.session.execute(delete(Invitation))
            savepoint.rollback()
            db.session.commit()
            assert renewed() == {world.a2.institution_id}, "a savepoint's rollback keeps it"
        start = data_versions(world)
        with tenant_scope(db.session, scope_of(world.a2)):
            db.session.execute(update(Membership).values(position="перед двома точками"))
            outer = db.session.begin_nested()
            db.session.begin_nested().commit()
            outer.rollback()
            db.session.commit()
            assert renewed() == {world.a2.institution_id}, "a released savepoint keeps it too"


def test_new_rows_are_stamped_and_foreign_rows_refused(app, world):
    with app.app_context(), tenant_scope(db.session, scope_of(world.a)):
        membership = Membership(user_id=world.b.users[Role.TEACHER], role=Role.TEACHER)
        db.session.add(membership)
        db.session.flush()
        assert membership.institution_id == world.a.institution_id
        db.session.rollback()
        db.session.add(
            Membership(
                user_id=world.a.users[Role.TEACHER],
                role=Role.TEACHER,
                institution_id=world.b.institution_id,
            )
        )
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()


def test_bulk_inserts_name_tenants_of_the_scope_only(app, world):
    """Rows inserted by one statement bypass the flush: they are checked all the same."""

    def group(name, institution_id):
        return {"name": name, "institution_id": institution_id, "position": 0, "version": 1}

    own = world.a.institution_id
    with app.app_context():
        with pytest.raises(TenantScopeError):
            db.session.execute(insert(SurveyGroup), [group("Без закладу", own)])
        db.session.rollback()
        with tenant_scope(db.session, scope_of(world.a)):
            for rows in (
                [group("Своя", own), group("Чужа", world.b.institution_id)],
                [{"name": "Без позначки", "position": 0, "version": 1}],
            ):
                with pytest.raises(TenantScopeError):
                    db.session.execute(insert(SurveyGroup), rows)
                db.session.rollback()
            with pytest.raises(TenantScopeError):
                db.session.execute(insert(SurveyGroup).values(group("У запиті", own)))
            db.session.rollback()
            db.session.execute(insert(SurveyGroup), [group("Своя", own), group("Ще своя", own)])
            db.session.commit()
            names = set(db.session.scalars(select(SurveyGroup.name)))
        assert {"Своя", "Ще своя"} <= names and not {"Чужа", "Без позначки"} & names
        with tenant_scope(db.session, scope_of(world.b)):
            assert "Чужа" not in set(db.session.scalars(select(SurveyGroup.name)))


def test_an_insert_neither_reads_nor_upserts_another_tenants_rows(app, world):
    with app.app_context():
        with tenant_scope(db.session, scope_of(world.b)):
            foreign = SurveyGroup(name="Група Б", position=0)
            db.session.add(foreign)
            db.session.commit()
            foreign_id = foreign.id
        dialect = db.session.get_bind().dialect.name
        upsert = (sqlite_insert if dialect == "sqlite" else pg_insert)(SurveyGroup)
        own = world.a.institution_id
        row = {"id": foreign_id, "name": "Чужу перейменовано", "institution_id": own}
        with tenant_scope(db.session, scope_of(world.a)):
            hijack = upsert.on_conflict_do_update(
                index_elements=[SurveyGroup.id], set_={"name": upsert.excluded.name}
            )
            # Every institution's group names copied out of sight of the scope.
            copy = insert(LoginFailure).from_select(
                ["email", "at"], select(SurveyGroup.name, func.current_timestamp())
            )
            for statement, rows in ((hijack, [row | {"position": 0, "version": 1}]), (copy, None)):
                with pytest.raises(TenantScopeError):
                    db.session.execute(statement, rows)
                db.session.rollback()
        with tenant_scope(db.session, scope_of(world.b)):
            names = db.session.scalars(select(SurveyGroup.name).where(SurveyGroup.id == foreign_id))
            assert names.all() == ["Група Б"]


def test_a_foreign_row_loaded_elsewhere_cannot_be_saved_in_this_scope(app, world):
    with app.app_context():
        with tenant_scope(db.session, scope_of(world.b)):
            foreign = db.session.scalar(select(Membership).limit(1))
        set_scope(db.session, scope_of(world.a))
        foreign.position = "підмінено"
        with pytest.raises(TenantScopeError):
            db.session.flush()
        db.session.rollback()
        set_scope(db.session, None)


def test_founder_scope_covers_its_institutions_only(app, world):
    with app.app_context():
        ids = (world.a.institution_id, world.a2.institution_id)
        with tenant_scope(db.session, Scope.for_founder(world.a.founder_id, ids)):
            seen = set(db.session.scalars(select(Institution.id)))
            assert seen == set(ids)


def test_a_founder_scope_narrows_to_its_own_institutions_only(app, world):
    with app.app_context():
        ids = (world.a.institution_id, world.a2.institution_id)
        founder = Scope.for_founder(world.a.founder_id, ids)
        for chosen in ([world.a2.institution_id], ids):
            with tenant_scope(db.session, founder.narrowed(chosen)):
                seen = set(db.session.scalars(select(Membership.institution_id)))
                assert seen == set(chosen)
        for outside in ([world.b.institution_id], [world.a.institution_id, world.b.institution_id]):
            with pytest.raises(TenantScopeError):
                founder.narrowed(outside)


def test_no_raw_sql_reaches_tenant_tables():
    """``text()`` bypasses the scope. Outside the health check it may only spell a
    partial index's predicate (DDL, not a query)."""
    imports_text = re.compile(r"from sqlalchemy import [^\n]*\btext\b(?: as (\w+))?")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        source = path.read_text()
        found = imports_text.search(source)
        if found is None or path.relative_to(PACKAGE).as_posix() == "web/views.py":
            continue
        name = found.group(1) or "text"
        calls = [line for line in source.splitlines() if f"{name}(" in line]
        offenders += [f"{path.name}: {line.strip()}" for line in calls if "_where=" not in line]
    assert offenders == []


def test_crossing_tenants_is_confined_to_the_tenancy_package():
    crossing = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "BYPASS_OPTION" in path.read_text() or "all_tenants" in path.read_text()
    )
    assert all(name.startswith("tenancy/") for name in crossing), crossing
