"""The catalog of criteria and indicators: platform templates and each institution's copy.

A template (``CatalogTemplate``) belongs to the platform: a name, a version number
(1, 2, … under the same name) and a tree of items. An institution adopts a
template into its own ``InstitutionCatalog`` (a copy it shapes: wording, switched
off items, own items, order, methods). A founder offers a template version to
all of its institutions (``CatalogOffer``).

The tree has four levels, stored in one table per side with ``parent_id``:
напрям (direction) → вимога/правило (requirement) → критерій (criterion) →
індикатор (indicator). Codes are unique within one catalog; they are how
versions are compared.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, UTCDateTime, Versioned, db, utcnow
from dozq.tenancy.scope import FounderOwned, InstitutionOwned


class ItemKind(StrEnum):
    DIRECTION = "direction"
    REQUIREMENT = "requirement"
    CRITERION = "criterion"
    INDICATOR = "indicator"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def depth(self) -> int:
        return KINDS.index(self)

    @property
    def child(self) -> "ItemKind | None":
        return KINDS[self.depth + 1] if self is not ItemKind.INDICATOR else None


KINDS = (ItemKind.DIRECTION, ItemKind.REQUIREMENT, ItemKind.CRITERION, ItemKind.INDICATOR)

KIND_LABELS = {
    ItemKind.DIRECTION: "напрям",
    ItemKind.REQUIREMENT: "вимога (правило)",
    ItemKind.CRITERION: "критерій",
    ItemKind.INDICATOR: "індикатор",
}

#: «Додати …» — the accusative the UI needs for the child of each level.
KIND_ACCUSATIVE = {
    ItemKind.DIRECTION: "напрям",
    ItemKind.REQUIREMENT: "вимогу",
    ItemKind.CRITERION: "критерій",
    ItemKind.INDICATOR: "індикатор",
}


class WordingStatus(StrEnum):
    """How the wording of an item is known; never shown as official unless it is."""

    OFFICIAL_TEXT = "official_text"
    QUOTED_BY_ZDO = "quoted_by_zdo"
    DOZQ_STARTER = "dozq_starter"
    IMPORTED = "imported"
    OWN = "own"

    @property
    def label(self) -> str:
        return WORDING_LABELS[self]

    @property
    def is_official(self) -> bool:
        return self in (WordingStatus.OFFICIAL_TEXT, WordingStatus.QUOTED_BY_ZDO)


WORDING_LABELS = {
    WordingStatus.OFFICIAL_TEXT: "офіційне формулювання: текст Методичних рекомендацій",
    WordingStatus.QUOTED_BY_ZDO: (
        "офіційне формулювання Додатка 1 за цитатою з оприлюдненого документа ЗДО "
        "(з офіційним файлом не звірено)"
    ),
    WordingStatus.DOZQ_STARTER: (
        "написано dozq за текстом методичних рекомендацій, не офіційне формулювання додатка"
    ),
    WordingStatus.IMPORTED: "імпортовано з файлу; відповідність офіційному тексту не перевірено",
    WordingStatus.OWN: "власне формулювання закладу",
}


class Origin(StrEnum):
    """Where a whole catalog comes from."""

    DOZQ_STARTER = "dozq_starter"
    OFFICIAL = "official"
    IMPORTED = "imported"
    OWN = "own"

    @property
    def label(self) -> str:
        return ORIGIN_LABELS[self]


ORIGIN_LABELS = {
    Origin.DOZQ_STARTER: "стартовий каталог dozq",
    Origin.OFFICIAL: "офіційний додаток",
    Origin.IMPORTED: "імпортовано з файлу",
    Origin.OWN: "власний каталог",
}


class Method(StrEnum):
    """Методи збору інформації; interview and focus group are kinds of опитування."""

    SURVEY = "survey"
    SURVEY_INTERVIEW = "survey_interview"
    SURVEY_FOCUS_GROUP = "survey_focus_group"
    OBSERVATION = "observation"
    DOCUMENTS = "documents"

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.SURVEY: "опитування (анкетування)",
    Method.SURVEY_INTERVIEW: "опитування: інтерв’ю",
    Method.SURVEY_FOCUS_GROUP: "опитування: фокус-група",
    Method.OBSERVATION: "спостереження",
    Method.DOCUMENTS: "вивчення документації",
}

METHOD_ORDER = tuple(Method)


def ordered_methods(codes) -> list[str]:
    """Method codes in their canonical order, without repeats or unknown ones."""
    given = set(codes or ())
    return [method.value for method in METHOD_ORDER if method.value in given]


def _enum(enum, length=20):
    return db.Enum(enum, native_enum=False, length=length, validate_strings=True)


class TreeItem:
    """Columns every catalog item has, in a template or an institution's copy."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ItemKind] = mapped_column(_enum(ItemKind))
    #: «1.1.1.1», «1.С1» (our own items carry a Cyrillic «С»).
    code: Mapped[str] = mapped_column(String(40))
    #: The title of a direction, requirement or criterion; the text of an indicator.
    text: Mapped[str] = mapped_column(Text)
    wording_status: Mapped[WordingStatus] = mapped_column(_enum(WordingStatus))
    #: The words of the recommendations an item was written from (starter items).
    seed_quote: Mapped[str] = mapped_column(Text, default="")
    #: Where an official wording was seen (a URL or a document).
    source: Mapped[str] = mapped_column(Text, default="")
    #: Method codes of an indicator (see ``Method``), in canonical order.
    methods: Mapped[list] = mapped_column(JSON, default=list)
    #: Order among siblings, from 0.
    position: Mapped[int] = mapped_column(Integer, default=0)


