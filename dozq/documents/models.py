"""Documents dozq generates (DOCX), the institutions' own templates, signed scans.

Every generated document is kept (``GeneratedDocument``): its kind, what it is
about (an edition of the regulation, a self-assessment cycle …), its version
number among documents of that kind and subject, who made it and when, the
stored file and its sha256. A signed scan attached back makes it signed. A PDF
copy is made outside the request: ``pdf_status`` is «pending» until
``flask dozq documents convert-pending`` converts it with LibreOffice.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, UTCDateTime, db
from dozq.files.models import StoredFile
from dozq.tenancy.scope import InstitutionOwned


def _enum(enum, length: int = 40):
    return db.Enum(enum, native_enum=False, length=length, validate_strings=True)


class DocumentKind(StrEnum):
    REGULATION = "regulation"
    REGULATION_ORDER = "regulation_order"
    SELF_ASSESSMENT_ORDER = "self_assessment_order"
    MONITORING_PROGRAMME = "monitoring_programme"
    SELF_ASSESSMENT_REPORT = "self_assessment_report"
    QUESTIONNAIRE = "questionnaire"
    COUNCIL_EXTRACT = "council_extract"
    ACKNOWLEDGEMENT_SHEET = "acknowledgement_sheet"
    ANNUAL_REPORT_SECTION = "annual_report_section"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]

    @property
    def filename(self) -> str:
        return f"{self.value}.docx"


KIND_LABELS = {
    DocumentKind.REGULATION: "Положення про внутрішню систему забезпечення якості освіти",
    DocumentKind.REGULATION_ORDER: "Наказ про затвердження Положення",
    DocumentKind.SELF_ASSESSMENT_ORDER: "Наказ про проведення самооцінювання та робочу групу",
    DocumentKind.MONITORING_PROGRAMME: "Програма внутрішнього моніторингу",
    DocumentKind.SELF_ASSESSMENT_REPORT: "Звіт про самооцінювання",
    DocumentKind.QUESTIONNAIRE: "Анкета для друку",
    DocumentKind.COUNCIL_EXTRACT: "Витяг з протоколу засідання педагогічної ради",
    DocumentKind.ACKNOWLEDGEMENT_SHEET: "Аркуш ознайомлення з Положенням",
    DocumentKind.ANNUAL_REPORT_SECTION: (
        "Розділ звіту керівника про внутрішню систему забезпечення якості освіти"
    ),
}


class PdfStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {
            PdfStatus.NONE: "не замовлено",
            PdfStatus.PENDING: "очікує перетворення",
            PdfStatus.DONE: "готово",
            PdfStatus.FAILED: "не вдалося перетворити",
        }[self]


class DocumentTemplate(InstitutionOwned, Timestamped, db.Model):
    """An institution's own template (its letterhead) for one kind of document.
    At most one is in use per kind; without one the default template is used."""

    __tablename__ = "document_template"
    __table_args__ = (
        Index(
            "uq_document_template_active",
            "institution_id",
            "kind",
            unique=True,
            sqlite_where=sql_text("is_active"),
            postgresql_where=sql_text("is_active"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The variables the template uses, as checked on upload.
    variables: Mapped[list] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    file: Mapped[StoredFile] = relationship()
    uploaded_by: Mapped["User | None"] = relationship()  # noqa: F821


class GeneratedDocument(InstitutionOwned, Timestamped, db.Model):
    """One generated document, kept with its file, checksum and signed scan."""

    __tablename__ = "generated_document"
    __table_args__ = (Index("ix_generated_document_subject", "kind", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(_enum(DocumentKind))
    #: What the document is about: «regulation_edition», «assessment_cycle», … and its id.
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    #: Версія: 1, 2, … among documents of the same kind and subject.
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(400))
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_file.id", ondelete="RESTRICT"))
    sha256: Mapped[str] = mapped_column(String(64))
    #: The institution's template it was made with; None for the default one.
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("document_template.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    signed_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL")
    )
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    pdf_status: Mapped[PdfStatus] = mapped_column(
        _enum(PdfStatus, 20), default=PdfStatus.NONE, index=True
    )
    pdf_file_id: Mapped[int | None] = mapped_column(
        ForeignKey("stored_file.id", ondelete="SET NULL")
    )
    pdf_error: Mapped[str] = mapped_column(Text, default="")

    file: Mapped[StoredFile] = relationship(foreign_keys=[file_id])
    signed_file: Mapped[StoredFile | None] = relationship(foreign_keys=[signed_file_id])
    pdf_file: Mapped[StoredFile | None] = relationship(foreign_keys=[pdf_file_id])
    template: Mapped[DocumentTemplate | None] = relationship()
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    signed_by: Mapped["User | None"] = relationship(foreign_keys=[signed_by_id])  # noqa: F821

    @property
    def is_signed(self) -> bool:
        return self.signed_file_id is not None
