"""Helpers the self-assessment tests share (no tests here)."""

import io
from contextlib import contextmanager
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dozq.assessment import services
from dozq.assessment.models import AssessmentCycle, ChecklistTemplate, CycleStatus
from dozq.auth.models import User
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.tenancy.models import Institution, Membership, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from tests.factories import add_member, make_user, tiny_png

TODAY = date.today()


@contextmanager
def scoped(app, tenant):
    """An app context working in ``tenant``'s institution."""
    with app.app_context():
        institution = db.session.get(
            Institution, tenant.institution_id, execution_options={BYPASS_OPTION: True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            yield institution


def person(tenant, role: Role) -> User:
    return db.session.get(User, tenant.users[role])


def cycle_values(**overrides) -> dict:
    return {
        "title": "Самооцінювання для тесту",
        "school_year": 2025,
        "starts_on": TODAY - timedelta(days=60),
        "ends_on": TODAY + timedelta(days=60),
        "model_kind": "annual_comprehensive",
        "scope_kind": "all",
        **overrides,
    }


def new_cycle(tenant, **overrides) -> AssessmentCycle:
    return services.create_cycle(person(tenant, Role.DIRECTOR), cycle_values(**overrides))


def indicators(cycle) -> list[CatalogItem]:
    return db.session.scalars(
        select(CatalogItem)
        .where(CatalogItem.catalog_id == cycle.catalog_id, CatalogItem.kind == ItemKind.INDICATOR)
        .order_by(CatalogItem.code)
    ).all()


def items_of(cycle, kind: ItemKind) -> list[CatalogItem]:
    return db.session.scalars(
        select(CatalogItem)
        .where(CatalogItem.catalog_id == cycle.catalog_id, CatalogItem.kind == kind)
        .order_by(CatalogItem.code)
    ).all()


def template(source_key: str = "environment") -> ChecklistTemplate:
    return db.session.scalar(
        select(ChecklistTemplate).where(ChecklistTemplate.source_key == source_key)
    )


def started(tenant, **overrides) -> AssessmentCycle:
    """A new cycle with its working group, collecting evidence."""
    director = person(tenant, Role.DIRECTOR)
    cycle = new_cycle(tenant, **overrides)
    services.add_member(director, cycle, {"group_role": "head"}, person(tenant, Role.TEACHER))
    services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
    return cycle


def advance(tenant, cycle, *targets) -> None:
    director = person(tenant, Role.DIRECTOR)
    for target in targets:
        services.transition(director, Role.DIRECTOR, cycle, target)


def observe(tenant, cycle, indicator, marks, actor=None, uploads=()):
    tpl = template()
    marks = list(marks) + [None] * (len(tpl.items) - len(marks))
    return services.record_observation(
        actor or person(tenant, Role.METHODOLOGIST),
        cycle,
        tpl,
        {
            "occurred_on": TODAY,
            "group_name": "Бджілка",
            "marks": [(mark, "") for mark in marks],
            "indicator_ids": [indicator.id],
        },
        observers=[person(tenant, Role.METHODOLOGIST)],
        observed_user=person(tenant, Role.TEACHER),
        uploads=uploads,
    )


def png(name: str = "фото.png") -> FileStorage:
    return FileStorage(io.BytesIO(tiny_png()), filename=name)


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 0.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def second_teacher(tenant) -> int:
    """Another teacher of the same institution; returns the user id."""
    institution = db.session.get(
        Institution, tenant.institution_id, execution_options={BYPASS_OPTION: True}
    )
    user = make_user(f"teacher2.{tenant.slug}@test.example.com", "Друга Вихователька")
    add_member(institution, user, Role.TEACHER, "вихователь")
    db.session.commit()
    return user.id


def members() -> list[Membership]:
    return db.session.scalars(select(Membership)).all()
