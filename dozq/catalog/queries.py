"""Read side: a whole catalog tree in one query, templates and their versions."""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from dozq.catalog.models import (
    CatalogItem,
    CatalogOffer,
    CatalogTemplate,
    CatalogTemplateItem,
    InstitutionCatalog,
    ItemKind,
    WordingStatus,
)
from dozq.catalog.tree import Node
from dozq.db import db


@dataclass(slots=True)
class TreeRow:
    """One item as pages show it, in reading order (directions first, then down)."""

    id: int
    parent_id: int | None
    kind: ItemKind
    code: str
    text: str
    wording_status: WordingStatus
    seed_quote: str
    source: str
    methods: list
    position: int
    enabled: bool = True
    is_own: bool = False
    version: int = 0
    #: False when the item or one of its ancestors is switched off.
    active: bool = True
    first: bool = False
    last: bool = False
    children: list["TreeRow"] = field(default_factory=list)

    def to_node(self) -> Node:
        return Node(
            kind=self.kind,
            code=self.code,
            text=self.text,
            wording_status=self.wording_status,
            seed_quote=self.seed_quote,
            source=self.source,
            methods=list(self.methods or []),
            enabled=self.enabled,
            is_own=self.is_own,
            children=[child.to_node() for child in self.children],
        )


_COMMON = ("id", "parent_id", "kind", "code", "text", "wording_status", "seed_quote", "source")


def _columns(model, extra=()):
    names = (*_COMMON, "methods", "position", *extra)
    return [getattr(model, name) for name in names], names


def _build(rows, names) -> list[TreeRow]:
    """Roots (directions) with their children, ordered by position."""
    items = [TreeRow(**dict(zip(names, row, strict=True))) for row in rows]
    by_parent: dict[int | None, list[TreeRow]] = {}
    for item in items:
        by_parent.setdefault(item.parent_id, []).append(item)
    for siblings in by_parent.values():
        siblings.sort(key=lambda item: (item.position, item.id))
        siblings[0].first = True
        siblings[-1].last = True
    for item in items:
        item.children = by_parent.get(item.id, [])
    roots = by_parent.get(None, [])
    _mark_active(roots, True)
    return roots


def _mark_active(rows: list[TreeRow], parent_active: bool) -> None:
    for row in rows:
        row.active = parent_active and row.enabled
        _mark_active(row.children, row.active)


def flatten(roots: list[TreeRow]) -> list[TreeRow]:
    """Pre-order: each item followed by its subtree."""
    result: list[TreeRow] = []
    stack = list(reversed(roots))
    while stack:
        row = stack.pop()
        result.append(row)
        stack.extend(reversed(row.children))
    return result


def catalog_tree(catalog_id: int) -> list[TreeRow]:
    """An institution's catalog, all levels, in one query."""
    columns, names = _columns(CatalogItem, ("enabled", "is_own", "version"))
    rows = db.session.execute(select(*columns).where(CatalogItem.catalog_id == catalog_id)).all()
    return _build(rows, names)


def template_tree(template_id: int) -> list[TreeRow]:
    """A platform template, all levels, in one query."""
    columns, names = _columns(CatalogTemplateItem)
    rows = db.session.execute(
        select(*columns).where(CatalogTemplateItem.template_id == template_id)
    ).all()
    return _build(rows, names)


def active_catalog() -> InstitutionCatalog | None:
    """The catalog the current institution works with."""
    return db.session.scalar(select(InstitutionCatalog).where(InstitutionCatalog.is_active))


def catalogs_with_newest() -> list[tuple[InstitutionCatalog, int | None]]:
    """All of the institution's catalogs, the active first, each with the newest version
    number of the template it follows — one query for the catalog page."""
    newest = (
        select(func.max(CatalogTemplate.version_number))
        .where(CatalogTemplate.name == InstitutionCatalog.template_name)
        .correlate(InstitutionCatalog)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(InstitutionCatalog, newest).order_by(
            InstitutionCatalog.is_active.desc(),
            InstitutionCatalog.archived_at.desc(),
            InstitutionCatalog.id.desc(),
        )
    ).all()
    return [(catalog, number) for catalog, number in rows]


def archived_catalogs() -> list[InstitutionCatalog]:
    return db.session.scalars(
        select(InstitutionCatalog)
        .where(InstitutionCatalog.is_active.is_(False))
        .order_by(InstitutionCatalog.archived_at.desc())
    ).all()


def latest_template(name: str) -> CatalogTemplate | None:
    return db.session.scalar(
        select(CatalogTemplate)
        .where(CatalogTemplate.name == name)
        .order_by(CatalogTemplate.version_number.desc())
        .limit(1)
    )


def newer_template(catalog: InstitutionCatalog) -> CatalogTemplate | None:
    """The newest version of the template a catalog follows, if newer than its own."""
    if not catalog.template_name or catalog.template_version is None:
        return None
    latest = latest_template(catalog.template_name)
    if latest is None or latest.version_number <= catalog.template_version:
        return None
    return latest


def latest_templates() -> list[tuple[CatalogTemplate, int]]:
    """The newest version of every template, with its number of indicators."""
    newest = (
        select(CatalogTemplate.name, func.max(CatalogTemplate.version_number).label("number"))
        .group_by(CatalogTemplate.name)
        .subquery()
    )
    indicators = (
        select(CatalogTemplateItem.template_id, func.count().label("count"))
        .where(CatalogTemplateItem.kind == ItemKind.INDICATOR)
        .group_by(CatalogTemplateItem.template_id)
        .subquery()
    )
    return db.session.execute(
        select(CatalogTemplate, func.coalesce(indicators.c.count, 0))
        .join(
            newest,
            (newest.c.name == CatalogTemplate.name)
            & (newest.c.number == CatalogTemplate.version_number),
        )
        .outerjoin(indicators, indicators.c.template_id == CatalogTemplate.id)
        .order_by(CatalogTemplate.origin, CatalogTemplate.name)
    ).all()


def all_template_versions() -> list[CatalogTemplate]:
    return db.session.scalars(
        select(CatalogTemplate).order_by(
            CatalogTemplate.name, CatalogTemplate.version_number.desc()
        )
    ).all()


def current_offers() -> list[CatalogOffer]:
    """The founder's offers still standing (in an institution's or founder's scope)."""
    return db.session.scalars(
        select(CatalogOffer)
        .join(CatalogOffer.template)
        .where(CatalogOffer.withdrawn_at.is_(None))
        .options(contains_eager(CatalogOffer.template))
        .order_by(CatalogOffer.created_at.desc())
    ).all()
