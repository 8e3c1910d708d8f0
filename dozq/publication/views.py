"""Internal monitoring programmes: everyone reads, director and methodologist edit and publish."""

from flask import Blueprint, abort, flash, make_response, redirect, request, url_for
from flask_login import current_user

from dozq.db import db
from dozq.publication import dashboard as dashboard_queries
from dozq.publication import notifications, queries, services
from dozq.publication.forms import (
    NewProgrammeForm,
    ProgrammeForm,
    PublishForm,
    ResultsForm,
    SettingsForm,
    WithdrawForm,
)
from dozq.publication.models import MonitoringProgramme, Notification, ProgrammeStatus
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES, MANAGERS, Role
from dozq.web.errors import DomainError
from dozq.web.forms import Form, form_status
from dozq.web.htmx import is_fragment_request, render

bp = Blueprint("publication", __name__, url_prefix="/monitoring")

T = "publication/"


def _run(form, step) -> int | None:
    """Validate, run ``step``, commit; None when saved, else the status to answer with."""
    if not form.validate_on_submit():
        return form_status(form)
    try:
        step()
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return error.status_code
    db.session.commit()
    return None


def _go(url: str):
    """After a saved form: htmx follows HX-Redirect to the whole page, others get a 303."""
    if is_fragment_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def _values(form) -> dict:
    return {name: getattr(form, name).data for name in services.TEXT_FIELDS}


@bp.get("/")
@requires(*INSTITUTION_ROLES)
def index():
    """The institution's monitoring programmes, drafts and published."""
    return render(T + "programmes.html", programmes=queries.programmes())


