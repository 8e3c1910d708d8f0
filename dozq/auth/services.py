"""Signing in and out, invitations and password resets."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload

from dozq.audit.services import record
from dozq.auth.mail import send_mail
from dozq.auth.models import Invitation, LoginFailure, User, UserSession
from dozq.auth.passwords import hash_password, verify_password
from dozq.db import WRITE_METHODS, db, utcnow
from dozq.tenancy.models import FounderAdmin, Membership, Role
from dozq.tenancy.scope import Scope, set_scope
from dozq.web.errors import DomainError
from dozq.web.urls import external_url

#: How often a session's last activity is written down (not on every request).
TOUCH_INTERVAL = timedelta(minutes=1)


class LoginThrottled(DomainError):
    status_code = 429


def normalise_email(email: str) -> str:
    return email.strip().lower()


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User:
    """The account behind these credentials, or a Ukrainian reason why not."""
    email = normalise_email(email)
    config = current_app.config
    since = utcnow() - config["LOGIN_FAILURE_WINDOW"]
    failures = db.session.scalar(
        select(func.count(LoginFailure.id)).where(
            LoginFailure.email == email, LoginFailure.at > since
        )
    )
    if failures >= config["LOGIN_MAX_FAILURES"]:
        raise LoginThrottled(
            "Забагато невдалих спроб входу. Спробуйте знову через 15 хвилин "
            "або скористайтеся відновленням пароля."
        )
    user = user_by_email(email)
    if user is None or not verify_password(user.password_hash, password) or not user.is_active:
        db.session.execute(delete(LoginFailure).where(LoginFailure.at <= since))
        db.session.add(LoginFailure(email=email))
        raise DomainError("Неправильна адреса електронної пошти або пароль.")
    db.session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user: User) -> UserSession:
    """A new signed-in session for ``user``; its raw token goes into the cookie."""
    token = secrets.token_urlsafe(32)
    user_session = UserSession(user=user, token_hash=_token_hash(token))
    user_session.token = token
    db.session.add(user_session)
    user.current_session = user_session
    return user_session


def load_session(token: str) -> User | None:
    """The user of a live session, or None when it ended, idled out or expired."""
    user_session = db.session.scalar(
        select(UserSession)
        .where(UserSession.token_hash == _token_hash(token))
        # Every signed-in request needs both: one statement.
        .options(joinedload(UserSession.user))
    )
    if user_session is None or not user_session.user.is_active:
        return None
    now = utcnow()
    config = current_app.config
    if (
        now - user_session.last_seen_at > config["SESSION_IDLE_TIMEOUT"]
        or now - user_session.created_at > config["SESSION_ABSOLUTE_TIMEOUT"]
    ):
        return None
    if now - user_session.last_seen_at > TOUCH_INTERVAL:
        touch = (
            update(UserSession).where(UserSession.id == user_session.id).values(last_seen_at=now)
        )
        if has_request_context() and request.method in WRITE_METHODS:
            # A writing request already holds SQLite's write lock in this session:
            # a second connection would wait for it until busy_timeout, then fail.
            db.session.execute(touch)
        else:
            # Its own short transaction: a read-only request should not turn into a
            # writing one (on SQLite that would contend with real writers).
            with db.engine.begin() as connection:
                connection.execute(touch)
    user_session.token = token
    user = user_session.user
    user.current_session = user_session
    return user


def end_session(user: User) -> None:
    if user.current_session is not None:
        db.session.delete(user.current_session)
        user.current_session = None


def end_other_sessions(user: User) -> None:
    """Sign ``user`` out of every browser but this one."""
    keep = user.current_session.id if user.current_session else None
    db.session.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.id != keep)
    )


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not verify_password(user.password_hash, current_password):
        raise DomainError("Поточний пароль неправильний.")
    user.password_hash = hash_password(new_password)
    end_other_sessions(user)


def set_user_active(actor: User, user: User, active: bool) -> None:
    """Disable or re-enable an account; disabling signs it out everywhere."""
    if actor.id == user.id and not active:
        raise DomainError("Не можна вимкнути власний обліковий запис.")
    user.is_active = active
    if not active:
        db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    state = "увімкнено" if active else "вимкнено"
    record(
        actor,
        "account.activated" if active else "account.disabled",
        user,
        f"Обліковий запис {user.email} {state}",
    )


def create_platform_admin(email: str, full_name: str, password: str) -> User:
    user = user_by_email(email) or User(email=normalise_email(email), full_name=full_name)
    user.full_name = full_name
    user.password_hash = hash_password(password)
    user.is_platform_admin = True
    user.is_active = True
    db.session.add(user)
    return user


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"dozq.{purpose}")


def invitation_link(invitation: Invitation) -> str:
    token = _serializer("invitation").dumps(
        {"id": invitation.id, "f": invitation.founder_id, "i": invitation.institution_id}
    )
    return external_url("auth.accept_invitation", token=token)


def invite(
    actor: User | None, *, email: str, full_name: str, role: Role, where, position=""
) -> Invitation:
    """Invite a person to a workplace (an institution or a founder) by e-mail."""
    email = normalise_email(email)
    invitation = Invitation(
        email=email,
        full_name=full_name.strip(),
        role=role,
        position=(position or "").strip(),
        invited_by_id=actor.id if actor else None,
        founder_id=where.founder_id if role != Role.FOUNDER_ADMIN else where.id,
        institution_id=where.id if role != Role.FOUNDER_ADMIN else None,
    )
    db.session.add(invitation)
    db.session.flush()
    link = invitation_link(invitation)
    place = where.short_name if role != Role.FOUNDER_ADMIN else where.name
    send_mail(
        email,
        "Запрошення до dozq",
        f"Вітаємо, {invitation.full_name}!\n\n"
        f"Вас запрошено до dozq ({place}) з роллю «{role.label}».\n"
        f"Щоб прийняти запрошення й установити пароль, перейдіть за посиланням "
        f"(воно чинне {current_app.config['INVITATION_MAX_AGE'].days} днів):\n{link}\n",
    )
    record(actor, "invitation.sent", invitation, f"Запрошено {email} ({role.label})")
    return invitation


def load_invitation(token: str) -> Invitation | None:
    """The pending invitation a link names, in its own tenant's scope."""
    max_age = current_app.config["INVITATION_MAX_AGE"].total_seconds()
    try:
        data = _serializer("invitation").loads(token, max_age=max_age)
    except BadSignature:
        return None
    institution_id = data.get("i")
    scope = Scope(data["f"], (institution_id,) if institution_id else (), institution_id)
    set_scope(db.session, scope)
    invitation = db.session.get(Invitation, data["id"])
    if invitation is None or not invitation.is_pending:
        return None
    return invitation


