"""Signing in and out, invitations, password resets and one's own account."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user

from dozq.auth import services
from dozq.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    JoinWithPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
)
from dozq.db import db
from dozq.tenancy.access import public, signed_in
from dozq.web.errors import DomainError
from dozq.web.htmx import render

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _sign_in(user) -> None:
    # A fresh session at login: nothing from before it (a planted id) survives.
    session.clear()
    services.start_session(user)
    db.session.commit()
    login_user(user)
    session.permanent = True


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """The sign-in form."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            db.session.commit()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            _sign_in(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("web.index"), 303)
    elif form.is_submitted():
        status = 422
    return render("auth/login.html", "auth/_login_form.html", status, form=form)


@bp.post("/logout")
@signed_in
def logout():
    """Sign out of this browser."""
    services.end_session(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("Ви вийшли з dozq.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    """Ask for a password reset link."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(
            "Якщо така адреса зареєстрована, на неї надіслано посилання для відновлення пароля.",
            "info",
        )
        return redirect(url_for("auth.login"), 303)
    status = 422 if form.is_submitted() else 200
    return render("auth/forgot.html", "auth/_forgot_form.html", status, form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Set a new password through a reset link."""
    user = services.load_password_reset(token)
    if user is None:
        return render("auth/link_invalid.html", status=404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(user, form.password.data)
        _sign_in(user)
        flash("Пароль змінено.", "success")
        return redirect(url_for("web.index"), 303)
    status = 422 if form.is_submitted() else 200
    return render("auth/reset.html", "auth/_reset_form.html", status, form=form, user=user)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    """Accept an invitation: set a password (or confirm one's own) and join."""
    invitation = services.load_invitation(token)
    if invitation is None:
        return render("auth/link_invalid.html", status=404)
    existing = services.user_by_email(invitation.email)
    if existing is not None and existing.has_password:
        form = JoinWithPasswordForm()
    else:
        form = AcceptInvitationForm(data={"full_name": invitation.full_name})
    status = 200
    if form.validate_on_submit():
        full_name = form.full_name.data if "full_name" in form else None
        try:
            user = services.accept_invitation(
                invitation, password=form.password.data, full_name=full_name
            )
        except DomainError as error:
            form.password.errors = [*form.password.errors, str(error)]
            status = error.status_code
        else:
            _sign_in(user)
            flash("Запрошення прийнято. Ласкаво просимо до dozq!", "success")
            return redirect(url_for("web.index"), 303)
    elif form.is_submitted():
        status = 422
    return render(
        "auth/invitation.html",
        "auth/_invitation_form.html",
        status,
        form=form,
        invitation=invitation,
    )


@bp.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    """One's own name and password."""
    profile_form = ProfileForm(prefix="profile", obj=current_user)
    password_form = ChangePasswordForm(prefix="password")
    status = 200
    if profile_form.submit.data and profile_form.validate_on_submit():
        current_user.full_name = profile_form.full_name.data.strip()
        db.session.commit()
        flash("Дані облікового запису збережено.", "success")
        return redirect(url_for("auth.account"), 303)
    if password_form.submit.data and password_form.validate_on_submit():
        try:
            services.change_password(
                current_user, password_form.current_password.data, password_form.password.data
            )
        except DomainError as error:
            password_form.current_password.errors = [str(error)]
            status = 422
        else:
            db.session.commit()
            flash("Пароль змінено. Інші сеанси входу завершено.", "success")
            return redirect(url_for("auth.account"), 303)
    if request.method == "POST" and status == 200:
        status = 422
        if not (profile_form.submit.data or password_form.submit.data):
            profile_form.form_errors.append(
                "Не вказано, що зберегти: дані облікового запису чи пароль."
            )
    return render(
        "auth/account.html",
        status=status,
        profile_form=profile_form,
        password_form=password_form,
    )
