"""Founders, institutions and their people: the steps administrators take."""

import re

from sqlalchemy import func, select

from dozq.audit.services import record
from dozq.db import apply_changes, db
from dozq.tenancy.models import Founder, Institution, InstitutionKind, Membership, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, current_scope, set_scope, tenant_scope
from dozq.web.errors import ConflictError, DomainError

INSTITUTION_FIELDS = (
    "full_name",
    "short_name",
    "kind",
    "edrpou",
    "address",
    "website",
    "phone",
    "email",
    "director_name",
    "director_title",
)


INSTITUTION_FIELD_LABELS = {
    "full_name": "повна назва",
    "short_name": "скорочена назва",
    "kind": "тип",
    "edrpou": "код ЄДРПОУ",
    "address": "адреса",
    "website": "вебсайт",
    "phone": "телефон",
    "email": "електронна пошта",
    "director_name": "керівник",
    "director_title": "посада керівника",
}

FOUNDER_FIELDS = ("name", "short_name", "slug", "edrpou", "address", "email", "phone")

#: The national transliteration (КМУ № 55, 2010), enough for readable addresses.
_TRANSLIT = dict(
    zip(
        "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя'’",
        [
            "a",
            "b",
            "v",
            "h",
            "g",
            "d",
            "e",
            "ie",
            "zh",
            "z",
            "y",
            "i",
            "i",
            "i",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "iu",
            "ia",
            "",
            "",
        ],
        strict=True,
    )
)


def slugify(text: str) -> str:
    latin = "".join(_TRANSLIT.get(char, char) for char in text.lower())
    return re.sub(r"[^a-z0-9]+", "-", latin).strip("-")[:50] or "zdo"


def _unique_slug(model, base: str) -> str:
    taken = set(
        db.session.scalars(
            select(model.slug)
            .where(model.slug.like(f"{base}%"))
            .execution_options(**{BYPASS_OPTION: True})
        )
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _clean(data: dict, fields) -> dict:
    return {name: (data[name] or "").strip() for name in fields if name in data}


def check_version(obj, version: int | None) -> None:
    """Refuse a save based on an older version than the one stored."""
    if version is not None and obj.version != version:
        raise ConflictError(
            "Поки ви редагували, цей запис змінив інший користувач. "
            "Оновіть сторінку, щоб побачити нову версію, і внесіть свої зміни знову."
        )


def create_founder(actor, data: dict) -> Founder:
    """A new founder on the platform."""
    values = _clean(data, FOUNDER_FIELDS)
    if db.session.scalar(select(Founder.id).where(Founder.slug == values["slug"])):
        raise DomainError("Така адреса вже зайнята іншим засновником.")
    founder = Founder(**values)
    db.session.add(founder)
    db.session.flush()
    with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
        record(actor, "founder.created", founder, f"Створено засновника «{founder.name}»")
        db.session.flush()
    return founder


def update_founder(actor, founder: Founder, data: dict) -> list[str]:
    values = _clean(data, FOUNDER_FIELDS)
    clash = db.session.scalar(
        select(Founder.id).where(Founder.slug == values["slug"], Founder.id != founder.id)
    )
    if clash:
        raise DomainError("Така адреса вже зайнята іншим засновником.")
    changed = apply_changes(founder, values)
    if changed:
        with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
            record(actor, "founder.updated", founder, "Змінено дані засновника", fields=changed)
            db.session.flush()
    return changed


def create_institution(actor, data: dict) -> Institution:
    """A founder adds an institution; its pages open at /i/<slug>/."""
    values = _clean(data, INSTITUTION_FIELDS)
    values["kind"] = InstitutionKind(values["kind"])
    values["director_title"] = values.get("director_title") or "директор"
    institution = Institution(
        slug=_unique_slug(Institution, slugify(values["short_name"])), **values
    )
    db.session.add(institution)
    db.session.flush()
    set_scope(db.session, current_scope(db.session).including(institution.id))
    record(
        actor,
        "institution.created",
        institution,
        f"Створено заклад «{institution.short_name}»",
    )
    # Imported here: the quality system's services import this module.
    from dozq.quality_system.services import set_up_quality_system

    set_up_quality_system(institution, actor)
    return institution


def update_institution(
    actor, institution: Institution, data: dict, version: int | None
) -> list[str]:
    """Save the profile; returns what changed (empty when nothing did)."""
    check_version(institution, version)
    values = _clean(data, INSTITUTION_FIELDS)
    values["kind"] = InstitutionKind(values["kind"])
    changed = apply_changes(institution, values)
    if changed:
        db.session.flush()
        record(
            actor,
            "institution.updated",
            institution,
            "Змінено профіль закладу: "
            + ", ".join(INSTITUTION_FIELD_LABELS[name] for name in changed),
            fields=changed,
        )
    return changed


def _directors_left(excluding: Membership) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.role == Role.DIRECTOR, Membership.id != excluding.id
        )
    )


def change_role(actor, membership: Membership, role: Role) -> None:
    """Give a member another role; an institution always keeps a director."""
    if membership.role == role:
        return
    if membership.role == Role.DIRECTOR and _directors_left(membership) == 0:
        raise DomainError("У закладі має залишитися хоча б один керівник.")
    previous = membership.role
    membership.role = role
    record(
        actor,
        "membership.role_changed",
        membership,
        f"{membership.user.full_name}: роль «{previous.label}» змінено на «{role.label}»",
    )


def remove_member(actor, membership: Membership) -> None:
    """The person no longer works here; their account and other workplaces stay."""
    if membership.role == Role.DIRECTOR and _directors_left(membership) == 0:
        raise DomainError("У закладі має залишитися хоча б один керівник.")
    record(
        actor,
        "membership.removed",
        membership,
        f"{membership.user.full_name} більше не працює в закладі",
    )
    db.session.delete(membership)


def all_institutions() -> list[Institution]:
    """Every institution on the platform, oldest first (for the command line)."""
    return db.session.scalars(
        select(Institution).order_by(Institution.id).execution_options(**{BYPASS_OPTION: True})
    ).all()
