"""Questionnaires inside an institution: build, publish, collect on paper, read results.

Views load scoped objects (a foreign id answers 404), call one service, commit
and redirect (or return the updated fragment to htmx).
"""

import re
from datetime import timedelta
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from dozq.catalog.models import CatalogItem
from dozq.db import db
from dozq.surveys import charts, exports, library, qr, queries, services
from dozq.surveys.cache import results_cache, results_key
from dozq.surveys.forms import (
    CodesForm,
    GroupEditForm,
    GroupForm,
    LinkForm,
    NewQuestionForm,
    OptionIndicatorForm,
    ParsedSubmission,
    PublishForm,
    QuestionForm,
    QuestionnaireForm,
    SectionEditForm,
    SectionForm,
    SettingsForm,
    group_choices,
    parse_submission,
)
from dozq.surveys.models import (
    AUDIENCE_LABELS,
    Channel,
    QuestionKind,
    Questionnaire,
    SurveyAudience,
    SurveyCode,
    SurveyGroup,
    SurveyIndicatorLink,
    SurveyLink,
    SurveyOffer,
    SurveyOption,
    SurveyQuestion,
    SurveySection,
    questionnaire_kind,
)
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES, MANAGERS
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import is_fragment_request, render, render_around
from dozq.web.urls import external_url

bp = Blueprint("surveys", __name__, url_prefix="/surveys")

OPEN_ANSWERS_PER_PAGE = 50


def _questionnaire(questionnaire_id: int) -> Questionnaire:
    return db.get_or_404(Questionnaire, questionnaire_id)


def _groups() -> list[SurveyGroup]:
    return list(db.session.scalars(select(SurveyGroup).order_by(SurveyGroup.position)))


def _optional_group(group_id: int | None) -> SurveyGroup | None:
    return db.get_or_404(SurveyGroup, group_id) if group_id else None


def _to_builder(questionnaire: Questionnaire):
    return redirect(url_for(".builder", survey_questionnaire_id=questionnaire.id), 303)


# The list, the library and the founder's offers.


@bp.get("/")
@requires(*INSTITUTION_ROLES)
def index():
    """The institution's questionnaires; managers also see the library and offers."""
    questionnaires = db.session.scalars(
        select(Questionnaire).order_by(Questionnaire.school_year.desc(), Questionnaire.id.desc())
    ).all()
    manager = g.role in MANAGERS
    if not manager:
        questionnaires = [q for q in questionnaires if services.state(q) in ("open", "scheduled")]
    ids = [questionnaire.id for questionnaire in questionnaires]
    offers = []
    if manager:
        taken = set(
            db.session.scalars(
                select(Questionnaire.offer_id).where(Questionnaire.offer_id.isnot(None))
            )
        )
        offers = [
            offer
            for offer in db.session.scalars(select(SurveyOffer).order_by(SurveyOffer.id.desc()))
            if offer.id not in taken
        ]
    return render(
        "surveys/index.html",
        questionnaires=questionnaires,
        counts=queries.response_counts(ids),
        kinds={
            key: questionnaire_kind(value) for key, value in queries.question_kinds(ids).items()
        },
        library=library.library(),
        offers=offers,
        manager=manager,
        states={item.id: services.state(item) for item in questionnaires},
        state_labels=services.STATE_LABELS,
        audience_labels=AUDIENCE_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new():
    """Start an empty questionnaire."""
    form = QuestionnaireForm()
    if form.validate_on_submit():
        questionnaire = services.create_questionnaire(current_user, form.data)
        db.session.commit()
        flash("Анкету створено. Додайте питання.", "success")
        return _to_builder(questionnaire)
    return render("surveys/new.html", status=form_status(form), form=form)


@bp.post("/library")
@requires(*MANAGERS)
def copy_from_library():
    """Copy a ready questionnaire of the library into the institution."""
    try:
        questionnaire = services.copy_library(current_user, request.form.get("key", ""))
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for(".index"), 303)
    db.session.commit()
    flash("Готову анкету скопійовано: перегляньте й за потреби змініть її.", "success")
    return _to_builder(questionnaire)


