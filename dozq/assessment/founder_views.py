"""A founder's self-assessment: one cycle offered to all institutions at once.

The founder prepares a template and launches it; each institution gets its own planned
cycle (by its own catalog) and edits it freely. The founder then sees each cycle's
status and whether its results are published, never its drafts.
"""

from datetime import date

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dozq.assessment import queries, services
from dozq.assessment.forms import (
    CycleTemplateEditForm,
    CycleTemplateForm,
    DeleteTemplateForm,
    LaunchForm,
)
from dozq.assessment.models import CycleTemplate
from dozq.db import db
from dozq.quality_system.models import ModelKind
from dozq.quality_system.services import current_school_year
from dozq.tenancy.access import requires
from dozq.tenancy.models import Role
from dozq.web.errors import DomainError
from dozq.web.forms import form_status, refused
from dozq.web.htmx import render

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


def _new_template_form() -> CycleTemplateForm:
    if request.method == "POST":
        return CycleTemplateForm()
    year = current_school_year()
    return CycleTemplateForm(
        data={
            "title": f"Самооцінювання освітніх і управлінських процесів, {year}/{year + 1}",
            "school_year": year,
            "starts_on": date(year + 1, 1, 15),
            "ends_on": date(year + 1, 5, 31),
            "model_kind": ModelKind.ANNUAL_COMPREHENSIVE.value,
            "scope_kind": "all",
        }
    )


@bp.route("/", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def index():
    """The founder's self-assessments, and a form to prepare one for all institutions."""
    form = _new_template_form()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            template = services.create_cycle_template(current_user, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            flash(
                "Самооцінювання збережено. Запустіть його, щоб заклади отримали власні цикли.",
                "success",
            )
            return redirect(url_for(".template", cycle_template_id=template.id), 303)
    templates = db.session.scalars(
        select(CycleTemplate).order_by(CycleTemplate.school_year.desc(), CycleTemplate.id.desc())
    ).all()
    return render("assessment/founder_index.html", status=status, form=form, templates=templates)


def _template_page(
    template: CycleTemplate,
    form: LaunchForm,
    status: int = 200,
    delete_form: DeleteTemplateForm | None = None,
):
    return render(
        "assessment/founder_template.html",
        status=status,
        template=template,
        progress=queries.template_progress(template),
        form=form,
        delete_form=delete_form or DeleteTemplateForm(),
    )


@bp.get("/<int:cycle_template_id>")
@requires(Role.FOUNDER_ADMIN)
def template(cycle_template_id: int):
    """The template and, institution by institution, how far its cycle has gone."""
    return _template_page(db.get_or_404(CycleTemplate, cycle_template_id), LaunchForm())


@bp.post("/<int:cycle_template_id>/launch")
@requires(Role.FOUNDER_ADMIN)
def launch(cycle_template_id: int):
    """«Запустити для всіх закладів»: a planned cycle in each institution without one."""
    found = db.get_or_404(CycleTemplate, cycle_template_id)
    form = LaunchForm()
    if not form.validate_on_submit():
        return _template_page(found, form, 422)
    try:
        report = services.launch_cycle_template(current_user, found)
    except DomainError as error:
        status = refused(form, error)
        return _template_page(db.get_or_404(CycleTemplate, cycle_template_id), form, status)
    db.session.commit()
    already = f"; уже мали цикл: {len(report.already)}" if report.already else ""
    flash(
        f"Самооцінювання запущено. Створено циклів у закладах: {len(report.created)}{already}.",
        "success",
    )
    for name, reason in report.skipped:
        flash(f"{name}: {reason}", "warning")
    return redirect(url_for(".template", cycle_template_id=found.id), 303)


@bp.route("/<int:cycle_template_id>/edit", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def edit(cycle_template_id: int):
    """Change a template before it is launched."""
    found = db.get_or_404(CycleTemplate, cycle_template_id)
    if found.launched_at is not None and request.method == "GET":
        flash("Це самооцінювання вже запущено: заклади змінюють власні цикли самі.", "warning")
        return redirect(url_for(".template", cycle_template_id=found.id), 303)
    form = CycleTemplateEditForm(obj=found)
    if request.method == "GET":
        form.scope_kind.data = found.scope_kind.value
        form.model_kind.data = found.model_kind.value
    status = form_status(form)
    if form.validate_on_submit():
        try:
            changed = services.update_cycle_template(
                current_user, found, form.data, form.version.data
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            flash("Зміни збережено." if changed else "Змін не було.", "success")
            return redirect(url_for(".template", cycle_template_id=found.id), 303)
    return render("assessment/founder_template_form.html", status=status, form=form, template=found)


@bp.post("/<int:cycle_template_id>/delete")
@requires(Role.FOUNDER_ADMIN)
def delete(cycle_template_id: int):
    """Delete a template that no institution has received yet."""
    found = db.get_or_404(CycleTemplate, cycle_template_id)
    form = DeleteTemplateForm()
    if not form.validate_on_submit():
        return _template_page(found, LaunchForm(), 422, form)
    try:
        services.delete_cycle_template(current_user, found)
    except DomainError as error:
        status = refused(form, error)
        return _template_page(found, LaunchForm(), status, form)
    db.session.commit()
    flash("Самооцінювання видалено.", "success")
    return redirect(url_for(".index"), 303)
