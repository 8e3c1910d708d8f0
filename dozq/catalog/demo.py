"""Demo content of the catalog: the starter catalog, offered by the founder and
adopted by its first institution. Idempotent, like the rest of the demo."""

from sqlalchemy import select

from dozq.auth.models import User
from dozq.catalog import queries, services
from dozq.catalog.models import CatalogOffer
from dozq.db import db
from dozq.tenancy.scope import Scope, tenant_scope

DEMO_NOTE = "Рекомендуємо почати зі стартового каталогу й доповнити його власними індикаторами."


def load_catalog_demo(founder, founder_admin: User, director_email: str) -> None:
    from dozq.tenancy.services import all_institutions

    starter = services.ensure_starter()
    institutions = [i for i in all_institutions() if i.founder_id == founder.id]
    if not institutions:
        return
    with tenant_scope(db.session, Scope.for_founder(founder.id, [i.id for i in institutions])):
        offered = db.session.scalar(
            select(CatalogOffer.id).where(CatalogOffer.template_id == starter.id)
        )
        if offered is None:
            services.offer(founder_admin, starter, DEMO_NOTE)
    first = min(institutions, key=lambda institution: institution.id)
    director = db.session.scalar(select(User).where(User.email == director_email))
    with tenant_scope(db.session, Scope.for_institution(first)):
        if queries.active_catalog() is None:
            services.adopt(director or founder_admin, starter)
    db.session.flush()