@bp.post("/offers/take")
@requires(*MANAGERS)
def take_offer():
    """Take the founder's offered questionnaire (for an institution added later)."""
    value = request.form.get("offer_id", "")
    offer = db.get_or_404(SurveyOffer, int(value) if value.isdigit() else 0)
    try:
        questionnaire = services.take_offer(current_user, offer)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for(".index"), 303)
    db.session.commit()
    flash("Анкету, запропоновану засновником, додано до анкет закладу.", "success")
    return _to_builder(questionnaire)


# The builder.


def _builder_context(questionnaire: Questionnaire, **extra) -> dict:
    structure = services.load_structure(questionnaire.id)
    by_section: dict[int, list] = {section.id: [] for section in questionnaire.sections}
    for question in structure:
        by_section.setdefault(question.section_id, []).append(question)
    links = db.session.scalars(
        select(SurveyIndicatorLink)
        .join(SurveyQuestion)
        .where(SurveyQuestion.questionnaire_id == questionnaire.id)
        .options(joinedload(SurveyIndicatorLink.indicator))
    ).all()
    indicators: dict[int, list] = {}
    for link in links:
        indicators.setdefault(link.question_id, []).append(link)
    return {
        "questionnaire": questionnaire,
        "sections": questionnaire.sections,
        "by_section": by_section,
        "numbers": {question.id: number for number, question in enumerate(structure, start=1)},
        "indicators": indicators,
        "kind": questionnaire_kind(question.kind for question in structure),
        "lock": services.structure_lock(questionnaire),
        "deletable": not services.has_responses(questionnaire),
        "state": services.state(questionnaire),
        "state_labels": services.STATE_LABELS,
        "section_form": SectionForm(formdata=None),
        "question_form": NewQuestionForm(questionnaire.sections, formdata=None),
        **extra,
    }


def _builder_response(questionnaire: Questionnaire, status: int = 200, **extra):
    return render(
        "surveys/builder.html",
        "surveys/_builder.html",
        status=status,
        **_builder_context(questionnaire, **extra),
    )


@bp.get("/<int:survey_questionnaire_id>")
@requires(*MANAGERS)
def builder(survey_questionnaire_id: int):
    """The questionnaire with its sections and questions, to shape it."""
    return _builder_response(_questionnaire(survey_questionnaire_id))


