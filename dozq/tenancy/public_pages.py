"""Public pages named by a slug (/p/<institution_slug>/, /pf/<founder_slug>/).

A visitor belongs to no tenant, so finding the institution (or the founder's
institutions) crosses tenants; it happens here, and the request's scope is set
from what was found — everything the public page reads after that is scoped
as usual (and the page itself shows only what was published).
"""

from sqlalchemy import select

from dozq.db import db
from dozq.tenancy.models import Founder, Institution
from dozq.tenancy.scope import BYPASS_OPTION, Scope, set_scope

MAX_SLUG_LENGTH = 60


def enter_institution_by_slug(slug: str) -> Institution | None:
    """The institution with this slug, with the request's scope set to it; None if none."""
    if not slug or len(slug) > MAX_SLUG_LENGTH:
        return None
    institution = db.session.scalar(
        select(Institution)
        .where(Institution.slug == slug)
        .execution_options(**{BYPASS_OPTION: True})
    )
    if institution is not None:
        set_scope(db.session, Scope.for_institution(institution))
    return institution


def enter_founder_by_slug(slug: str) -> tuple[Founder, list[Institution]] | None:
    """The founder with this slug and its institutions (alphabetically), with the
    request's scope set to all of them; None if there is no such founder."""
    if not slug or len(slug) > MAX_SLUG_LENGTH:
        return None
    founder = db.session.scalar(select(Founder).where(Founder.slug == slug))
    if founder is None:
        return None
    institutions = db.session.scalars(
        select(Institution)
        .where(Institution.founder_id == founder.id)
        .order_by(Institution.short_name, Institution.id)
        .execution_options(**{BYPASS_OPTION: True})
    ).all()
    set_scope(db.session, Scope.for_founder(founder.id, [i.id for i in institutions]))
    return founder, list(institutions)


def every_institution() -> list[Institution]:
    """All institutions (for commands that scan each one in its own scope in turn)."""
    return db.session.scalars(
        select(Institution).order_by(Institution.id).execution_options(**{BYPASS_OPTION: True})
    ).all()