@bp.route("/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new():
    form = NewProgrammeForm()
    form.set_indicators(queries.indicator_choices())
    created = []
    status = _run(
        form,
        lambda: created.append(
            services.create_programme(current_user, _values(form), form.indicators.data)
        ),
    )
    if created:
        flash("Програму моніторингу створено.", "success")
        return _go(url_for(".show", monitoring_programme_id=created[0].id))
    return render(
        T + "programme_form.html", T + "_programme_form.html", status=status or 200, form=form
    )


@bp.get("/<int:monitoring_programme_id>")
@requires(*INSTITUTION_ROLES)
def show(monitoring_programme_id: int):
    programme = db.get_or_404(MonitoringProgramme, monitoring_programme_id)
    return _show(programme)


def _show(programme, results_form=None, publish_form=None, status: int = 200):
    return render(
        T + "programme.html",
        status=status,
        programme=programme,
        results_form=results_form or ResultsForm(obj=programme),
        publish_form=publish_form or PublishForm(obj=programme),
        withdraw_form=WithdrawForm(obj=programme),
    )


@bp.route("/<int:monitoring_programme_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit(monitoring_programme_id: int):
    programme = db.get_or_404(MonitoringProgramme, monitoring_programme_id)
    if programme.status == ProgrammeStatus.PUBLISHED and request.method == "GET":
        flash(services.PUBLISHED_IS_FROZEN, "warning")
        return redirect(url_for(".show", monitoring_programme_id=programme.id), 303)
    form = ProgrammeForm(obj=programme)
    form.set_indicators(queries.indicator_choices())
    if not form.is_submitted():
        form.indicators.data = [link.catalog_item_id for link in programme.indicators]
    status = _run(
        form,
        lambda: services.update_programme(
            current_user, programme, _values(form), form.indicators.data, form.version.data
        ),
    )
    if status is None:
        flash("Програму моніторингу збережено.", "success")
        return _go(url_for(".show", monitoring_programme_id=programme.id))
    return render(
        T + "programme_form.html",
        T + "_programme_form.html",
        status=status,
        form=form,
        programme=programme,
    )


@bp.post("/<int:monitoring_programme_id>/results")
@requires(*MANAGERS)
def results(monitoring_programme_id: int):
    programme = db.get_or_404(MonitoringProgramme, monitoring_programme_id)
    form = ResultsForm()
    status = _run(
        form,
        lambda: services.record_results(
            current_user, programme, form.results.data, form.version.data
        ),
    )
    if status is None:
        flash("Результати моніторингу збережено.", "success")
        return redirect(url_for(".show", monitoring_programme_id=programme.id), 303)
    return _show(programme, results_form=form, status=status)


@bp.post("/<int:monitoring_programme_id>/publish")
@requires(*MANAGERS)
def publish(monitoring_programme_id: int):
    programme = db.get_or_404(MonitoringProgramme, monitoring_programme_id)
    form = PublishForm()
    status = _run(
        form,
        lambda: services.publish_programme(
            current_user,
            programme,
            form.approval_kind.data,
            form.approval_number.data,
            form.approval_date.data,
            form.version.data,
        ),
    )
    if status is None:
        flash("Програму оприлюднено на публічній сторінці закладу.", "success")
        return redirect(url_for(".show", monitoring_programme_id=programme.id), 303)
    return _show(programme, publish_form=form, status=status)


@bp.post("/<int:monitoring_programme_id>/withdraw")
@requires(*MANAGERS)
def withdraw(monitoring_programme_id: int):
    programme = db.get_or_404(MonitoringProgramme, monitoring_programme_id)
    form = WithdrawForm()
    status = _run(
        form, lambda: services.withdraw_programme(current_user, programme, form.version.data)
    )
    if status is None:
        flash("Програму знято з оприлюднення.", "success")
        return redirect(url_for(".show", monitoring_programme_id=programme.id), 303)
    flash("Не вдалося зняти програму з оприлюднення: оновіть сторінку.", "error")
    return _show(programme, status=status)


@bp.route("/settings", methods=["GET", "POST"])
@requires(Role.DIRECTOR)
def settings():
    """What the institution shares with its founder beyond what it published."""
    current = services.settings()
    form = SettingsForm(obj=current)
    status = _run(
        form,
        lambda: services.save_settings(
            current_user, form.share_drafts_with_founder.data, form.version.data
        ),
    )
    if status is None:
        flash("Налаштування збережено.", "success")
        return redirect(url_for(".settings"), 303)
    return render(T + "settings.html", status=status, form=form)


# The institution's dashboard (also loaded into the start page).

dashboard_bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@dashboard_bp.get("/", endpoint="index")
@requires(*INSTITUTION_ROLES)
def dashboard_page():
    """What is due this month, recent evidence, the current levels and their change."""
    return render(T + "dashboard.html", T + "_dashboard.html", board=dashboard_queries.dashboard())


# Notifications.

notifications_bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def _own_notification_or_404(notification_id: int) -> Notification:
    note = db.get_or_404(Notification, notification_id)
    if note.user_id != current_user.id:
        abort(404)
    return note


def _notifications_page(status: int = 200):
    return render(
        T + "notifications.html",
        T + "_notifications.html",
        status=status,
        notes=notifications.of_user(current_user),
        form=Form(),
    )


@notifications_bp.get("/")
@requires(*INSTITUTION_ROLES)
def notifications_index():
    """The person's notifications, newest first."""
    return _notifications_page()


@notifications_bp.post("/<int:notification_id>/read")
@requires(*INSTITUTION_ROLES)
def read(notification_id: int):
    note = _own_notification_or_404(notification_id)
    if not Form().validate_on_submit():
        abort(400)
    notifications.mark_read(current_user, note)
    db.session.commit()
    if is_fragment_request():
        return _notifications_page()
    return redirect(note.url or url_for(".notifications_index"), 303)


@notifications_bp.post("/read-all")
@requires(*INSTITUTION_ROLES)
def read_all():
    if not Form().validate_on_submit():
        abort(400)
    changed = notifications.mark_read(current_user)
    db.session.commit()
    if is_fragment_request():
        return _notifications_page()
    flash(f"Позначено прочитаними: {changed}.", "success")
    return redirect(url_for(".notifications_index"), 303)