@bp.route("/<int:survey_questionnaire_id>/settings", methods=["GET", "POST"])
@requires(*MANAGERS)
def settings(survey_questionnaire_id: int):
    """Title, audience, introduction, anonymity threshold, expected respondents."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    form = SettingsForm(obj=questionnaire)
    if form.validate_on_submit():
        try:
            services.update_questionnaire(current_user, questionnaire, form.data, form.version.data)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = getattr(error, "status_code", 422)
            return render(
                "surveys/settings.html", status=status, form=form, questionnaire=questionnaire
            )
        db.session.commit()
        flash("Налаштування анкети збережено.", "success")
        return _to_builder(questionnaire)
    return render(
        "surveys/settings.html", status=form_status(form), form=form, questionnaire=questionnaire
    )


@bp.post("/<int:survey_questionnaire_id>/sections")
@requires(*MANAGERS)
def add_section(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    form = SectionForm()
    if not form.validate_on_submit():
        return _builder_response(questionnaire, 422, section_form=form)
    services.add_section(current_user, questionnaire, form.title.data)
    db.session.commit()
    return _after_change(questionnaire)


def _after_change(questionnaire: Questionnaire):
    if is_fragment_request():
        return _builder_response(questionnaire)
    return _to_builder(questionnaire)


@bp.route("/sections/<int:survey_section_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_section(survey_section_id: int):
    section = db.get_or_404(SurveySection, survey_section_id)
    form = SectionEditForm(obj=section)
    if form.validate_on_submit():
        services.update_section(current_user, section, form.title.data, form.version.data)
        db.session.commit()
        return _to_builder(section.questionnaire)
    return render("surveys/section_edit.html", status=form_status(form), form=form, section=section)


@bp.post("/sections/<int:survey_section_id>/move")
@requires(*MANAGERS)
def move_section(survey_section_id: int):
    section = db.get_or_404(SurveySection, survey_section_id)
    services.move_section(current_user, section, request.form.get("direction", ""))
    db.session.commit()
    return _after_change(section.questionnaire)


@bp.post("/sections/<int:survey_section_id>/delete")
@requires(*MANAGERS)
def delete_section(survey_section_id: int):
    section = db.get_or_404(SurveySection, survey_section_id)
    questionnaire = section.questionnaire
    services.delete_section(current_user, section)
    db.session.commit()
    return _after_change(questionnaire)


def _spec(form) -> services.QuestionSpec:
    """The question a (new or edit) question form describes."""
    kind = QuestionKind(form.kind.data)
    labels = services._lines(form.scale_labels.data)
    points = form.scale_points.data
    if kind is QuestionKind.SCALE and not labels:
        labels = services.DEFAULT_SCALE_LABELS.get(points, [])
    editing = isinstance(form, QuestionForm)
    return services.QuestionSpec(
        kind=kind,
        text=services._clean(form.text.data),
        hint=services._clean(form.hint.data) if editing else "",
        required=bool(form.required_answer.data),
        options=services._lines(form.options.data),
        scale_points=points if kind is QuestionKind.SCALE else None,
        scale_labels=labels,
        other_label=(services._clean(form.other_label.data) if editing else "")
        or services.DEFAULT_OTHER_LABEL,
        allow_many=bool(form.allow_many.data) if editing else True,
    )


@bp.post("/<int:survey_questionnaire_id>/questions")
@requires(*MANAGERS)
def add_question(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    form = NewQuestionForm(questionnaire.sections)
    if not form.validate_on_submit():
        return _builder_response(questionnaire, 422, question_form=form)
    section = db.get_or_404(SurveySection, form.section.data)
    try:
        services.add_question(current_user, questionnaire, section, _spec(form))
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _builder_response(questionnaire, 422, question_form=form)
    db.session.commit()
    return _after_change(questionnaire)


def _question_form(question: SurveyQuestion):
    questionnaire = question.questionnaire
    options = [option for option in question.options if not option.is_other]
    indicators = services.active_indicators()
    linked_ids = {item.id for item in indicators}
    # An indicator linked earlier and switched off since stays visible and kept.
    for link in question.indicator_links:
        if link.option_id is None and link.catalog_item_id not in linked_ids:
            indicators.append(link.indicator)
    spec = services.spec_of(question)
    data = {
        "section": question.section_id,
        "kind": question.kind.value,
        "text": question.text,
        "hint": question.hint,
        "required_answer": question.required,
        "options": "\n".join(spec.options),
        "other_label": spec.other_label,
        "allow_many": question.allow_many,
        "scale_points": question.scale_points or 4,
        "scale_labels": "\n".join(spec.scale_labels),
        "positive": [option.id for option in options if option.positive],
        "indicators": [
            link.catalog_item_id for link in question.indicator_links if not link.option_id
        ],
        "version": question.version,
    }
    form = QuestionForm(
        questionnaire.sections,
        options,
        indicators,
        formdata=request.form if request.method == "POST" else None,
        data=data,
    )
    return form, indicators


@bp.route("/questions/<int:survey_question_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_question(survey_question_id: int):
    """Wording, options, scale, positive answers and linked indicators of a question."""
    question = db.get_or_404(SurveyQuestion, survey_question_id)
    questionnaire = question.questionnaire
    form, indicators = _question_form(question)
    status = form_status(form)
    if form.validate_on_submit():
        section = db.get_or_404(SurveySection, form.section.data)
        try:
            services.update_question(
                current_user,
                question,
                _spec(form),
                section,
                form.version.data,
                positive_ids=set(form.positive.data or ()),
            )
            services.set_question_indicators(current_user, question, form.indicators.data or ())
        except DomainError as error:
            db.session.rollback()
            question = db.get_or_404(SurveyQuestion, survey_question_id)
            form.form_errors.append(str(error))
            status = getattr(error, "status_code", 422)
        else:
            db.session.commit()
            flash("Питання збережено.", "success")
            return _to_builder(questionnaire)
    return render(
        "surveys/question_edit.html",
        status=status,
        form=form,
        question=question,
        questionnaire=questionnaire,
        lock=services.structure_lock(questionnaire),
        options=list(question.options),
        indicators=indicators,
        option_links=[link for link in question.indicator_links if link.option_id],
    )


@bp.post("/questions/<int:survey_question_id>/move")
@requires(*MANAGERS)
def move_question(survey_question_id: int):
    question = db.get_or_404(SurveyQuestion, survey_question_id)
    questionnaire = question.questionnaire
    services.move_question(current_user, question, request.form.get("direction", ""))
    db.session.commit()
    return _after_change(questionnaire)


@bp.post("/questions/<int:survey_question_id>/delete")
@requires(*MANAGERS)
def delete_question(survey_question_id: int):
    question = db.get_or_404(SurveyQuestion, survey_question_id)
    questionnaire = question.questionnaire
    services.delete_question(current_user, question)
    db.session.commit()
    return _after_change(questionnaire)


@bp.post("/questions/<int:survey_question_id>/option-indicators")
@requires(*MANAGERS)
def link_option_indicator(survey_question_id: int):
    """Link one option of the question to an indicator (both looked up in scope)."""
    question = db.get_or_404(SurveyQuestion, survey_question_id)
    form = OptionIndicatorForm()
    form.validate_on_submit()
    option = db.get_or_404(SurveyOption, form.option_id.data or 0)
    indicator = db.get_or_404(CatalogItem, form.indicator_id.data or 0)
    if option.question_id != question.id:
        abort(404)
    services.link_option_indicator(current_user, option, indicator)
    db.session.commit()
    flash("Варіант пов’язано з індикатором.", "success")
    return redirect(url_for(".edit_question", survey_question_id=question.id), 303)


@bp.post("/indicator-links/<int:survey_indicator_link_id>/delete")
@requires(*MANAGERS)
def unlink_indicator(survey_indicator_link_id: int):
    link = db.get_or_404(SurveyIndicatorLink, survey_indicator_link_id)
    question_id = link.question_id
    services.unlink_indicator(current_user, link)
    db.session.commit()
    flash("Зв’язок з індикатором знято.", "success")
    return redirect(url_for(".edit_question", survey_question_id=question_id), 303)


# Publishing, editions, deleting.


@bp.route("/<int:survey_questionnaire_id>/publish", methods=["GET", "POST"])
@requires(*MANAGERS)
def publish(survey_questionnaire_id: int):
    """Open (or reschedule) the collection of answers between two dates."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    form = PublishForm(obj=questionnaire)
    if request.method == "GET" and not questionnaire.opens_on:
        form.opens_on.data = services.today()
        form.closes_on.data = services.today() + timedelta(days=30)
    if form.validate_on_submit():
        try:
            services.publish(current_user, questionnaire, form.opens_on.data, form.closes_on.data)
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            flash("Анкету опубліковано: поширте посилання або QR-код.", "success")
            return redirect(url_for(".links", survey_questionnaire_id=questionnaire.id), 303)
    return render(
        "surveys/publish.html",
        status=422 if form.form_errors else form_status(form),
        form=form,
        questionnaire=questionnaire,
    )


