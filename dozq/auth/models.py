"""Accounts, their sessions, invitations and failed-login counting."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dozq.db import Timestamped, UTCDateTime, db, utcnow
from dozq.tenancy.models import Role
from dozq.tenancy.scope import FounderOrInstitutionOwned


class User(UserMixin, Timestamped, db.Model):
    """A person's account: one e-mail address, any number of workplaces."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    #: argon2id; empty until the person accepts an invitation.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    #: Set by the session loader: the UserSession this request runs in.
    current_session = None

    def get_id(self) -> str | None:
        return self.current_session.token if self.current_session else None

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)


class UserSession(db.Model):
    """One signed-in browser; deleting the row signs it out everywhere at once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: sha256 of the random token kept in the signed session cookie.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    #: The raw token, known only in the request that created or presented it.
    token = None


class LoginFailure(db.Model):
    """A failed login, counted per account in the database so that every
    server process sees the same count."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Invitation(FounderOrInstitutionOwned, Timestamped, db.Model):
    """An invitation to a workplace, accepted through a signed, expiring link."""

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=20))
    position: Mapped[str] = mapped_column(String(150), default="")
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invited_by: Mapped[User | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None
