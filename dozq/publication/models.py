"""Internal monitoring programmes (MON order 16.01.2020 № 54) and what is published of them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, UTCDateTime, Versioned, db
from dozq.tenancy.scope import InstitutionOwned


class ProgrammeStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {"draft": "чернетка", "published": "оприлюднено"}[self.value]


class ApprovalKind(StrEnum):
    ORDER = "order"
    PROTOCOL = "protocol"

    @property
    def label(self) -> str:
        return {"order": "наказ", "protocol": "протокол педагогічної ради"}[self.value]


class MonitoringProgramme(InstitutionOwned, Timestamped, Versioned, db.Model):
    """Програма внутрішнього моніторингу: its subject, goal, tasks, indicators and results."""

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(300))
    goal: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")
    methods: Mapped[str] = mapped_column(Text, default="")
    timeline: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(Text, default="")
    expected_results: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProgrammeStatus] = mapped_column(
        db.Enum(ProgrammeStatus, native_enum=False, length=20), default=ProgrammeStatus.DRAFT
    )
    approval_kind: Mapped[ApprovalKind | None] = mapped_column(
        db.Enum(ApprovalKind, native_enum=False, length=20)
    )
    approval_number: Mapped[str] = mapped_column(String(60), default="")
    approval_date: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    indicators: Mapped[list["MonitoringIndicator"]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        order_by="MonitoringIndicator.id",
    )

    @property
    def approval_text(self) -> str:
        if self.approval_kind is None:
            return ""
        text = self.approval_kind.label
        if self.approval_number:
            text += f" № {self.approval_number}"
        if self.approval_date:
            text += f" від {self.approval_date:%d.%m.%Y}"
        return text


class MonitoringIndicator(InstitutionOwned, db.Model):
    """An indicator of the institution's catalog that a programme monitors."""

    __table_args__ = (UniqueConstraint("programme_id", "catalog_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("monitoring_programme.id", ondelete="CASCADE"), index=True
    )
    catalog_item_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item.id", ondelete="CASCADE"), index=True
    )

    programme: Mapped[MonitoringProgramme] = relationship(back_populates="indicators")
    catalog_item: Mapped["CatalogItem"] = relationship()  # noqa: F821


class PublicationSettings(InstitutionOwned, Versioned, db.Model):
    """What an institution shares beyond what it published."""

    __table_args__ = (UniqueConstraint("institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: «Ділитися чернетками з засновником»: the founder's dashboard then shows the
    #: levels of cycles not yet published.
    share_drafts_with_founder: Mapped[bool] = mapped_column(Boolean, default=False)


class Notification(InstitutionOwned, Timestamped, db.Model):
    """An in-app notification for one person in one institution. ``key`` names what it
    is about, so a scan that runs again does not repeat it."""

    __table_args__ = (UniqueConstraint("institution_id", "user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(String(500))
    url: Mapped[str] = mapped_column(String(500), default="")
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
