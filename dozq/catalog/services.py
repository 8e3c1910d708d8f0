"""Catalog workflows: templates, adopting, shaping an institution's copy, versions, offers.

Every function takes the actor, changes the session, flushes, records the step
in the audit log and never commits.
"""

from collections import defaultdict
from functools import lru_cache

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm.exc import StaleDataError

from dozq.audit.services import record
from dozq.catalog import queries
from dozq.catalog.importers.yaml_source import parse_yaml_text
from dozq.catalog.models import (
    CatalogItem,
    CatalogOffer,
    CatalogTemplate,
    CatalogTemplateItem,
    InstitutionCatalog,
    ItemKind,
    Origin,
    WordingStatus,
    ordered_methods,
)
from dozq.catalog.tree import (
    STARTER_NAME,
    STARTER_PATH,
    Node,
    ParsedCatalog,
    counts_text,
    normalise_text,
    verify_statuses,
)
from dozq.db import db, utcnow
from dozq.tenancy.services import check_version
from dozq.web.errors import ConflictError, DomainError

CONFLICT_MESSAGE = (
    "Поки ви редагували, цей елемент змінив інший користувач. Ваші зміни не збережено: "
    "оновіть сторінку, щоб побачити нову версію, і внесіть їх знову."
)


# Platform templates.


