"""A newer template version against an institution's copy: what was added, removed, reworded.

Items are matched by code. Differences the institution made itself (its own
wording of an item the newer version did not change) are not offered as
updates; the institution's own items are never «removed».
"""

from dataclasses import dataclass, field

from sqlalchemy import delete

from dozq.audit.services import record
from dozq.catalog import queries
from dozq.catalog.models import (
    CatalogItem,
    CatalogTemplate,
    InstitutionCatalog,
    ItemKind,
    WordingStatus,
    ordered_methods,
)
from dozq.catalog.queries import TreeRow, flatten
from dozq.catalog.services import renumber, siblings_of
from dozq.catalog.tree import normalise_text
from dozq.db import db
from dozq.web.errors import DomainError

ADDED, REMOVED, REWORDED = "added", "removed", "reworded"
CHANGE_LABELS = {ADDED: "додано", REMOVED: "вилучено", REWORDED: "змінено"}


@dataclass
class Change:
    change: str
    code: str
    kind: ItemKind
    #: The newer version's wording (added, reworded) or the copy's (removed).
    text: str
    old_text: str = ""
    parent_code: str | None = None
    fields: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    old_methods: list[str] = field(default_factory=list)
    wording_status: WordingStatus | None = None
    #: The institution had changed this item itself.
    own_edit: bool = False
    #: Items inside a removed one (they go with it).
    nested: int = 0
    depth: int = 0

    @property
    def key(self) -> str:
        return f"{self.change}:{self.code}"

    @property
    def label(self) -> str:
        return CHANGE_LABELS[self.change]


def _fields(new: TreeRow, other: TreeRow) -> list[str]:
    fields = []
    if normalise_text(new.text) != normalise_text(other.text):
        fields.append("text")
    if new.kind is ItemKind.INDICATOR and ordered_methods(new.methods) != ordered_methods(
        other.methods
    ):
        fields.append("methods")
    if new.wording_status != other.wording_status and "text" not in fields:
        fields.append("status")
    return fields


def changes(catalog: InstitutionCatalog, newer: CatalogTemplate) -> list[Change]:
    """The differences between ``newer`` and the institution's copy, in reading order."""
    copy_rows = flatten(queries.catalog_tree(catalog.id))
    new_rows = flatten(queries.template_tree(newer.id))
    base_rows = flatten(queries.template_tree(catalog.template_id)) if catalog.template_id else None
    copy = {row.code: row for row in copy_rows}
    new = {row.code: row for row in new_rows}
    base = {row.code: row for row in base_rows} if base_rows is not None else None
    parents_new = {row.id: row.code for row in new_rows}
    result: list[Change] = []
    for row in new_rows:
        mine = copy.get(row.code)
        if mine is None:
            result.append(
                Change(
                    ADDED,
                    row.code,
                    row.kind,
                    row.text,
                    parent_code=parents_new.get(row.parent_id),
                    methods=list(row.methods or []),
                    wording_status=row.wording_status,
                    depth=row.kind.depth,
                )
            )
            continue
        if mine.is_own or mine.kind is not row.kind:
            continue
        fields = _fields(row, mine)
        if base is not None and (before := base.get(row.code)) is not None:
            upstream = set(_fields(row, before))
            fields = [name for name in fields if name in upstream]
        if fields:
            result.append(
                Change(
                    REWORDED,
                    row.code,
                    row.kind,
                    row.text,
                    old_text=mine.text,
                    fields=fields,
                    methods=list(row.methods or []),
                    old_methods=list(mine.methods or []),
                    wording_status=row.wording_status,
                    own_edit=mine.wording_status is WordingStatus.OWN,
                    depth=row.kind.depth,
                )
            )
    removed_codes = {row.code for row in copy_rows if not row.is_own and row.code not in new}
    by_id = {row.id: row for row in copy_rows}
    for row in copy_rows:
        if row.code not in removed_codes:
            continue
        parent = by_id.get(row.parent_id)
        if parent is not None and parent.code in removed_codes:
            continue  # goes with its parent
        result.append(
            Change(
                REMOVED,
                row.code,
                row.kind,
                row.text,
                nested=len(flatten([row])) - 1,
                depth=row.kind.depth,
            )
        )
    return result