class CatalogTemplate(db.Model):
    """A catalog the platform offers: one version of a named catalog."""

    __table_args__ = (UniqueConstraint("name", "version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    origin: Mapped[Origin] = mapped_column(_enum(Origin))
    #: The file's own edition label, e.g. «2026.1» or «2020».
    edition: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    #: sha256 of the tree: a repeated import of the same content adds no version.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    items: Mapped[list["CatalogTemplateItem"]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="CatalogTemplateItem.position",
        passive_deletes=True,
    )

    @property
    def title(self) -> str:
        return f"{self.name}, версія {self.version_number}"


class CatalogTemplateItem(TreeItem, db.Model):
    __table_args__ = (UniqueConstraint("template_id", "code"),)

    template_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_template.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_template_item.id", ondelete="CASCADE"), index=True
    )

    template: Mapped[CatalogTemplate] = relationship(back_populates="items")


class InstitutionCatalog(InstitutionOwned, Timestamped, db.Model):
    """An institution's own catalog; one is active, earlier ones are archived."""

    __table_args__ = (
        Index(
            "uq_institution_catalog_active",
            "institution_id",
            unique=True,
            sqlite_where=sql_text("is_active"),
            postgresql_where=sql_text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[Origin] = mapped_column(_enum(Origin))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    #: The template version this copy follows (None for a catalog imported from a file).
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_template.id", ondelete="SET NULL"), index=True
    )
    #: Kept with the copy, so newer versions are found even if a template is deleted.
    template_name: Mapped[str] = mapped_column(String(200), default="")
    template_version: Mapped[int | None] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    template: Mapped[CatalogTemplate | None] = relationship()


class CatalogItem(InstitutionOwned, Versioned, TreeItem, db.Model):
    """One item of an institution's catalog, which the institution shapes."""

    __table_args__ = (UniqueConstraint("catalog_id", "code"),)

    catalog_id: Mapped[int] = mapped_column(
        ForeignKey("institution_catalog.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )
    #: Switched off: kept and shown greyed, excluded from self-assessment (with its subtree).
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Added by the institution itself (never «removed» by a newer template version).
    is_own: Mapped[bool] = mapped_column(Boolean, default=False)

    catalog: Mapped[InstitutionCatalog] = relationship()


class CatalogOffer(FounderOwned, Timestamped, db.Model):
    """A founder recommends a template version to all of its institutions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_template.id", ondelete="CASCADE"), index=True
    )
    offered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    template: Mapped[CatalogTemplate] = relationship()
