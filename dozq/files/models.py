"""Uploaded files of an institution (evidence photos, signed scans, templates)."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, db
from dozq.tenancy.scope import InstitutionOwned


class StoredFile(InstitutionOwned, Timestamped, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name the person gave it, shown and offered on download, never used as a path.
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    uploaded_by: Mapped["User | None"] = relationship()  # noqa: F821