@bp.post("/<int:survey_questionnaire_id>/close")
@requires(*MANAGERS)
def close(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    services.close_now(current_user, questionnaire)
    db.session.commit()
    flash("Збір відповідей завершено.", "success")
    return _to_builder(questionnaire)


@bp.post("/<int:survey_questionnaire_id>/edition")
@requires(*MANAGERS)
def new_edition(survey_questionnaire_id: int):
    """Copy for the next school year; answers of both compare in the dynamics."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    edition = services.new_edition(current_user, questionnaire)
    db.session.commit()
    flash(
        "Створено нову редакцію анкети. Її результати порівнюватимуться з попередніми.", "success"
    )
    return _to_builder(edition)


@bp.post("/<int:survey_questionnaire_id>/delete")
@requires(*MANAGERS)
def delete(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    services.delete_questionnaire(current_user, questionnaire)
    db.session.commit()
    flash("Анкету видалено.", "success")
    return redirect(url_for(".index"), 303)


# Links, QR codes, single-use codes.


def _link_url(link: SurveyLink) -> str:
    return external_url("survey_public.link_form", token=link.token)


@bp.post("/<int:survey_questionnaire_id>/links/new")
@requires(*MANAGERS)
def add_link(survey_questionnaire_id: int):
    """Another public link: for one group, or for another audience."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    form = LinkForm()
    form.group.choices = group_choices(_groups())
    back = redirect(url_for(".links", survey_questionnaire_id=questionnaire.id), 303)
    if not form.validate_on_submit():
        flash("Оберіть групу та респондентів зі списку.", "error")
        return back
    group = _optional_group(form.group.data)
    try:
        services.add_link(current_user, questionnaire, group, SurveyAudience(form.audience.data))
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return back
    db.session.commit()
    flash("Посилання створено.", "success")
    return back


@bp.get("/<int:survey_questionnaire_id>/links")
@requires(*INSTITUTION_ROLES)
def links(survey_questionnaire_id: int):
    """Public links (for everyone or a group) with their QR codes and printed codes."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    groups = _groups()
    form = LinkForm(formdata=None, data={"audience": questionnaire.audience.value})
    form.group.choices = group_choices(groups)
    rows = db.session.scalars(
        select(SurveyLink)
        .where(SurveyLink.questionnaire_id == questionnaire.id)
        .options(joinedload(SurveyLink.group))
        .order_by(SurveyLink.id)
    ).all()
    code_counts = db.session.execute(
        select(
            SurveyCode.batch,
            SurveyCode.group_id,
            func.count(),
            func.sum(case((SurveyCode.spent.is_(True), 1), else_=0)),
        )
        .where(SurveyCode.questionnaire_id == questionnaire.id)
        .group_by(SurveyCode.batch, SurveyCode.group_id)
        .order_by(SurveyCode.batch)
    ).all()
    codes_form = CodesForm(formdata=None, data={"count": 25})
    codes_form.group.choices = group_choices(groups, "Усі (без групи)")
    return render(
        "surveys/links.html",
        questionnaire=questionnaire,
        links=[(link, _link_url(link)) for link in rows],
        form=form,
        codes_form=codes_form,
        code_counts=code_counts,
        group_names={group.id: group.name for group in groups},
        state=services.state(questionnaire),
        state_labels=services.STATE_LABELS,
        manager=g.role in MANAGERS,
        qr=qr,
        code_entry_url=external_url("survey_public.code_entry"),
    )


@bp.post("/links/<int:survey_link_id>/deactivate")
@requires(*MANAGERS)
def deactivate_link(survey_link_id: int):
    link = db.get_or_404(SurveyLink, survey_link_id)
    services.deactivate_link(current_user, link)
    db.session.commit()
    flash("Посилання вимкнено: за ним більше не можна відповісти.", "success")
    return redirect(url_for(".links", survey_questionnaire_id=link.questionnaire_id), 303)


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename) or "file"
    response.headers["Content-Disposition"] = (
        f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/links/<int:survey_link_id>/qr.svg")
@requires(*INSTITUTION_ROLES)
def link_qr_svg(survey_link_id: int):
    link = db.get_or_404(SurveyLink, survey_link_id)
    data = qr.svg_file(_link_url(link), f"QR-код анкети «{link.questionnaire.title}»")
    return _download(data, "image/svg+xml", f"qr-anketa-{link.questionnaire_id}-{link.id}.svg")


@bp.get("/links/<int:survey_link_id>/qr.png")
@requires(*INSTITUTION_ROLES)
def link_qr_png(survey_link_id: int):
    link = db.get_or_404(SurveyLink, survey_link_id)
    data = qr.png_file(_link_url(link))
    return _download(data, "image/png", f"qr-anketa-{link.questionnaire_id}-{link.id}.png")


@bp.get("/links/<int:survey_link_id>/poster")
@requires(*INSTITUTION_ROLES)
def poster(survey_link_id: int):
    """A printable page: the invitation, the QR code and the address."""
    link = db.get_or_404(SurveyLink, survey_link_id)
    url = _link_url(link)
    return render(
        "surveys/poster.html",
        link=link,
        questionnaire=link.questionnaire,
        url=url,
        svg=qr.inline_svg(url, "QR-код посилання на анкету", "qr qr-large"),
    )


@bp.post("/<int:survey_questionnaire_id>/codes")
@requires(*MANAGERS)
def generate_codes(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    form = CodesForm()
    form.group.choices = group_choices(_groups())
    if not form.validate_on_submit():
        flash(
            " ".join(message for messages in form.errors.values() for message in messages), "error"
        )
        return redirect(url_for(".links", survey_questionnaire_id=questionnaire.id), 303)
    group = _optional_group(form.group.data)
    try:
        batch = services.generate_codes(current_user, questionnaire, form.count.data, group)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".links", survey_questionnaire_id=questionnaire.id), 303)
    db.session.commit()
    return redirect(
        url_for(".code_sheet", survey_questionnaire_id=questionnaire.id, batch=batch), 303
    )


@bp.get("/<int:survey_questionnaire_id>/codes/sheet")
@requires(*MANAGERS)
def code_sheet(survey_questionnaire_id: int):
    """A sheet of codes to print and cut: a code and its QR code on each card.
    Which code is spent is not shown (only how many, on the links page)."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    batch = request.args.get("batch", "1")
    batch = int(batch) if batch.isdigit() and len(batch) < 6 else 1
    codes = db.session.scalars(
        select(SurveyCode)
        .where(SurveyCode.questionnaire_id == questionnaire.id, SurveyCode.batch == batch)
        .options(joinedload(SurveyCode.group))
        .order_by(SurveyCode.id)
    ).all()
    cards = []
    for code in codes:
        url = external_url("survey_public.code_form", token=code.code)
        cards.append(
            (
                code,
                services.format_code(code.code),
                qr.inline_svg(url, f"QR-код для коду {services.format_code(code.code)}"),
            )
        )
    return render(
        "surveys/code_sheet.html",
        questionnaire=questionnaire,
        cards=cards,
        batch=batch,
        entry_url=external_url("survey_public.code_entry"),
    )


# Paper questionnaires, entered by staff.


@bp.route("/<int:survey_questionnaire_id>/paper", methods=["GET", "POST"])
@requires(*MANAGERS)
def paper(survey_questionnaire_id: int):
    """Type in a questionnaire filled in on paper: the same form, marked as paper."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    if not questionnaire.is_published:
        return render("surveys/paper.html", questionnaire=questionnaire, structure=None)
    groups = _groups()
    structure = services.question_views(questionnaire.id)
    parsed: ParsedSubmission | None = None
    status = 200
    if request.method == "POST":
        parsed = parse_submission(structure, request.form)
        group_value = request.form.get("_group", "0")
        audience_value = request.form.get("_audience", questionnaire.audience.value)
        group = None
        if group_value.isdigit() and int(group_value):
            group = db.get_or_404(SurveyGroup, int(group_value))
        elif not group_value.isdigit():
            parsed.form_errors.append("Оберіть групу зі списку.")
        if audience_value not in AUDIENCE_LABELS:
            parsed.form_errors.append("Оберіть респондентів зі списку.")
        if parsed.ok:
            try:
                services.store_response(
                    questionnaire,
                    parsed.answers,
                    channel=Channel.PAPER,
                    audience=SurveyAudience(audience_value),
                    group_id=group.id if group else None,
                    submission_key=parsed.key,
                )
            except services.DuplicateSubmission:
                db.session.rollback()
            else:
                services.record_paper_entry(current_user, questionnaire)
                db.session.commit()
            flash("Паперову анкету внесено. Можна вносити наступну.", "success")
            return redirect(url_for(".paper", survey_questionnaire_id=questionnaire.id), 303)
        status = 422
    paper_count = queries.results(questionnaire, queries.Filters()).channels.get(
        Channel.PAPER.value, 0
    )
    return render(
        "surveys/paper.html",
        status=status,
        questionnaire=questionnaire,
        structure=structure,
        parsed=parsed,
        action=url_for(".paper", survey_questionnaire_id=questionnaire.id),
        submission_key=(parsed.key if parsed and parsed.key else services.new_key()),
        paper=True,
        groups=groups,
        audiences=AUDIENCE_LABELS,
        selected_group=request.form.get("_group", "0"),
        selected_audience=request.form.get("_audience", questionnaire.audience.value),
        paper_count=paper_count,
    )


# Results.


def _results_view(questionnaire: Questionnaire, filters: queries.Filters):
    """The numbers, and for each question shown with a chart its chart and the rows
    of its table — (label, positive, count, share as text) — so that
    ``_results.html`` only writes them out: the page shows dozens of rows."""
    view = queries.results(questionnaire, filters)
    panels = {}
    for result in view.questions:
        question = result.question
        if result.hidden or question.kind is QuestionKind.OPEN:
            continue
        chart = Markup()
        if result.options:
            rows = [(item.option.label, item.count, item.share) for item in result.options]
            chart_id = f"chart-{question.id}"
            title = f"Питання {result.number}. {question.text}"
            if question.kind is QuestionKind.SCALE:
                chart = charts.scale_chart(chart_id, title, rows, result.mean)
            else:
                chart = charts.bar_chart(chart_id, title, rows)
        table = [
            (item.option.label, item.option.positive, item.count, charts.percent(item.share))
            for item in result.options
        ]
        panels[question.id] = (chart, table)
    return view, panels


@bp.get("/<int:survey_questionnaire_id>/results")
@requires(*MANAGERS)
def results(survey_questionnaire_id: int):
    """Counts and shares per question, scale means, charts with their tables, filters.

    The numbers and charts (the ``_results.html`` fragment) are cached per
    institution, questionnaire, version, data version and filters: a new answer
    or change makes a new key (see ``dozq.surveys.cache``)."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    filters = queries.Filters.from_args(request.args)
    key = results_key(questionnaire, filters)
    cached = results_cache.get(key)
    if cached is None:
        view, panels = _results_view(questionnaire, filters)
        fragment = Markup(
            render_template(
                "surveys/_results.html",
                questionnaire=questionnaire,
                view=view,
                panels=panels,
                percent=charts.percent,
                decimal=charts.decimal,
            )
        )
        cached = (view, fragment)
        results_cache.put(key, cached)
    view, fragment = cached
    return render_around(
        "surveys/results.html",
        fragment,
        questionnaire=questionnaire,
        view=view,
        results_fragment=fragment,
        state=services.state(questionnaire),
        state_labels=services.STATE_LABELS,
    )


@bp.get("/<int:survey_questionnaire_id>/results.csv")
@requires(*MANAGERS)
def results_csv(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    view = queries.results(questionnaire, queries.Filters.from_args(request.args))
    return _download(
        exports.results_csv(view),
        "text/csv; charset=utf-8",
        f"rezultaty-anketa-{questionnaire.id}.csv",
    )


@bp.get("/<int:survey_questionnaire_id>/results.xlsx")
@requires(*MANAGERS)
def results_xlsx(survey_questionnaire_id: int):
    questionnaire = _questionnaire(survey_questionnaire_id)
    filters = queries.Filters.from_args(request.args)
    view = queries.results(questionnaire, filters)
    return _download(
        exports.results_xlsx(view, filters),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        f"rezultaty-anketa-{questionnaire.id}.xlsx",
    )


@bp.get("/<int:survey_questionnaire_id>/results/groups")
@requires(*MANAGERS)
def group_results(survey_questionnaire_id: int):
    """Each question by group: groups with few respondents hidden (and their complement)."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    filters = queries.Filters.from_args(request.args)
    filters.group_id = None
    columns, rows, view = queries.group_breakdown(questionnaire, filters)
    return render(
        "surveys/group_results.html",
        questionnaire=questionnaire,
        columns=columns,
        rows=rows,
        view=view,
        filters=view.filters,
        percent=charts.percent,
        decimal=charts.decimal,
    )


@bp.get("/questions/<int:survey_question_id>/answers")
@requires(*MANAGERS)
def open_answers(survey_question_id: int):
    """Written answers of one question (open ones or «інше»), searchable."""
    question = db.get_or_404(SurveyQuestion, survey_question_id)
    questionnaire = question.questionnaire
    filters = queries.Filters.from_args(request.args)
    view = queries.results(questionnaire, filters)
    result = next(item for item in view.questions if item.question.id == question.id)
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < len(page) < 6 and int(page) > 0 else 1
    search = (request.args.get("q") or "")[:200]
    texts, total = [], 0
    if not result.hidden:
        texts, total = queries.open_answers(question, filters, search, page, OPEN_ANSWERS_PER_PAGE)
    pages = max(1, -(-total // OPEN_ANSWERS_PER_PAGE))
    return render(
        "surveys/open_answers.html",
        "surveys/_open_answers.html",
        question=question,
        questionnaire=questionnaire,
        result=result,
        view=view,
        texts=texts,
        total=total,
        search=search,
        page_number=page,
        pages=pages,
        filters=filters,
    )


@bp.get("/<int:survey_questionnaire_id>/dynamics")
@requires(*MANAGERS)
def dynamics(survey_questionnaire_id: int):
    """The same questions over school years (this questionnaire and its earlier editions)."""
    questionnaire = _questionnaire(survey_questionnaire_id)
    years, rows, editions = queries.dynamics(questionnaire)
    shown_years = [(year.value, year.label) for year in years if not year.hidden]
    chart_rows = [
        (
            f"{row.number}. {row.question.text}",
            {year: point.share_positive for year, point in row.points.items() if not point.hidden},
        )
        for row in rows
        if row.question.has_positive
    ]
    chart = (
        charts.dynamics_chart(
            "chart-dynamics",
            "Частка позитивних відповідей за навчальними роками",
            shown_years,
            chart_rows,
        )
        if shown_years and chart_rows
        else None
    )
    return render(
        "surveys/dynamics.html",
        questionnaire=questionnaire,
        years=years,
        rows=rows,
        editions=editions,
        chart=chart,
        percent=charts.percent,
        decimal=charts.decimal,
        school_year_label=services.school_year_label,
    )


# Groups of the institution.


@bp.route("/groups", methods=["GET", "POST"])
@requires(*MANAGERS)
def groups():
    """The institution's groups, for links, codes and breakdowns."""
    form = GroupForm()
    if form.validate_on_submit():
        try:
            services.save_group(current_user, None, form.data)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash("Групу додано.", "success")
            return redirect(url_for(".groups"), 303)
    return render(
        "surveys/groups.html",
        status=form_status(form),
        form=form,
        groups=_groups(),
    )


@bp.route("/groups/<int:survey_group_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_group(survey_group_id: int):
    group = db.get_or_404(SurveyGroup, survey_group_id)
    form = GroupEditForm(obj=group)
    if form.validate_on_submit():
        try:
            services.save_group(current_user, group, form.data, form.version.data)
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
            if getattr(error, "status_code", 422) == 409:
                return render("surveys/group_edit.html", status=409, form=form, group=group)
        else:
            db.session.commit()
            flash("Групу збережено.", "success")
            return redirect(url_for(".groups"), 303)
    return render("surveys/group_edit.html", status=form_status(form), form=form, group=group)


@bp.post("/groups/<int:survey_group_id>/delete")
@requires(*MANAGERS)
def delete_group(survey_group_id: int):
    group = db.get_or_404(SurveyGroup, survey_group_id)
    services.delete_group(current_user, group)
    db.session.commit()
    flash("Групу видалено.", "success")
    return redirect(url_for(".groups"), 303)