def apply(actor, catalog: InstitutionCatalog, newer: CatalogTemplate, keys: list[str]) -> int:
    """Take the chosen changes; the copy then follows ``newer``. Returns how many were taken."""
    if not catalog.is_active:
        raise DomainError("Це архівний каталог: його не можна змінювати.")
    available = {change.key: change for change in changes(catalog, newer)}
    unknown = [key for key in keys if key not in available]
    if unknown:
        raise DomainError(
            "Перелік змін застарів (каталог щойно змінили). Оновіть сторінку й оберіть зміни знову."
        )
    chosen = [available[key] for key in dict.fromkeys(keys)]
    chosen_added = {change.code for change in chosen if change.change == ADDED}
    items = {
        item.code: item
        for item in db.session.scalars(
            db.select(CatalogItem).where(CatalogItem.catalog_id == catalog.id)
        )
    }
    for change in chosen:
        parent = change.parent_code
        if change.change == ADDED and parent and parent not in items and parent not in chosen_added:
            raise DomainError(
                f"Щоб додати {change.kind.label} {change.code}, позначте також "
                f"{list(ItemKind)[change.kind.depth - 1].label} {parent}."
            )
    new_rows = {row.code: row for row in flatten(queries.template_tree(newer.id))}
    for change in chosen:
        if change.change == REMOVED:
            db.session.execute(delete(CatalogItem).where(CatalogItem.id == items[change.code].id))
    for change in chosen:
        if change.change == REWORDED:
            item, row = items[change.code], new_rows[change.code]
            item.text = row.text
            item.wording_status = row.wording_status
            item.seed_quote = row.seed_quote
            item.source = row.source
            item.methods = ordered_methods(row.methods)
    db.session.flush()
    order = list(new_rows)
    for change in sorted(
        (c for c in chosen if c.change == ADDED), key=lambda c: order.index(c.code)
    ):
        row = new_rows[change.code]
        parent = items.get(change.parent_code) if change.parent_code else None
        siblings = siblings_of(catalog.id, parent.id if parent else None)
        item = CatalogItem(
            catalog_id=catalog.id,
            parent_id=parent.id if parent else None,
            kind=row.kind,
            code=row.code,
            text=row.text,
            wording_status=row.wording_status,
            seed_quote=row.seed_quote,
            source=row.source,
            methods=ordered_methods(row.methods),
            position=len(siblings),
        )
        db.session.add(item)
        db.session.flush()
        items[row.code] = item
        renumber(_in_template_order(siblings, item, order))
    previous = catalog.template_version
    catalog.template_id = newer.id
    catalog.template_version = newer.version_number
    catalog.template_name = newer.name
    db.session.flush()
    record(
        actor,
        "catalog.updated_to_version",
        catalog,
        f"Каталог оновлено до версії {newer.version_number} («{newer.name}»): "
        + (
            ", ".join(f"{c.label} {c.code}" for c in chosen)
            if chosen
            else "зміни не прийнято, лише позначено версію як переглянуту"
        ),
        from_version=previous,
        to_version=newer.version_number,
        taken=[change.key for change in chosen],
        offered=sorted(available),
    )
    return len(chosen)


def _in_template_order(siblings: list[CatalogItem], new: CatalogItem, order: list[str]):
    """Place a newly taken item after the sibling that precedes it in the template."""
    index_of = {code: i for i, code in enumerate(order)}
    mine = index_of[new.code]
    result = list(siblings)
    at = 0
    for i, sibling in enumerate(siblings):
        if index_of.get(sibling.code, -1) < mine and sibling.code in index_of:
            at = i + 1
    result.insert(at, new)
    return result
