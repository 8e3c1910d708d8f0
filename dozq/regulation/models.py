"""The regulation (Положення про внутрішню систему забезпечення якості освіти).

An institution keeps editions (редакції) of its regulation. An edition moves
along ``TRANSITIONS``: a draft composed from the configuration, discussion with
staff and parents, revision, approval by the pedagogical council (protocol),
approval by the director's order, publication and acknowledgement by staff.
Every move is a ``RegulationTransition`` row besides its audit entry.

The text lives in versions: an edition has one or more ``RegulationVersion``s
(a new one for each revision), each a list of ``RegulationSection``s in a plain
markup (paragraphs; list items start with «- »), plus the annex of criteria and
indicators composed from the catalog. Only the newest version of an edition in
draft or revision is edited; older versions stay as they were, so any two can
be compared. The published edition stays in force until the next one is
published; then it goes to the archive.
"""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, UTCDateTime, Versioned, db, utcnow
from dozq.tenancy.scope import InstitutionOwned


def _enum(enum, length: int = 30):
    return db.Enum(enum, native_enum=False, length=length, validate_strings=True)


class EditionStatus(StrEnum):
    DRAFT = "draft"
    DISCUSSION = "discussion"
    REVISION = "revision"
    COUNCIL_APPROVED = "council_approved"
    ORDER_APPROVED = "order_approved"
    PUBLISHED = "published"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self]

    @property
    def editable(self) -> bool:
        """The text of the newest version may be changed."""
        return self in (EditionStatus.DRAFT, EditionStatus.REVISION)

    @property
    def in_progress(self) -> bool:
        """Not yet in force: the edition the institution is working on."""
        return self in IN_PROGRESS


STATUS_LABELS = {
    EditionStatus.DRAFT: "чернетка",
    EditionStatus.DISCUSSION: "обговорення",
    EditionStatus.REVISION: "доопрацювання",
    EditionStatus.COUNCIL_APPROVED: "схвалено педагогічною радою",
    EditionStatus.ORDER_APPROVED: "затверджено наказом",
    EditionStatus.PUBLISHED: "оприлюднено, чинна редакція",
    EditionStatus.ARCHIVED: "архів (втратила чинність)",
}

STATUS_BADGES = {
    EditionStatus.DRAFT: "badge-muted",
    EditionStatus.DISCUSSION: "badge-info",
    EditionStatus.REVISION: "badge-warning",
    EditionStatus.COUNCIL_APPROVED: "badge-info",
    EditionStatus.ORDER_APPROVED: "badge-info",
    EditionStatus.PUBLISHED: "badge-success",
    EditionStatus.ARCHIVED: "badge-muted",
}

IN_PROGRESS = (
    EditionStatus.DRAFT,
    EditionStatus.DISCUSSION,
    EditionStatus.REVISION,
    EditionStatus.COUNCIL_APPROVED,
    EditionStatus.ORDER_APPROVED,
)

#: The workflow: which status may follow which. A revision may go back to
#: discussion for another round; council approval may follow any of the three
#: text stages (discussion is advisable, not required: a warning says so).
TRANSITIONS = {
    EditionStatus.DRAFT: (EditionStatus.DISCUSSION, EditionStatus.COUNCIL_APPROVED),
    EditionStatus.DISCUSSION: (EditionStatus.REVISION, EditionStatus.COUNCIL_APPROVED),
    EditionStatus.REVISION: (EditionStatus.DISCUSSION, EditionStatus.COUNCIL_APPROVED),
    EditionStatus.COUNCIL_APPROVED: (EditionStatus.ORDER_APPROVED,),
    EditionStatus.ORDER_APPROVED: (EditionStatus.PUBLISHED,),
    EditionStatus.PUBLISHED: (EditionStatus.ARCHIVED,),
    EditionStatus.ARCHIVED: (),
}