def save_template(
    actor,
    catalog: ParsedCatalog,
    name: str,
    origin: Origin | None = None,
    *,
    trust_statuses: bool = False,
) -> tuple[CatalogTemplate, bool]:
    """Store a catalog as the next version of the platform template ``name``.

    Returns the template and whether a version was added: importing the same
    content as the newest version again changes nothing.
    """
    name = normalise_text(name)
    if not name:
        raise DomainError("Вкажіть назву каталогу.")
    if not trust_statuses:
        verify_statuses(catalog)
    content_hash = catalog.content_hash()
    latest = queries.latest_template(name)
    if latest is not None and latest.content_hash == content_hash:
        return latest, False
    template = CatalogTemplate(
        name=name,
        version_number=(latest.version_number + 1) if latest else 1,
        origin=origin or catalog.origin or Origin.IMPORTED,
        edition=catalog.edition,
        note=catalog.note,
        source=catalog.source,
        content_hash=content_hash,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(template)
    db.session.flush()
    _insert_tree(CatalogTemplateItem, {"template_id": template.id}, catalog.directions)
    record(
        actor,
        "catalog.template_imported",
        template,
        f"Завантажено каталог «{template.name}», версія {template.version_number}: "
        + counts_text(catalog.counts()),
        name=template.name,
        version=template.version_number,
    )
    return template, True


@lru_cache(maxsize=1)
def _parsed_starter(modified_ns: int):
    """The starter file parsed once per version of the file: parsing is the slow part."""
    return parse_yaml_text(STARTER_PATH.read_text(encoding="utf-8"))


def ensure_starter(actor=None) -> CatalogTemplate:
    """The starter catalog on this installation: added once, again only if the file changed."""
    catalog = _parsed_starter(STARTER_PATH.stat().st_mtime_ns)
    template, _created = save_template(
        actor, catalog, STARTER_NAME, Origin.DOZQ_STARTER, trust_statuses=True
    )
    return template


def _insert_tree(model, fixed: dict, roots: list[Node]) -> dict[str, object]:
    """Insert nodes level by level (parents get their ids first); code → row."""
    created: dict[str, object] = {}
    level = [(None, position, node) for position, node in enumerate(roots)]
    while level:
        rows = []
        for parent, position, node in level:
            row = model(
                **fixed,
                parent_id=parent.id if parent is not None else None,
                kind=node.kind,
                code=node.code,
                text=node.text,
                wording_status=node.wording_status,
                seed_quote=node.seed_quote,
                source=node.source,
                methods=ordered_methods(node.methods),
                position=position,
            )
            if model is CatalogItem:
                row.enabled = node.enabled
                row.is_own = node.is_own
            rows.append((row, node))
        db.session.add_all(row for row, _node in rows)
        db.session.flush()
        level = []
        for row, node in rows:
            created[node.code] = row
            level += [(row, position, child) for position, child in enumerate(node.children)]
    return created


# An institution's catalog.


def _archive_current() -> InstitutionCatalog | None:
    current = queries.active_catalog()
    if current is not None:
        current.is_active = False
        current.archived_at = utcnow()
        db.session.flush()
    return current


def adopt(actor, template: CatalogTemplate) -> InstitutionCatalog:
    """The institution takes its own copy of a template; the previous catalog is archived."""
    current = queries.active_catalog()
    if current is not None and current.template_id == template.id:
        raise DomainError(
            f"Заклад уже працює з каталогом «{template.title}». Його можна змінювати на "
            "сторінці каталогу; новіші версії пропонуються там само."
        )
    previous = _archive_current()
    catalog = InstitutionCatalog(
        name=template.name,
        origin=template.origin,
        note=template.note,
        source=template.source,
        template_id=template.id,
        template_name=template.name,
        template_version=template.version_number,
        adopted_by_id=actor.id,
    )
    db.session.add(catalog)
    db.session.flush()
    roots = [row.to_node() for row in queries.template_tree(template.id)]
    _insert_tree(CatalogItem, {"catalog_id": catalog.id}, roots)
    record(
        actor,
        "catalog.adopted",
        catalog,
        f"Заклад прийняв каталог «{template.name}», версія {template.version_number}"
        + (f"; попередній каталог «{previous.name}» перенесено до архіву" if previous else ""),
        template_id=template.id,
        version=template.version_number,
    )
    return catalog


def import_catalog(actor, catalog: ParsedCatalog, name: str) -> InstitutionCatalog:
    """The institution's own catalog from a file (the annex it has); the previous is archived."""
    name = normalise_text(name)
    if not name:
        raise DomainError("Вкажіть назву каталогу.")
    verify_statuses(catalog)
    previous = _archive_current()
    own = InstitutionCatalog(
        name=name[:200],
        origin=Origin.IMPORTED,
        note=catalog.note,
        source=catalog.source,
        adopted_by_id=actor.id,
    )
    db.session.add(own)
    db.session.flush()
    _insert_tree(CatalogItem, {"catalog_id": own.id}, catalog.directions)
    record(
        actor,
        "catalog.imported",
        own,
        f"Імпортовано каталог закладу «{own.name}»: {counts_text(catalog.counts())}"
        + (f"; попередній каталог «{previous.name}» перенесено до архіву" if previous else ""),
    )
    return own


def _editable(item: CatalogItem) -> None:
    if not item.catalog.is_active:
        raise DomainError("Це архівний каталог: його не можна змінювати.")


def update_item(actor, item: CatalogItem, text: str, methods, version: int | None) -> bool:
    """Save an item's wording (and an indicator's methods); False if nothing changed.

    Changed wording becomes the institution's own: it is never shown as official.
    """
    _editable(item)
    check_version(item, version)
    text = normalise_text(text)
    methods = ordered_methods(methods) if item.kind is ItemKind.INDICATOR else []
    changes = {}
    if text != item.text:
        changes["text"] = {"було": item.text, "стало": text}
    if methods != ordered_methods(item.methods):
        changes["methods"] = {"було": list(item.methods or []), "стало": methods}
    if not changes:
        return False
    if "text" in changes:
        item.text = text
        item.wording_status = WordingStatus.OWN
    item.methods = methods
    _flush_or_conflict()
    what = " і ".join(
        part for key, part in (("text", "формулювання"), ("methods", "методи")) if key in changes
    )
    record(
        actor,
        "catalog.item_updated",
        item,
        f"Змінено {what}: {item.kind.label} {item.code}",
        code=item.code,
        **changes,
    )
    return True


def _flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise ConflictError(CONFLICT_MESSAGE) from None


def set_enabled(actor, item: CatalogItem, enabled: bool) -> None:
    """Switch an item off (kept, greyed, excluded from assessment) or on again."""
    _editable(item)
    if item.enabled == enabled:
        return
    item.enabled = enabled
    _flush_or_conflict()
    state = "увімкнено" if enabled else "вимкнено"
    record(
        actor,
        "catalog.item_enabled" if enabled else "catalog.item_disabled",
        item,
        f"{item.kind.label.capitalize()} {item.code} {state}",
        code=item.code,
    )


def add_item(actor, parent: CatalogItem, code: str, text: str, methods=()) -> CatalogItem:
    """An own requirement, criterion or indicator, last among its siblings."""
    _editable(parent)
    kind = parent.kind.child
    if kind is None:
        raise DomainError("До індикатора не можна додати вкладений елемент.")
    code, text = normalise_text(code), normalise_text(text)
    if code_taken(parent.catalog_id, code):
        raise DomainError(f"Код «{code}» уже є в каталозі.")
    position = len(siblings_of(parent.catalog_id, parent.id))
    item = CatalogItem(
        catalog_id=parent.catalog_id,
        parent_id=parent.id,
        kind=kind,
        code=code,
        text=text,
        wording_status=WordingStatus.OWN,
        methods=ordered_methods(methods) if kind is ItemKind.INDICATOR else [],
        position=position,
        is_own=True,
    )
    db.session.add(item)
    db.session.flush()
    record(
        actor,
        "catalog.item_added",
        item,
        f"Додано власний {kind.label} {code} до {parent.code}",
        code=code,
        text=text,
    )
    return item


def delete_own_item(actor, item: CatalogItem) -> None:
    """Remove an item the institution added itself (with whatever it holds)."""
    _editable(item)
    if not item.is_own:
        raise DomainError(
            "Елементи з каталогу-зразка не видаляють, а вимикають: так їх можна повернути."
        )
    if items_in_use(subtree_ids(item)):
        raise DomainError(
            f"{item.kind.label.capitalize()} {item.code} уже використано в самооцінюванні, "
            "анкетах або програмах моніторингу. Його не можна видалити, щоб не втратити "
            "зібрані докази й оцінки: вимкніть його — минулі результати збережуться."
        )
    record(
        actor,
        "catalog.item_deleted",
        item,
        f"Видалено власний {item.kind.label} {item.code}",
        code=item.code,
        text=item.text,
    )
    parent_id, catalog_id = item.parent_id, item.catalog_id
    db.session.delete(item)
    _flush_or_conflict()
    renumber(siblings_of(catalog_id, parent_id))


def subtree_ids(item: CatalogItem) -> list[int]:
    """The item and everything nested in it."""
    children = defaultdict(list)
    rows = db.session.execute(
        select(CatalogItem.id, CatalogItem.parent_id).where(
            CatalogItem.catalog_id == item.catalog_id
        )
    )
    for child_id, parent_id in rows:
        children[parent_id].append(child_id)
    found, pending = [], [item.id]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children[current])
    return found


