"""Reads of the publication area (in the current scope)."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dozq.catalog.models import CatalogItem, InstitutionCatalog, ItemKind
from dozq.db import db
from dozq.publication.models import MonitoringIndicator, MonitoringProgramme, ProgrammeStatus


def indicator_choices() -> dict[int, str]:
    """Enabled indicators of the institution's active catalog, by code."""
    rows = db.session.execute(
        select(CatalogItem.id, CatalogItem.code, CatalogItem.text)
        .join(InstitutionCatalog, InstitutionCatalog.id == CatalogItem.catalog_id)
        .where(
            InstitutionCatalog.is_active,
            CatalogItem.kind == ItemKind.INDICATOR,
            CatalogItem.enabled,
        )
        .order_by(CatalogItem.position, CatalogItem.id)
    ).all()
    return {row.id: f"{row.code} {row.text}" for row in rows}


def programmes() -> list[MonitoringProgramme]:
    return db.session.scalars(
        select(MonitoringProgramme).order_by(
            MonitoringProgramme.created_at.desc(), MonitoringProgramme.id.desc()
        )
    ).all()


def published_programmes() -> list[MonitoringProgramme]:
    """Only what was published, newest first, with indicators loaded."""
    return db.session.scalars(
        select(MonitoringProgramme)
        .where(MonitoringProgramme.status == ProgrammeStatus.PUBLISHED)
        .order_by(MonitoringProgramme.published_at.desc(), MonitoringProgramme.id.desc())
        .options(
            selectinload(MonitoringProgramme.indicators).joinedload(
                MonitoringIndicator.catalog_item
            )
        )
    ).all()