def accept_invitation(
    invitation: Invitation, *, password: str, full_name: str | None = None
) -> User:
    """Join the workplace; a new person sets a password, a known one confirms theirs."""
    user = user_by_email(invitation.email)
    if user is not None and user.has_password:
        if not verify_password(user.password_hash, password):
            raise DomainError("Пароль неправильний. Введіть пароль свого облікового запису.")
        if not user.is_active:
            raise DomainError("Обліковий запис вимкнено. Зверніться до адміністратора.")
    else:
        user = user or User(email=invitation.email, full_name=invitation.full_name)
        user.full_name = (full_name or invitation.full_name).strip()
        user.password_hash = hash_password(password)
        db.session.add(user)
        db.session.flush()
    if invitation.role == Role.FOUNDER_ADMIN:
        exists = db.session.scalar(select(FounderAdmin.id).where(FounderAdmin.user_id == user.id))
        if exists is None:
            db.session.add(FounderAdmin(user_id=user.id, founder_id=invitation.founder_id))
    else:
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        if membership is None:
            db.session.add(
                Membership(user_id=user.id, role=invitation.role, position=invitation.position)
            )
        else:
            membership.role = invitation.role
    invitation.accepted_at = utcnow()
    record(user, "invitation.accepted", invitation, f"{user.full_name} прийняв(-ла) запрошення")
    return user


def _password_fingerprint(user: User) -> str:
    # Changes with the password, so a used reset link stops working.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def request_password_reset(email: str) -> None:
    """Mail a reset link if the account exists; say nothing either way."""
    user = user_by_email(email)
    if user is None or not user.is_active or not user.has_password:
        return
    token = _serializer("password-reset").dumps({"u": user.id, "p": _password_fingerprint(user)})
    link = external_url("auth.reset_password", token=token)
    hours = int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 3600)
    send_mail(
        user.email,
        "Відновлення пароля в dozq",
        f"Вітаємо, {user.full_name}!\n\nЩоб установити новий пароль, перейдіть за "
        f"посиланням (воно чинне {hours} год.):\n{link}\n\n"
        "Якщо ви не просили відновити пароль, просто проігноруйте цей лист.\n",
    )


def load_password_reset(token: str) -> User | None:
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds()
    try:
        data = _serializer("password-reset").loads(token, max_age=max_age)
    except BadSignature:
        return None
    user = db.session.get(User, data["u"])
    if user is None or not user.is_active or data["p"] != _password_fingerprint(user):
        return None
    return user


def reset_password(user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    """The link stops working; the person can be invited again."""
    if not invitation.is_pending:
        raise DomainError("Це запрошення вже прийняте або відкликане.")
    invitation.revoked_at = utcnow()
    record(actor, "invitation.revoked", invitation, f"Відкликано запрошення для {invitation.email}")