def _references_to_items() -> list:
    """Every mapped column outside the catalog that points at a catalog item: the plans,
    evidence, ratings and links of other areas, found from the schema itself."""
    items = CatalogItem.__table__
    return [
        mapper.get_property_by_column(column).class_attribute
        for mapper in db.Model.registry.mappers
        if mapper.local_table is not items
        for column in mapper.local_table.columns
        if any(key.column.table is items for key in column.foreign_keys)
    ]


def items_in_use(item_ids: list[int]) -> bool:
    """Does anything outside the catalog refer to one of these items?"""
    uses = [exists().where(column.in_(item_ids)) for column in _references_to_items()]
    return bool(db.session.scalar(select(or_(*uses))))


def code_taken(catalog_id: int, code: str) -> bool:
    return (
        db.session.scalar(
            select(CatalogItem.id).where(
                CatalogItem.catalog_id == catalog_id, CatalogItem.code == code
            )
        )
        is not None
    )


def suggest_code(parent: CatalogItem) -> str:
    """The next free «<parent>.<n>» code for a new child."""
    taken = set(
        db.session.scalars(
            select(CatalogItem.code).where(CatalogItem.catalog_id == parent.catalog_id)
        )
    )
    number = len(siblings_of(parent.catalog_id, parent.id)) + 1
    while f"{parent.code}.{number}" in taken:
        number += 1
    return f"{parent.code}.{number}"


def siblings_of(catalog_id: int, parent_id: int | None) -> list[CatalogItem]:
    parent = (
        CatalogItem.parent_id.is_(None) if parent_id is None else CatalogItem.parent_id == parent_id
    )
    return db.session.scalars(
        select(CatalogItem)
        .where(CatalogItem.catalog_id == catalog_id, parent)
        .order_by(CatalogItem.position, CatalogItem.id)
    ).all()


def renumber(siblings: list[CatalogItem]) -> None:
    """Positions 0…n in the given order. Order is not wording: versions stay as they are,
    so a reorder does not refuse someone's open edit form."""
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            db.session.execute(
                update(CatalogItem).where(CatalogItem.id == sibling.id).values(position=position)
            )


def move(actor, item: CatalogItem, step: int) -> bool:
    """Move an item up (−1) or down (+1) among its siblings; False at the edge."""
    _editable(item)
    siblings = siblings_of(item.catalog_id, item.parent_id)
    index = next(i for i, sibling in enumerate(siblings) if sibling.id == item.id)
    target = index + step
    if not 0 <= target < len(siblings):
        return False
    siblings[index], siblings[target] = siblings[target], siblings[index]
    renumber(siblings)
    record(
        actor,
        "catalog.item_moved",
        item,
        f"{item.kind.label.capitalize()} {item.code} переміщено "
        + ("вище" if step < 0 else "нижче"),
        code=item.code,
        position=target + 1,
    )
    return True


# Founders' offers.


def offer(actor, template: CatalogTemplate, note: str = "") -> CatalogOffer:
    """Recommend a template version to all of the founder's institutions."""
    existing = db.session.scalar(
        select(CatalogOffer).where(
            CatalogOffer.template_id == template.id, CatalogOffer.withdrawn_at.is_(None)
        )
    )
    if existing is not None:
        raise DomainError(f"Каталог «{template.title}» уже запропоновано закладам.")
    offered = CatalogOffer(template_id=template.id, offered_by_id=actor.id, note=note.strip())
    db.session.add(offered)
    db.session.flush()
    record(
        actor,
        "catalog.offered",
        offered,
        f"Закладам запропоновано каталог «{template.title}»",
        template_id=template.id,
    )
    return offered


def withdraw_offer(actor, offered: CatalogOffer) -> None:
    if offered.withdrawn_at is not None:
        return
    offered.withdrawn_at = utcnow()
    db.session.flush()
    record(
        actor,
        "catalog.offer_withdrawn",
        offered,
        f"Відкликано пропозицію каталогу «{offered.template.title}»",
    )


__all__ = [
    "add_item",
    "adopt",
    "code_taken",
    "delete_own_item",
    "ensure_starter",
    "import_catalog",
    "move",
    "offer",
    "save_template",
    "set_enabled",
    "suggest_code",
    "update_item",
    "withdraw_offer",
]