class RegulationEdition(InstitutionOwned, Timestamped, Versioned, db.Model):
    """One edition of the regulation, from its draft to the archive."""

    __tablename__ = "regulation_edition"
    __table_args__ = (
        UniqueConstraint("institution_id", "number"),
        # One edition in force per institution.
        Index(
            "uq_regulation_edition_published",
            "institution_id",
            unique=True,
            sqlite_where=sql_text("status = 'published'"),
            postgresql_where=sql_text("status = 'published'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Редакція 1, 2, … within the institution.
    number: Mapped[int] = mapped_column(Integer)
    #: «ПОЛОЖЕННЯ про внутрішню систему … закладу …», kept as it was composed.
    title: Mapped[str] = mapped_column(String(700))
    status: Mapped[EditionStatus] = mapped_column(
        _enum(EditionStatus), default=EditionStatus.DRAFT, index=True
    )
    #: The edition in force this one started from.
    based_on_id: Mapped[int | None] = mapped_column(
        ForeignKey("regulation_edition.id", ondelete="SET NULL")
    )
    #: The unguessable part of the public discussion link; set when discussion opens.
    discussion_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Схвалено педагогічною радою: protocol number (free text) and date, as written.
    council_protocol_number: Mapped[str] = mapped_column(String(60), default="")
    council_date: Mapped[date | None] = mapped_column(Date)
    council_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("pedagogical_council_meeting.id", ondelete="SET NULL"), index=True
    )
    #: Затверджено наказом керівника: number (free text) and date.
    order_number: Mapped[str] = mapped_column(String(60), default="")
    order_date: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    based_on: Mapped["RegulationEdition | None"] = relationship(remote_side=[id])
    council_meeting: Mapped["PedagogicalCouncilMeeting | None"] = relationship()  # noqa: F821

    @property
    def label(self) -> str:
        return f"Редакція {self.number}"


class RegulationVersion(InstitutionOwned, db.Model):
    """One version of an edition's text: sections and the annex."""

    __tablename__ = "regulation_version"
    __table_args__ = (UniqueConstraint("edition_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_edition.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    #: Why the version exists: «проєкт», «доопрацьовано за пропозиціями».
    note: Mapped[str] = mapped_column(String(300), default="")
    #: Додаток: the catalog as rows {kind, code, text, methods}, composed, not edited.
    annex: Mapped[list] = mapped_column(JSON, default=list)
    #: The catalog the annex was composed from, in words.
    annex_source: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    edition: Mapped[RegulationEdition] = relationship()
    sections: Mapped[list["RegulationSection"]] = relationship(
        back_populates="text_version",
        order_by="RegulationSection.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    created_by: Mapped["User | None"] = relationship()  # noqa: F821

    @property
    def label(self) -> str:
        return f"версія {self.number}"


class RegulationSection(InstitutionOwned, Versioned, db.Model):
    """A section of one version: its title and text in the plain markup."""

    __tablename__ = "regulation_section"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_version.id", ondelete="CASCADE"), index=True
    )
    #: Which section it is («general», «goals», …): how versions are compared.
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: The text as last composed from the configuration (edits are what differs).
    composed: Mapped[str] = mapped_column(Text, default="")

    #: (Not «version»: that is the optimistic-locking column.)
    text_version: Mapped[RegulationVersion] = relationship(back_populates="sections")

    @property
    def edited(self) -> bool:
        return self.body != self.composed


class CommentStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return COMMENT_STATUS_LABELS[self]

    @property
    def badge(self) -> str:
        return {
            CommentStatus.NEW: "badge-info",
            CommentStatus.ACCEPTED: "badge-success",
            CommentStatus.DECLINED: "badge-muted",
        }[self]


COMMENT_STATUS_LABELS = {
    CommentStatus.NEW: "очікує рішення",
    CommentStatus.ACCEPTED: "враховано",
    CommentStatus.DECLINED: "відхилено",
}


class RegulationComment(InstitutionOwned, Timestamped, db.Model):
    """A proposal or remark on a section: by a staff member (signed in) or a parent
    (through the public link). Each is accepted or declined with a reason."""

    __tablename__ = "regulation_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_edition.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_section.id", ondelete="CASCADE"), index=True
    )
    #: The staff member who wrote it; None for a parent.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    #: A parent's own words about who they are («мама Олесі, група «Зайчики»»), optional.
    author_name: Mapped[str] = mapped_column(String(200), default="")
    from_parent: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(
        _enum(CommentStatus), default=CommentStatus.NEW, index=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    section: Mapped[RegulationSection] = relationship()
    author: Mapped["User | None"] = relationship(foreign_keys=[author_id])  # noqa: F821
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])  # noqa: F821

    @property
    def author_label(self) -> str:
        if self.from_parent:
            return f"Батьки: {self.author_name}" if self.author_name else "Батьки (без підпису)"
        return self.author.full_name if self.author is not None else "працівник закладу"


class RegulationTransition(InstitutionOwned, db.Model):
    """One move of an edition's status: who, when, from what to what."""

    __tablename__ = "regulation_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_edition.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[EditionStatus | None] = mapped_column(_enum(EditionStatus))
    to_status: Mapped[EditionStatus] = mapped_column(_enum(EditionStatus))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped["User | None"] = relationship()  # noqa: F821


class RegulationAcknowledgement(InstitutionOwned, db.Model):
    """A staff member has read the edition in force (ознайомлення)."""

    __tablename__ = "regulation_acknowledgement"
    __table_args__ = (UniqueConstraint("edition_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(
        ForeignKey("regulation_edition.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship()  # noqa: F821
