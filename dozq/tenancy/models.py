"""Founders, institutions and who works where."""

from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, Versioned, db
from dozq.tenancy.scope import FounderOwned, InstitutionOwned, TenantRoot, new_data_version


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    FOUNDER_ADMIN = "founder_admin"
    DIRECTOR = "director"
    METHODOLOGIST = "methodologist"
    TEACHER = "teacher"
    STAFF = "staff"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PLATFORM_ADMIN: "адміністратор платформи",
    Role.FOUNDER_ADMIN: "адміністратор засновника",
    Role.DIRECTOR: "керівник закладу",
    Role.METHODOLOGIST: "вихователь-методист",
    Role.TEACHER: "педагогічний працівник",
    Role.STAFF: "інший працівник",
}

#: Roles a person can hold inside an institution.
INSTITUTION_ROLES = (Role.DIRECTOR, Role.METHODOLOGIST, Role.TEACHER, Role.STAFF)
#: Those who shape the quality system; the others read it and contribute evidence.
MANAGERS = (Role.DIRECTOR, Role.METHODOLOGIST)


class InstitutionKind(StrEnum):
    NURSERY = "nursery"
    KINDERGARTEN = "kindergarten"
    NURSERY_KINDERGARTEN = "nursery_kindergarten"
    COMBINED = "combined"
    COMPENSATORY = "compensatory"
    CHILD_DEVELOPMENT_CENTRE = "child_development_centre"
    OTHER = "other"

    @property
    def label(self) -> str:
        return INSTITUTION_KIND_LABELS[self]


INSTITUTION_KIND_LABELS = {
    InstitutionKind.NURSERY: "ясла",
    InstitutionKind.KINDERGARTEN: "дитячий садок",
    InstitutionKind.NURSERY_KINDERGARTEN: "ясла-садок",
    InstitutionKind.COMBINED: "ясла-садок комбінованого типу",
    InstitutionKind.COMPENSATORY: "ясла-садок компенсуючого типу",
    InstitutionKind.CHILD_DEVELOPMENT_CENTRE: "центр розвитку дитини",
    InstitutionKind.OTHER: "інший тип",
}


class Founder(db.Model):
    """Засновник: e.g. a city council's education department; owns institutions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(120), default="")
    edrpou: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Institution(TenantRoot, Timestamped, Versioned, db.Model):
    """ЗДО: the tenant that nearly all data belongs to."""

    founder_id: Mapped[int] = mapped_column(ForeignKey("founder.id"), index=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    full_name: Mapped[str] = mapped_column(String(400))
    short_name: Mapped[str] = mapped_column(String(150))
    kind: Mapped[InstitutionKind] = mapped_column(
        db.Enum(InstitutionKind, native_enum=False, length=40)
    )
    edrpou: Mapped[str] = mapped_column(String(10), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(60), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    #: Керівник: the name printed on documents, whether or not they have an account.
    director_name: Mapped[str] = mapped_column(String(200), default="")
    #: «директор», «завідувач», «в. о. директора» …
    director_title: Mapped[str] = mapped_column(String(80), default="директор")
    #: Renewed by every transaction that writes the institution's data (see
    #: ``dozq.tenancy.scope``): what is computed from that data may be kept for as
    #: long as this number stays the same.
    data_version: Mapped[int] = mapped_column(
        BigInteger, default=new_data_version, server_default="0"
    )

    founder: Mapped[Founder] = relationship()


class Membership(InstitutionOwned, Timestamped, db.Model):
    """A person's role in one institution; a person may work in several."""

    __table_args__ = (UniqueConstraint("institution_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20))
    #: Посада as people say it: «музичний керівник», «практичний психолог».
    position: Mapped[str] = mapped_column(String(150), default="")

    user: Mapped["User"] = relationship()  # noqa: F821
    institution: Mapped[Institution] = relationship()


class FounderAdmin(FounderOwned, Timestamped, db.Model):
    """A person who administers all institutions of one founder."""

    __table_args__ = (UniqueConstraint("founder_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )

    user: Mapped["User"] = relationship()  # noqa: F821
    founder: Mapped[Founder] = relationship()
