"""The director's pages for personal data: exports and erasure on request."""

from flask import Blueprint, Response, flash, g, redirect, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from dozq.auth.models import User
from dozq.db import db
from dozq.privacy import services
from dozq.privacy.forms import EraseForm
from dozq.tenancy.access import requires
from dozq.tenancy.models import Membership, Role
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import render

bp = Blueprint("privacy", __name__, url_prefix="/privacy")

#: How the person page names the tables it found rows in.
TABLE_LABELS = {
    "founder": "засновник",
    "catalog_template": "шаблони каталогу",
    "catalog_template_item": "пункти шаблонів каталогу",
    "catalog_offer": "пропозиції каталогу від засновника",
    "institution_catalog": "каталог закладу",
    "catalog_item": "критерії та індикатори",
    "survey_offer": "анкети, запропоновані засновником",
    "survey_questionnaire": "анкети",
    "survey_section": "розділи анкет",
    "survey_question": "запитання анкет",
    "survey_option": "варіанти відповідей",
    "survey_indicator_link": "зв'язки запитань з індикаторами",
    "survey_group": "групи опитування",
    "survey_link": "посилання на анкети",
    "survey_code": "одноразові коди",
    "survey_response": "відповіді на анкети",
    "survey_answer": "відповіді на запитання",
    "survey_tally": "підсумки анкет",
    "annual_plan": "річні плани",
    "annual_plan_section": "розділи річного плану",
    "development_programme": "програми розвитку",
    "institution_features": "особливості закладу",
    "level_scale": "шкали рівнів",
    "scale_level": "рівні шкал",
    "quality_component": "компоненти внутрішньої системи",
    "quality_measure": "заходи процедур",
    "quality_policy": "стратегія (політика) якості",
    "quality_orientation": "орієнтири політики",
    "self_assessment_model": "модель самооцінювання",
    "self_assessment_plan_entry": "багаторічний план самооцінювання",
    "monitoring_programme": "програми моніторингу",
    "monitoring_indicator": "індикатори програм моніторингу",
    "notification": "сповіщення",
    "publication_settings": "налаштування оприлюднення",
    "pedagogical_council_meeting": "засідання педагогічної ради",
    "checklist_template": "шаблони спостережень",
    "checklist_template_item": "пункти шаблонів спостережень",
    "cycle_template": "самооцінювання, запропоновані засновником",
    "assessment_cycle": "цикли самооцінювання",
    "cycle_member": "робоча група",
    "cycle_scope_entry": "обсяг самооцінювання",
    "cycle_schedule_item": "графік самооцінювання",
    "cycle_transition": "етапи циклів",
    "cycle_discussion": "обговорення результатів",
    "method_plan_entry": "план методів",
    "evidence": "докази",
    "evidence_answer": "позначки доказів",
    "evidence_file": "файли доказів",
    "evidence_indicator": "зв'язки доказів з індикаторами",
    "evidence_observer": "спостерігачі",
    "item_assessment": "оцінки індикаторів і вимог",
    "direction_result": "результати напрямів обговорених циклів",
    "management_decision": "управлінські рішення",
    "founder_request": "звернення до засновника",
    "procedure_review": "оцінка процедур",
    "development_need": "потреби професійного розвитку",
    "regulation_edition": "редакції Положення",
    "regulation_version": "версії Положення",
    "regulation_section": "розділи Положення",
    "regulation_comment": "пропозиції до Положення",
    "regulation_transition": "етапи Положення",
    "regulation_acknowledgement": "ознайомлення з Положенням",
    "document_template": "шаблони документів",
    "generated_document": "створені документи",
    "user_account": "обліковий запис",
    "user_session": "сеанси входу",
    "login_failure": "невдалі спроби входу",
    "membership": "працівники закладу",
    "invitation": "запрошення",
    "audit_entry": "журнал дій",
    "stored_file": "файли",
    "institution": "профіль закладу",
    "founder_admin": "адміністратори засновника",
}


def _zip_response(export: services.Export) -> Response:
    response = Response(export.data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f"attachment; filename={export.filename}"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@requires(Role.DIRECTOR)
def index():
    """What dozq keeps about people, the institution's export and its people."""
    members = db.session.scalars(
        select(Membership)
        .join(Membership.user)
        .order_by(User.full_name)
        .options(contains_eager(Membership.user))
    ).all()
    return render("privacy/index.html", members=members)


@bp.post("/export")
@requires(Role.DIRECTOR)
def export_institution():
    """Download all of the institution's data (the form carries only its CSRF token)."""
    export = services.export_institution(current_user, g.institution)
    db.session.commit()
    return _zip_response(export)


def _person_page(membership: Membership, erase_form: EraseForm, status: int = 200):
    found = services.person_rows(membership.user)
    counts = [
        (TABLE_LABELS.get(name, "інші записи"), name, len(rows)) for name, rows in found.items()
    ]
    return render(
        "privacy/person.html",
        status=status,
        membership=membership,
        counts=counts,
        erase_form=erase_form,
    )


@bp.get("/people/<int:membership_id>")
@requires(Role.DIRECTOR)
def person(membership_id: int):
    """What the institution holds about one person, with export and erasure."""
    membership = db.get_or_404(Membership, membership_id)
    return _person_page(membership, EraseForm())


@bp.post("/people/<int:membership_id>/export")
@requires(Role.DIRECTOR)
def export_person(membership_id: int):
    """Download every row about one person."""
    membership = db.get_or_404(Membership, membership_id)
    export = services.export_person(current_user, membership)
    db.session.commit()
    return _zip_response(export)


@bp.post("/people/<int:membership_id>/erase")
@requires(Role.DIRECTOR)
def erase_person(membership_id: int):
    """Erase a person's personal data on their request (after confirmation)."""
    membership = db.get_or_404(Membership, membership_id)
    form = EraseForm()
    if form.validate_on_submit():
        try:
            services.erase_person(current_user, membership)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            return _person_page(membership, form, error.status_code)
        db.session.commit()
        flash("Персональні дані особи вилучено, а її обліковий запис вимкнено.", "success")
        return redirect(url_for("institution.privacy.index"), 303)
    return _person_page(membership, form, form_status(form))
