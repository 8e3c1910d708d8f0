"""Pages of self-assessment: plan, collect, generalise and rate, discuss, act.

Views load already-scoped objects (a foreign id answers 404 before any form is
read), call one service, commit and redirect (303) — or, for htmx, answer with
the updated fragment. A refused step keeps the form with its Ukrainian message
and changes nothing (the session is rolled back).
"""

from datetime import datetime

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dozq.assessment import queries, services
from dozq.assessment.forms import (
    AnswerForm,
    ConclusionForm,
    CouncilDiscussionForm,
    CouncilMeetingForm,
    CycleForm,
    DecisionForm,
    DecisionStatusForm,
    DiscussionForm,
    DocumentStudyForm,
    FilesForm,
    FounderRequestForm,
    InternalMonitoringForm,
    InterviewForm,
    LinkMeetingForm,
    MemberForm,
    MonitoringForm,
    NeedForm,
    NewCouncilMeetingForm,
    NewCycleForm,
    NewTemplateForm,
    ObservationForm,
    PlanEntryForm,
    ProcedureReviewForm,
    ProtocolForm,
    RatingForm,
    ScheduleForm,
    ScopeForm,
    StaffEvidenceForm,
    TemplateForm,
    TransitionForm,
    optional_id_choices,
)
from dozq.assessment.models import (
    TRANSITION_LABELS,
    TRANSITIONS,
    ChecklistTemplate,
    CycleMember,
    CycleScheduleItem,
    CycleStatus,
    EvidenceKind,
    FounderRequest,
    ItemAssessment,
    ManagementDecision,
    MethodPlanEntry,
    PedagogicalCouncilMeeting,
    ScopeKind,
)
from dozq.assessment.scoring import indicators_of
from dozq.catalog.models import CatalogItem, ItemKind, Method
from dozq.db import db
from dozq.publication import queries as publication_queries
from dozq.publication.models import MonitoringProgramme
from dozq.quality_system.models import (
    AnnualPlan,
    AnnualPlanSection,
    DevelopmentProgramme,
    QualityComponent,
    QualityMeasure,
    ScaleLevel,
)
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES, MANAGERS, Role
from dozq.web.errors import DomainError
from dozq.web.filters import KYIV
from dozq.web.forms import choices, form_status, refused
from dozq.web.htmx import is_fragment_request, render

bp = Blueprint("assessment", __name__, url_prefix="/self-assessment")
founder_requests_bp = Blueprint("assessment_requests", __name__, url_prefix="/requests")

ANY = INSTITUTION_ROLES


@bp.app_template_filter("score_uk")
def score_uk(value) -> str:
    """3,56 — a score with the decimal comma."""
    from dozq.assessment.scoring import score_text

    return score_text(value)


def _today():
    return datetime.now(KYIV).date()


def _done(url: str, message: str | None = None):
    if message:
        flash(message, "success")
    return redirect(url, 303)


def _cycle_url(cycle, endpoint="cycle", **values):
    return url_for(f"institution.assessment.{endpoint}", assessment_cycle_id=cycle.id, **values)


def _item_choices(items, empty: str | None = None) -> list:
    labels = {item.id: f"{item.code} {item.text}" for item in items}
    return choices({"": empty, **labels}) if empty is not None else choices(labels)


def _staff_choices(empty: str | None = None) -> list:
    labels = {user.id: user.full_name for user, _membership in queries.staff()}
    return choices({"": empty, **labels}) if empty is not None else choices(labels)


# Indicators offered on evidence forms.


def _indicator_groups(cycle, method: Method | None, show_all: bool):
    """(all indicators of the cycle's scope as choices, groups to show as
    [(direction, [indicator node, …])], whether the list is filtered by method)."""
    result = queries.results(cycle, with_previous=False)
    indicators = result.indicators
    form_choices = choices({node.id: f"{node.code} {node.text}" for node in indicators})
    filtered = method is not None and not show_all
    groups = []
    for root in result.roots:
        nodes = [
            node for node in indicators_of([root]) if not filtered or method.value in node.methods
        ]
        if nodes:
            groups.append((root, nodes))
    if filtered and not groups:
        filtered = False
        groups = [(root, indicators_of([root])) for root in result.roots]
    return form_choices, groups, filtered


def _preselect(form) -> None:
    if request.method == "GET" and (wanted := request.args.get("indicator", type=int)):
        form.indicator_ids.data = [wanted]


# Cycles.


@bp.get("/")
@requires(*ANY)
def index():
    """The institution's self-assessment cycles and where each stands."""
    return render(
        "assessment/index.html",
        cycles=queries.cycles(),
        collecting=queries.collecting_cycles(),
    )


@bp.route("/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_cycle():
    """Plan a cycle: model, period, scope."""
    form = NewCycleForm(data=None if request.method == "POST" else services.default_cycle_values())
    status = form_status(form)
    if form.validate_on_submit():
        try:
            cycle = services.create_cycle(current_user, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                _cycle_url(cycle, "plan"),
                f"Самооцінювання «{cycle.title}» заплановано. Сформуйте робочу групу.",
            )
    return render("assessment/cycle_form.html", status=status, form=form, cycle=None)


@bp.get("/<int:assessment_cycle_id>")
@requires(*ANY)
def cycle(assessment_cycle_id: int):
    """Where the cycle stands: status, next steps, warnings, its history."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return render(
        "assessment/cycle.html",
        "assessment/_status.html",
        **_status_context(cycle),
    )


def _status_context(cycle, form=None):
    plan = queries.plan(cycle)
    moves = [
        (
            target,
            TRANSITION_LABELS[(cycle.status, target)],
            services.is_backward(cycle.status, target),
        )
        for target in TRANSITIONS[cycle.status]
    ]
    warnings = []
    if regulation := services.regulation_warning(cycle):
        warnings.append(regulation)
    if cycle.scope_kind != ScopeKind.ALL and not any(e.catalog_item_id for e in plan.scope):
        warnings.append(
            "Обсяг самооцінювання ще не визначено: оберіть напрями та вимоги або розділи "
            "плану роботи з напрямами чи вимогами, які вони охоплюють."
        )
    if cycle.status == CycleStatus.PLANNED and not plan.members:
        warnings.append("Робочу групу ще не сформовано.")
    if cycle.status == CycleStatus.PLANNED and not plan.entries:
        warnings.append("Методи збору інформації для індикаторів ще не заплановано.")
    if cycle.status == CycleStatus.RATING and not services.council_discussions(cycle):
        warnings.append(
            "Щоб позначити результати як обговорені, додайте засідання педагогічної ради."
        )
    return {
        "cycle": cycle,
        "plan": plan,
        "moves": moves,
        "warnings": warnings,
        "form": form or TransitionForm(formdata=None, version=cycle.version),
        "director_only": services.DIRECTOR_ONLY,
        "statuses": list(CycleStatus),
        "counts": queries.evidence_counts(cycle),
    }


@bp.route("/<int:assessment_cycle_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_cycle(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = CycleForm(obj=cycle)
    del form.scope_kind
    status = form_status(form)
    if form.validate_on_submit():
        try:
            services.update_cycle(
                current_user,
                cycle,
                {**form.data, "scope_kind": cycle.scope_kind},
                form.version.data,
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "plan"), "План самооцінювання збережено.")
    return render("assessment/cycle_form.html", status=status, form=form, cycle=cycle)


@bp.post("/<int:assessment_cycle_id>/transition")
@requires(*MANAGERS)
def move(assessment_cycle_id: int):
    """Move the cycle to its next (or previous) step."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = TransitionForm()
    status = 200
    if form.validate_on_submit():
        try:
            target = CycleStatus(form.target.data)
        except ValueError:
            form.form_errors.append("Невідомий стан циклу.")
            status = 422
        else:
            try:
                services.transition(
                    current_user,
                    g.role,
                    cycle,
                    target,
                    form.note.data or "",
                    form.version.data,
                    form.publication_url.data or "",
                )
            except DomainError as error:
                status = refused(form, error)
            else:
                db.session.commit()
                message = f"Стан циклу: «{cycle.status.label}»."
                if not is_fragment_request():
                    return _done(_cycle_url(cycle), message)
                flash(message, "success")
                form = None
    else:
        status = 422
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return render(
        "assessment/cycle.html",
        "assessment/_status.html",
        status=status,
        **_status_context(cycle, form),
    )


# The plan: scope, working group, methods per indicator, schedule.


@bp.get("/<int:assessment_cycle_id>/plan")
@requires(*ANY)
def plan(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return render("assessment/plan.html", **_plan_context(cycle))


def _plan_context(cycle, member_form=None, entry_form=None, schedule_form=None):
    items = queries.directions_and_requirements(cycle)
    result = queries.results(cycle, with_previous=False)
    plan = queries.plan(cycle)
    member_form = member_form or MemberForm(formdata=None)
    member_form.user_id.choices = _staff_choices("— оберіть працівника —")
    member_form.item_id.choices = _item_choices(items, "— не визначено —")
    entry_form = entry_form or PlanEntryForm(formdata=None)
    entry_form.indicator_id.choices = _item_choices(result.indicators)
    entry_form.member_id.choices = choices(
        {"": "— не визначено —", **{member.id: member.display_name for member in plan.members}}
    )
    schedule_form = schedule_form or ScheduleForm(formdata=None)
    return {
        "cycle": cycle,
        "plan": plan,
        "result": result,
        "member_form": member_form,
        "entry_form": entry_form,
        "schedule_form": schedule_form,
        "warning": services.regulation_warning(cycle),
        "editable": not cycle.finished and g.role in MANAGERS,
    }


@bp.route("/<int:assessment_cycle_id>/scope", methods=["GET", "POST"])
@requires(*MANAGERS)
def scope(assessment_cycle_id: int):
    """What the cycle assesses: all, chosen directions and requirements, plan sections."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    plan = queries.plan(cycle)
    items = queries.directions_and_requirements(cycle)
    annual_plan = db.session.scalar(
        select(AnnualPlan).where(AnnualPlan.school_year == cycle.school_year)
    )
    sections = list(annual_plan.sections) if annual_plan else []
    chosen_items = [entry.catalog_item_id for entry in plan.scope if entry.plan_section_id is None]
    section_items = {
        entry.plan_section_id: entry.catalog_item_id
        for entry in plan.scope
        if entry.plan_section_id is not None
    }
    form = ScopeForm(
        data=None
        if request.method == "POST"
        else {
            "scope_kind": cycle.scope_kind.value,
            "items": chosen_items,
            "sections": list(section_items),
            "version": cycle.version,
        }
    )
    form.items.choices = _item_choices(items)
    form.sections.choices = choices({section.id: section.title for section in sections})
    status = form_status(form)
    if form.validate_on_submit():
        by_id = {item.id: item for item in items}
        links = []
        for section in sections:
            if section.id in (form.sections.data or []):
                raw = request.form.get(f"section-{section.id}-item", type=int)
                if raw is not None and raw not in by_id:
                    abort(404)
                links.append((section, by_id.get(raw)))
        try:
            services.set_scope(
                current_user,
                cycle,
                ScopeKind(form.scope_kind.data),
                form.items.data or (),
                links,
                form.version.data,
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "plan"), "Обсяг самооцінювання збережено.")
    return render(
        "assessment/scope.html",
        status=status,
        cycle=cycle,
        form=form,
        catalog_items=items,
        annual_plan=annual_plan,
        sections=sections,
        section_items=section_items,
    )


def _plan_fragment(cycle, status=200, **forms):
    context = _plan_context(cycle, **forms)
    return render("assessment/plan.html", "assessment/_plan_group.html", status=status, **context)


@bp.post("/<int:assessment_cycle_id>/members")
@requires(*MANAGERS)
def add_member(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = MemberForm()
    form.user_id.choices = _staff_choices("— оберіть працівника —")
    items = queries.directions_and_requirements(cycle)
    form.item_id.choices = _item_choices(items, "— не визначено —")
    status = 422
    if form.validate_on_submit():
        user = queries.staff_user_or_404(form.user_id.data) if form.user_id.data else None
        item = db.get_or_404(CatalogItem, form.item_id.data) if form.item_id.data else None
        try:
            member = services.add_member(current_user, cycle, form.data, user, item)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            if not is_fragment_request():
                return _done(
                    _cycle_url(cycle, "plan"), f"До робочої групи додано: {member.display_name}."
                )
            return _plan_fragment(cycle)
    return _plan_fragment(cycle, status, member_form=form)


@bp.post("/members/<int:cycle_member_id>/remove")
@requires(*MANAGERS)
def remove_member(cycle_member_id: int):
    member = db.get_or_404(CycleMember, cycle_member_id)
    cycle = queries.cycle_or_404(member.cycle_id)
    try:
        services.remove_member(current_user, member, cycle)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Учасника вилучено з робочої групи.", "success")
    return redirect(_cycle_url(cycle, "plan"), 303)


@bp.post("/<int:assessment_cycle_id>/methods")
@requires(*MANAGERS)
def add_plan_entry(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    context = _plan_context(cycle)
    form = PlanEntryForm()
    form.indicator_id.choices = context["entry_form"].indicator_id.choices
    form.member_id.choices = context["entry_form"].member_id.choices
    if form.validate_on_submit():
        indicator = db.get_or_404(CatalogItem, form.indicator_id.data)
        member = db.get_or_404(CycleMember, form.member_id.data) if form.member_id.data else None
        try:
            services.add_plan_entry(current_user, cycle, indicator, form.data, member)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "plan", _anchor="methods"), "Метод заплановано.")
    else:
        status = 422
    return render("assessment/plan.html", status=status, **_plan_context(cycle, entry_form=form))


@bp.post("/<int:assessment_cycle_id>/methods/fill")
@requires(*MANAGERS)
def fill_methods(assessment_cycle_id: int):
    """Plan the catalog's methods for every indicator in scope."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    result = queries.results(cycle, with_previous=False)
    try:
        added = services.fill_method_plan(current_user, cycle, result.indicators)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(
            f"Заплановано методів: {added}." if added else "Усі методи каталогу вже заплановано.",
            "success",
        )
    return redirect(_cycle_url(cycle, "plan", _anchor="methods"), 303)


@bp.post("/methods/<int:method_plan_entry_id>/remove")
@requires(*MANAGERS)
def remove_plan_entry(method_plan_entry_id: int):
    entry = db.get_or_404(MethodPlanEntry, method_plan_entry_id)
    cycle = queries.cycle_or_404(entry.cycle_id)
    try:
        services.remove_plan_entry(current_user, entry, cycle)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Метод вилучено з плану.", "success")
    return redirect(_cycle_url(cycle, "plan", _anchor="methods"), 303)


@bp.post("/<int:assessment_cycle_id>/schedule")
@requires(*MANAGERS)
def add_schedule_item(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            services.add_schedule_item(current_user, cycle, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "plan", _anchor="schedule"), "Графік доповнено.")
    else:
        status = 422
    return render("assessment/plan.html", status=status, **_plan_context(cycle, schedule_form=form))


@bp.post("/schedule/<int:cycle_schedule_item_id>/remove")
@requires(*MANAGERS)
def remove_schedule_item(cycle_schedule_item_id: int):
    item = db.get_or_404(CycleScheduleItem, cycle_schedule_item_id)
    cycle = queries.cycle_or_404(item.cycle_id)
    try:
        services.remove_schedule_item(current_user, item, cycle)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Пункт графіка вилучено.", "success")
    return redirect(_cycle_url(cycle, "plan", _anchor="schedule"), 303)


# Collecting evidence.


@bp.get("/<int:assessment_cycle_id>/evidence")
@requires(*ANY)
def evidence_list(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    kind = request.args.get("kind") or None
    try:
        kind = EvidenceKind(kind) if kind else None
    except ValueError:
        kind = None
    mine = request.args.get("mine") == "1"
    listing = queries.evidence_page(
        cycle, kind, request.args.get("page", 1, type=int), current_user.id if mine else None
    )
    return render(
        "assessment/evidence_list.html",
        "assessment/_evidence_list.html",
        cycle=cycle,
        listing=listing,
        kind=kind,
        mine=mine,
        kinds=list(EvidenceKind),
        templates=queries.templates(active_only=True),
    )


def _marks_form(form, template: ChecklistTemplate) -> None:
    """One mark row per focus point of the template."""
    while len(form.marks) < len(template.items):
        form.marks.append_entry()


def _checklist_data(form) -> dict:
    data = dict(form.data)
    data["marks"] = [(entry.mark.data or None, entry.comment.data) for entry in form.marks]
    return data


@bp.route(
    "/<int:assessment_cycle_id>/checklists/<int:checklist_template_id>/new",
    methods=["GET", "POST"],
)
@requires(*ANY)
def record_checklist(assessment_cycle_id: int, checklist_template_id: int):
    """Fill in an observation sheet or a document-study sheet."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    template = db.get_or_404(ChecklistTemplate, checklist_template_id)
    observation = template.kind.is_observation
    form = ObservationForm() if observation else DocumentStudyForm()
    _marks_form(form, template)
    if request.method == "GET":
        form.occurred_on.data = _today()
        _preselect(form)
    method = Method.OBSERVATION if observation else Method.DOCUMENTS
    show_all = request.args.get("all") == "1"
    form.indicator_ids.choices, groups, filtered = _indicator_groups(cycle, method, show_all)
    if observation:
        form.observed_user_id.choices = _staff_choices("— не стосується одного педагога —")
        form.observer_ids.choices = _staff_choices()
    status = form_status(form)
    if form.validate_on_submit():
        uploads = request.files.getlist(form.files.name)
        try:
            if observation:
                observers = queries.staff_users(form.observer_ids.data or [])
                observed = (
                    queries.staff_user_or_404(form.observed_user_id.data)
                    if form.observed_user_id.data
                    else None
                )
                evidence = services.record_observation(
                    current_user,
                    cycle,
                    template,
                    _checklist_data(form),
                    observers,
                    observed,
                    uploads,
                )
            else:
                evidence = services.record_document_study(
                    current_user, cycle, template, _checklist_data(form), uploads
                )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                url_for("institution.assessment.evidence", evidence_id=evidence.id),
                "Записано." if not observation else "Спостереження записано.",
            )
    return render(
        "assessment/checklist_record.html",
        status=status,
        cycle=cycle,
        template=template,
        form=form,
        observation=observation,
        groups=groups,
        filtered=filtered,
        show_all=show_all,
    )


@bp.route("/<int:assessment_cycle_id>/interviews/new", methods=["GET", "POST"])
@requires(*ANY)
def record_interview(assessment_cycle_id: int):
    """Plan an interview or focus group (questions) and record its protocol."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = InterviewForm()
    if request.method == "GET":
        form.occurred_on.data = _today()
        _preselect(form)
    kind = form.interview_kind.data or "structured"
    method = Method.SURVEY_FOCUS_GROUP if kind == "focus_group" else Method.SURVEY_INTERVIEW
    show_all = request.args.get("all") == "1"
    form.indicator_ids.choices, groups, filtered = _indicator_groups(cycle, method, show_all)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            evidence, warning = services.record_interview(
                current_user, cycle, form.data, request.files.getlist(form.files.name)
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            if warning:
                flash(warning, "warning")
            return _done(
                url_for("institution.assessment.evidence", evidence_id=evidence.id),
                "Інтерв’ю збережено.",
            )
    warning = (
        services.focus_group_warning(*_interview_kind_and_count(form))
        if form.is_submitted()
        else None
    )
    return render(
        "assessment/interview_form.html",
        status=status,
        cycle=cycle,
        form=form,
        groups=groups,
        filtered=filtered,
        show_all=show_all,
        warning=warning,
    )


def _interview_kind_and_count(form):
    from dozq.assessment.models import InterviewKind

    try:
        kind = InterviewKind(form.interview_kind.data)
    except ValueError:
        kind = None
    return kind, form.participants_count.data if not form.participants_count.errors else None


@bp.route("/<int:assessment_cycle_id>/monitoring/new", methods=["GET", "POST"])
@requires(*ANY)
def record_monitoring(assessment_cycle_id: int):
    """Results of external monitoring (органи управління освітою, міжнародні установи,
    громадські організації) as evidence."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return _evidence_with_files(
        cycle,
        MonitoringForm(),
        services.record_monitoring,
        "Результати моніторингу додано.",
        "assessment/monitoring_form.html",
        filtered=False,
        show_all=True,
    )


@bp.route("/<int:assessment_cycle_id>/internal-monitoring/new", methods=["GET", "POST"])
@requires(*ANY)
def record_internal_monitoring(assessment_cycle_id: int):
    """Results of one of the institution's internal monitoring programmes as evidence:
    ``?programme=<id>`` fills the form with that programme's results and indicators."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    programmes = publication_queries.programmes()
    form = InternalMonitoringForm()
    form.programme_id.choices = optional_id_choices(
        {
            programme.id: programme.subject
            + ("" if programme.results.strip() else " (результатів ще немає)")
            for programme in programmes
        },
        "— оберіть програму —",
    )
    form.indicator_ids.choices, groups, _filtered = _indicator_groups(cycle, None, True)
    chosen = None
    if request.method == "GET":
        form.occurred_on.data = _today()
        _preselect(form)
        wanted = request.args.get("programme", type=int)
        chosen = next((programme for programme in programmes if programme.id == wanted), None)
        if chosen is not None:
            form.programme_id.data = chosen.id
            form.body.data = chosen.results
            if cycle.collects and chosen.results.strip():
                form.indicator_ids.data = list(
                    dict.fromkeys(
                        [
                            *(form.indicator_ids.data or ()),
                            *services.programme_indicator_ids(cycle, chosen),
                        ]
                    )
                )
    status = form_status(form)
    if form.validate_on_submit():
        programme = db.get_or_404(MonitoringProgramme, form.programme_id.data)
        try:
            evidence = services.record_internal_monitoring(
                current_user, cycle, programme, form.data, request.files.getlist(form.files.name)
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                url_for("institution.assessment.evidence", evidence_id=evidence.id),
                "Результати внутрішнього моніторингу додано.",
            )
    return render(
        "assessment/internal_monitoring_form.html",
        status=status,
        cycle=cycle,
        form=form,
        groups=groups,
        programmes=programmes,
        chosen=chosen,
    )


@bp.route("/evidence/new", methods=["GET", "POST"])
@requires(*ANY)
def new_evidence():
    """The short form for any staff member, comfortable on a phone."""
    collecting = queries.collecting_cycles()
    wanted = request.args.get("cycle", type=int)
    cycle = next((item for item in collecting if item.id == wanted), None)
    if cycle is None and collecting:
        cycle = collecting[0]
    if cycle is None:
        return render("assessment/staff_evidence.html", cycle=None, collecting=[], form=None)
    return _staff_evidence(cycle, collecting)


@bp.route("/<int:assessment_cycle_id>/evidence/new", methods=["GET", "POST"])
@requires(*ANY)
def new_cycle_evidence(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return _staff_evidence(cycle, queries.collecting_cycles())


def _staff_evidence(cycle, collecting):
    form = StaffEvidenceForm()
    del form.cycle_id
    return _evidence_with_files(
        cycle,
        form,
        services.record_staff_evidence,
        "Доказ збережено. Дякуємо!",
        "assessment/staff_evidence.html",
        collecting=collecting,
    )


def _evidence_with_files(cycle, form, record_evidence, saved_message, template, **context):
    """An evidence form with indicators and files: prefilled on GET, recorded on POST."""
    if request.method == "GET":
        form.occurred_on.data = _today()
        _preselect(form)
    form.indicator_ids.choices, groups, _filtered = _indicator_groups(cycle, None, True)
    status = form_status(form)
    if form.validate_on_submit():
        files = request.files.getlist(form.files.name)
        try:
            evidence = record_evidence(current_user, cycle, form.data, files)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                url_for("institution.assessment.evidence", evidence_id=evidence.id), saved_message
            )
    return render(template, status=status, cycle=cycle, form=form, groups=groups, **context)


def _evidence_context(evidence, files_form=None, protocol_form=None, need_form=None):
    cycle = queries.cycle_or_404(evidence.cycle_id)
    needs = queries.visible_needs(current_user, g.role, evidence=evidence)
    need_form = need_form or NeedForm(formdata=None, teacher_id=evidence.observed_user_id)
    need_form.teacher_id.choices = _staff_choices()
    return {
        "evidence": evidence,
        "cycle": cycle,
        "indicators": queries.linked_indicators(evidence),
        "needs": needs,
        "can_change": services.can_change_evidence(current_user, g.role, evidence),
        "files_form": files_form or FilesForm(formdata=None),
        "protocol_form": protocol_form
        or ProtocolForm(
            formdata=None,
            respondents_informed=evidence.respondents_informed,
            recording_method=evidence.recording_method,
            body=evidence.body,
        ),
        "need_form": need_form,
        "may_add_needs": g.role in MANAGERS,
    }


@bp.get("/evidence/<int:evidence_id>")
@requires(*ANY)
def evidence(evidence_id: int):
    """One piece of evidence: what was recorded, by whom, its files and indicators."""
    found = queries.evidence_or_404(evidence_id)
    return render("assessment/evidence.html", **_evidence_context(found))


@bp.post("/evidence/<int:evidence_id>/files")
@requires(*ANY)
def add_files(evidence_id: int):
    found = queries.evidence_or_404(evidence_id)
    form = FilesForm()
    cycle = queries.cycle_or_404(found.cycle_id)
    if not services.can_change_evidence(current_user, g.role, found):
        abort(403)
    status = 422
    if form.validate_on_submit():
        try:
            services.add_files(current_user, found, cycle, request.files.getlist(form.files.name))
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(url_for(".evidence", evidence_id=found.id), "Файли додано.")
    found = queries.evidence_or_404(evidence_id)
    return render(
        "assessment/evidence.html", status=status, **_evidence_context(found, files_form=form)
    )


@bp.post("/evidence/<int:evidence_id>/protocol")
@requires(*ANY)
def record_protocol(evidence_id: int):
    """The answers of an interview or focus group, recorded after it was held."""
    found = queries.evidence_or_404(evidence_id)
    cycle = queries.cycle_or_404(found.cycle_id)
    if not services.can_change_evidence(current_user, g.role, found):
        abort(403)
    form = ProtocolForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.record_protocol(
                current_user, found, cycle, form.data, request.files.getlist(form.files.name)
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(url_for(".evidence", evidence_id=found.id), "Відповіді записано.")
    found = queries.evidence_or_404(evidence_id)
    return render(
        "assessment/evidence.html", status=status, **_evidence_context(found, protocol_form=form)
    )


@bp.post("/evidence/<int:evidence_id>/delete")
@requires(*ANY)
def delete_evidence(evidence_id: int):
    found = queries.evidence_or_404(evidence_id)
    cycle = queries.cycle_or_404(found.cycle_id)
    try:
        services.delete_evidence(current_user, g.role, found, cycle)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".evidence", evidence_id=evidence_id), 303)
    db.session.commit()
    return _done(_cycle_url(cycle, "evidence_list"), "Доказ вилучено.")


@bp.post("/evidence/<int:evidence_id>/needs")
@requires(*MANAGERS)
def add_need(evidence_id: int):
    """A teacher's professional development need found by this observation."""
    found = queries.evidence_or_404(evidence_id)
    cycle = queries.cycle_or_404(found.cycle_id)
    form = NeedForm()
    form.teacher_id.choices = _staff_choices()
    status = 422
    if form.validate_on_submit():
        teacher = queries.staff_user_or_404(form.teacher_id.data)
        try:
            services.add_development_need(current_user, found, cycle, teacher, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                url_for(".evidence", evidence_id=found.id),
                "Потребу професійного розвитку зафіксовано.",
            )
    found = queries.evidence_or_404(evidence_id)
    return render(
        "assessment/evidence.html", status=status, **_evidence_context(found, need_form=form)
    )


@bp.get("/development-needs")
@requires(*ANY)
def needs():
    """Professional development needs: a teacher sees their own; the director and the
    methodologist see all."""
    return render(
        "assessment/needs.html",
        needs=queries.visible_needs(current_user, g.role),
        sees_all=queries.may_see_all_needs(g.role),
    )


# Generalising and rating.


@bp.get("/<int:assessment_cycle_id>/results")
@requires(*ANY)
def results(assessment_cycle_id: int):
    """Every item with its score, level and evidence; dozq's proposal for each indicator."""
    cycle = queries.cycle_or_404(assessment_cycle_id, with_previous=True)
    result = queries.results(cycle)
    return render(
        "assessment/results.html",
        cycle=cycle,
        result=result,
        proposals=queries.proposals(cycle, result),
    )


@bp.get("/<int:assessment_cycle_id>/overview")
@requires(*ANY)
def overview(assessment_cycle_id: int):
    """Directions × requirements coloured by level, with the previous cycle beside."""
    cycle = queries.cycle_or_404(assessment_cycle_id, with_previous=True)
    return render(
        "assessment/overview.html",
        "assessment/_matrix.html",
        cycle=cycle,
        # The matrix shows levels: the evidence counts are the results page's.
        result=queries.results(cycle, with_methods=False, with_counts=False, shallow=True),
    )


@bp.get("/<int:assessment_cycle_id>/items/<int:catalog_item_id>")
@requires(*ANY)
def item(assessment_cycle_id: int, catalog_item_id: int):
    """An indicator with all its evidence and its rating; or a criterion, requirement or
    direction with its roll-up and the working group's findings."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    found = queries.item_or_404(cycle, catalog_item_id)
    if found.item.kind == ItemKind.INDICATOR:
        return _indicator_view(cycle, found)
    return _conclusion_view(cycle, found.item.id)


def _indicator_view(cycle, found, form=None, status=200, saved=False):
    page = queries.indicator_page(cycle, found)
    if form is None:
        assessment = page.assessment
        form = RatingForm(
            formdata=None,
            score=_score_input(assessment.score) if assessment else "",
            narrative=assessment.narrative if assessment else "",
            justification=assessment.justification if assessment else "",
            version=assessment.version if assessment else 0,
        )
    if page.scale is not None:
        form.score.description = (
            f"Число від {_score_input(page.scale.min_score)} до "
            f"{_score_input(page.scale.max_score)}, наприклад 3,5."
        )
    return render(
        "assessment/indicator.html",
        "assessment/_rating.html",
        status=status,
        cycle=cycle,
        info=page,
        form=form,
        saved=saved,
        may_rate=g.role in MANAGERS and cycle.status == CycleStatus.RATING,
    )


@bp.get("/<int:assessment_cycle_id>/items/<int:catalog_item_id>/proposal")
@requires(*ANY)
def proposal(assessment_cycle_id: int, catalog_item_id: int):
    """dozq's proposed score for an indicator, with questionnaire results and how the
    proposal was reached; loaded into the indicator's page after it opens."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    found = queries.item_or_404(cycle, catalog_item_id)
    if found.item.kind != ItemKind.INDICATOR:
        # A criterion, requirement or direction: the proposals for its indicators.
        result = queries.results(cycle, with_previous=False)
        node = result.node(found.item.id)
        indicators = indicators_of([node]) if node else []
        return render(
            "assessment/proposals.html",
            cycle=cycle,
            item=found.item,
            indicators=indicators,
            proposals=queries.proposals(cycle, result, indicators),
        )
    page = queries.with_proposal(queries.indicator_page(cycle, found))
    return render("assessment/proposal.html", "assessment/_proposal.html", cycle=cycle, info=page)


def _score_input(value) -> str:
    from dozq.assessment.scoring import score_text

    return score_text(value) if value is not None else ""


@bp.post("/<int:assessment_cycle_id>/items/<int:catalog_item_id>/rating")
@requires(*MANAGERS)
def rate(assessment_cycle_id: int, catalog_item_id: int):
    """A person's score for the indicator, with the narrative and justification."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    found = queries.item_or_404(cycle, catalog_item_id)
    if found.item.kind != ItemKind.INDICATOR:
        abort(404)
    form = RatingForm()
    if not form.validate_on_submit():
        return _indicator_view(cycle, found, form, 422)
    proposal = queries.with_proposal(queries.indicator_page(cycle, found)).proposal
    try:
        services.rate_indicator(
            current_user, cycle, found.item, form.data, form.version.data, proposal.score
        )
    except DomainError as error:
        status = refused(form, error)
        cycle = queries.cycle_or_404(assessment_cycle_id)
        return _indicator_view(cycle, queries.item_or_404(cycle, catalog_item_id), form, status)
    db.session.commit()
    code = found.item.code
    if not is_fragment_request():
        return _done(
            url_for(".item", assessment_cycle_id=cycle.id, catalog_item_id=catalog_item_id),
            f"Бал індикатора {code} збережено.",
        )
    return _indicator_view(cycle, queries.item_or_404(cycle, catalog_item_id), saved=True)


def _conclusion_view(cycle, item_id, form=None, status=200, saved=False):
    cycle = queries.cycle_or_404(cycle.id, with_previous=True)
    result = queries.results(cycle)
    node = result.node(item_id)
    item = db.get_or_404(CatalogItem, item_id)
    conclusion = db.session.scalar(
        select(ItemAssessment).where(
            ItemAssessment.cycle_id == cycle.id, ItemAssessment.item_id == item_id
        )
    )
    concludes = item.kind in (ItemKind.DIRECTION, ItemKind.REQUIREMENT)
    if form is None:
        form = ConclusionForm(
            formdata=None,
            achievements=conclusion.achievements if conclusion else "",
            difficulties=conclusion.difficulties if conclusion else "",
            trends=conclusion.trends if conclusion else "",
            level_id=conclusion.override_level_id if conclusion else None,
            override_reason=conclusion.override_reason if conclusion else "",
            version=conclusion.version if conclusion else 0,
        )
    form.level_id.choices = _level_choices(cycle)
    return render(
        "assessment/item.html",
        "assessment/_conclusion.html",
        status=status,
        cycle=cycle,
        item=item,
        node=node,
        result=result,
        conclusion=conclusion,
        form=form,
        saved=saved,
        concludes=concludes,
        may_conclude=concludes
        and cycle.status in services.GENERALISING_STATUSES
        and (g.role in MANAGERS or queries.is_working_group_member(cycle, current_user)),
    )


def _level_choices(cycle) -> list:
    levels = {level.id: level.name for level in (cycle.scale.levels if cycle.scale else [])}
    return choices({"": "обчислений за балами (без зміни)", **levels})


@bp.post("/<int:assessment_cycle_id>/items/<int:catalog_item_id>/conclusion")
@requires(*ANY)
def conclude(assessment_cycle_id: int, catalog_item_id: int):
    """The working group's findings on a requirement or direction, and a level set by a
    person instead of the derived one, with the reason."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    item = db.get_or_404(CatalogItem, catalog_item_id)
    if item.catalog_id != cycle.catalog_id:
        abort(404)
    if g.role not in MANAGERS and not queries.is_working_group_member(cycle, current_user):
        abort(403)
    form = ConclusionForm()
    form.level_id.choices = _level_choices(cycle)
    if not form.validate_on_submit():
        return _conclusion_view(cycle, item.id, form, 422)
    level = db.get_or_404(ScaleLevel, form.level_id.data) if form.level_id.data else None
    try:
        services.save_conclusion(current_user, cycle, item, form.data, form.version.data, level)
    except DomainError as error:
        status = refused(form, error)
        return _conclusion_view(cycle, catalog_item_id, form, status)
    db.session.commit()
    if not is_fragment_request():
        return _done(
            url_for(".item", assessment_cycle_id=cycle.id, catalog_item_id=item.id),
            "Висновки збережено.",
        )
    return _conclusion_view(cycle, item.id, saved=True)


# Discussion.


@bp.get("/<int:assessment_cycle_id>/discussion")
@requires(*ANY)
def discussion(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return render("assessment/discussion.html", **_discussion_context(cycle))


def _discussion_context(cycle, council_form=None, link_form=None, other_form=None):
    meetings = queries.meetings()
    link_form = link_form or LinkMeetingForm(formdata=None)
    link_form.meeting_id.choices = choices({meeting.id: meeting.label for meeting in meetings})
    council_form = council_form or CouncilDiscussionForm(formdata=None, held_on=_today())
    other_form = other_form or DiscussionForm(formdata=None, held_on=_today())
    return {
        "cycle": cycle,
        "discussions": queries.discussions(cycle),
        "meetings": meetings,
        "council_form": council_form,
        "link_form": link_form,
        "other_form": other_form,
        "open": cycle.status in services.DISCUSSION_STATUSES and g.role in MANAGERS,
    }


@bp.post("/<int:assessment_cycle_id>/discussion/council")
@requires(*MANAGERS)
def record_council(assessment_cycle_id: int):
    """Record the council meeting that considered the results (protocol № and date)."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = CouncilDiscussionForm()
    status = 422
    if form.validate_on_submit():
        try:
            discussion = services.record_council_discussion(current_user, cycle, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                _cycle_url(cycle, "discussion"),
                f"Засідання педагогічної ради записано: {discussion.council_meeting.label}.",
            )
    return render(
        "assessment/discussion.html", status=status, **_discussion_context(cycle, council_form=form)
    )


@bp.post("/<int:assessment_cycle_id>/discussion/link")
@requires(*MANAGERS)
def link_council(assessment_cycle_id: int):
    """Link a council meeting already recorded to this cycle's discussion."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = LinkMeetingForm()
    form.meeting_id.choices = choices({meeting.id: meeting.label for meeting in queries.meetings()})
    status = 422
    if form.validate_on_submit():
        meeting = db.get_or_404(PedagogicalCouncilMeeting, form.meeting_id.data)
        try:
            services.add_discussion(
                current_user, cycle, {"kind": "council", "remarks": form.remarks.data}, meeting
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "discussion"), "Засідання пов’язано з циклом.")
    return render(
        "assessment/discussion.html", status=status, **_discussion_context(cycle, link_form=form)
    )


@bp.post("/<int:assessment_cycle_id>/discussion/other")
@requires(*MANAGERS)
def add_discussion(assessment_cycle_id: int):
    """Discussion beyond the council: parents, the founder's representative, experts."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = DiscussionForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.add_discussion(current_user, cycle, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "discussion"), "Обговорення записано.")
    return render(
        "assessment/discussion.html", status=status, **_discussion_context(cycle, other_form=form)
    )


@bp.get("/council")
@requires(*ANY)
def council():
    """The pedagogical council's meetings and what they considered."""
    meetings = queries.meetings()
    return render(
        "assessment/council.html",
        meetings=meetings,
        linked=queries.meeting_cycles(meeting.id for meeting in meetings),
    )


@bp.route("/council/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_meeting():
    form = NewCouncilMeetingForm()
    if request.method == "GET":
        form.held_on.data = _today()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            meeting = services.create_council_meeting(current_user, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(url_for(".council"), f"Засідання записано: {meeting.label}.")
    return render("assessment/council_form.html", status=status, form=form, meeting=None)


@bp.route("/council/<int:pedagogical_council_meeting_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_meeting(pedagogical_council_meeting_id: int):
    meeting = db.get_or_404(PedagogicalCouncilMeeting, pedagogical_council_meeting_id)
    form = CouncilMeetingForm(obj=meeting)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            services.update_council_meeting(current_user, meeting, form.data, form.version.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(url_for(".council"), "Запис засідання збережено.")
    return render("assessment/council_form.html", status=status, form=form, meeting=meeting)


# Acting on the results.


def _decision_form(cycle, form=None):
    form = form or DecisionForm(formdata=None)
    items = queries.directions_and_requirements(cycle)
    form.item_id.choices = _item_choices(items, "— не визначено —")
    form.responsible_user_id.choices = _staff_choices("— не визначено —")
    sections = db.session.execute(
        select(AnnualPlanSection, AnnualPlan)
        .join(AnnualPlan, AnnualPlan.id == AnnualPlanSection.plan_id)
        .order_by(AnnualPlan.school_year.desc(), AnnualPlanSection.position)
    ).all()
    form.section_id.choices = choices(
        {
            "": "— не стосується —",
            **{
                section.id: f"{plan.school_year_label}: {section.title}"
                for section, plan in sections
            },
        }
    )
    programmes = db.session.scalars(
        select(DevelopmentProgramme).order_by(DevelopmentProgramme.start_year.desc())
    ).all()
    form.programme_id.choices = choices(
        {
            "": "— не стосується —",
            **{item.id: f"{item.title} ({item.period_label})" for item in programmes},
        }
    )
    return form


def _decisions_context(cycle, form=None, request_form=None):
    return {
        "cycle": cycle,
        "decisions": queries.decisions(cycle),
        "requests": queries.founder_requests_of(cycle),
        "form": _decision_form(cycle, form),
        "request_form": request_form or FounderRequestForm(formdata=None),
        "open": cycle.status in services.DECISION_STATUSES and g.role in MANAGERS,
    }


@bp.get("/<int:assessment_cycle_id>/decisions")
@requires(*ANY)
def decisions(assessment_cycle_id: int):
    """Management decisions, priority directions, plan corrections, requests to the founder."""
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return render("assessment/decisions.html", **_decisions_context(cycle))


@bp.post("/<int:assessment_cycle_id>/decisions")
@requires(*MANAGERS)
def add_decision(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = _decision_form(cycle, DecisionForm())
    status = 422
    if form.validate_on_submit():
        item = db.get_or_404(CatalogItem, form.item_id.data) if form.item_id.data else None
        user = (
            queries.staff_user_or_404(form.responsible_user_id.data)
            if form.responsible_user_id.data
            else None
        )
        section = (
            db.get_or_404(AnnualPlanSection, form.section_id.data) if form.section_id.data else None
        )
        programme = (
            db.get_or_404(DevelopmentProgramme, form.programme_id.data)
            if form.programme_id.data
            else None
        )
        try:
            services.add_decision(current_user, cycle, form.data, item, user, section, programme)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(_cycle_url(cycle, "decisions"), "Рішення додано.")
    return render(
        "assessment/decisions.html", status=status, **_decisions_context(cycle, form=form)
    )


@bp.get("/decisions/<int:management_decision_id>")
@requires(*ANY)
def decision(management_decision_id: int):
    found = db.get_or_404(ManagementDecision, management_decision_id)
    form = DecisionStatusForm(formdata=None, obj=found)
    return render(
        "assessment/decision.html", "assessment/_decision_status.html", decision=found, form=form
    )


@bp.post("/decisions/<int:management_decision_id>/status")
@requires(*MANAGERS)
def update_decision(management_decision_id: int):
    found = db.get_or_404(ManagementDecision, management_decision_id)
    form = DecisionStatusForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.update_decision(current_user, found, form.data, form.version.data)
        except DomainError as error:
            status = refused(form, error)
            found = db.get_or_404(ManagementDecision, management_decision_id)
        else:
            db.session.commit()
            if not is_fragment_request():
                return _done(
                    url_for(".decision", management_decision_id=found.id), "Стан рішення збережено."
                )
            flash("Стан рішення збережено.", "success")
            form = DecisionStatusForm(formdata=None, obj=found)
            status = 200
    return render(
        "assessment/decision.html",
        "assessment/_decision_status.html",
        status=status,
        decision=found,
        form=form,
    )


@bp.post("/<int:assessment_cycle_id>/founder-requests")
@requires(*MANAGERS)
def add_founder_request(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    form = FounderRequestForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.add_founder_request(current_user, cycle, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                _cycle_url(cycle, "decisions", _anchor="requests"),
                "Звернення збережено як чернетку. Перевірте й надішліть його засновнику.",
            )
    return render(
        "assessment/decisions.html", status=status, **_decisions_context(cycle, request_form=form)
    )


@bp.post("/founder-requests/<int:founder_request_id>/send")
@requires(Role.DIRECTOR)
def send_founder_request(founder_request_id: int):
    found = db.get_or_404(FounderRequest, founder_request_id)
    try:
        services.send_founder_request(current_user, found)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash("Звернення надіслано засновнику.", "success")
    return redirect(
        url_for(".decisions", assessment_cycle_id=found.cycle_id, _anchor="requests"), 303
    )


# The effectiveness of the quality system itself.


@bp.get("/<int:assessment_cycle_id>/system-review")
@requires(*ANY)
def system_review(assessment_cycle_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    return render("assessment/system_review.html", **_review_context(cycle))


def _review_context(cycle, failed=None):
    components = db.session.scalars(
        select(QualityComponent).order_by(QualityComponent.position, QualityComponent.id)
    ).all()
    reviews = queries.procedure_reviews(cycle)
    forms = {}
    for component in components:
        if failed is not None and failed[0] == component.id:
            form = failed[1]
        else:
            review = reviews.get(component.id)
            form = ProcedureReviewForm(
                formdata=None,
                prefix=f"c{component.id}",
                verdict=review.verdict.value if review else None,
                measure_id=review.measure_id if review else None,
                finding=review.finding if review else "",
                proposal=review.proposal if review else "",
                version=review.version if review else 0,
            )
        form.measure_id.choices = choices(
            {"": "— не визначено —", **{m.id: m.action for m in component.measures}}
        )
        forms[component.id] = form
    return {
        "cycle": cycle,
        "components": components,
        "reviews": reviews,
        "forms": forms,
        "editable": cycle.includes_system_review and not cycle.finished and g.role in MANAGERS,
    }


@bp.post("/<int:assessment_cycle_id>/system-review/<int:quality_component_id>")
@requires(*MANAGERS)
def review_procedure(assessment_cycle_id: int, quality_component_id: int):
    cycle = queries.cycle_or_404(assessment_cycle_id)
    component = db.get_or_404(QualityComponent, quality_component_id)
    form = ProcedureReviewForm(prefix=f"c{component.id}")
    form.measure_id.choices = choices({"": "—", **{m.id: m.action for m in component.measures}})
    status = 422
    if form.validate_on_submit():
        measure = (
            db.get_or_404(QualityMeasure, form.measure_id.data) if form.measure_id.data else None
        )
        try:
            services.save_procedure_review(
                current_user, cycle, component, form.data, form.version.data, measure
            )
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(
                _cycle_url(cycle, "system_review", _anchor=f"component-{component.id}"),
                "Висновок щодо процедури збережено.",
            )
    return render(
        "assessment/system_review.html",
        status=status,
        **_review_context(cycle, (component.id, form)),
    )


# The printable summary.


@bp.get("/<int:assessment_cycle_id>/summary")
@requires(*ANY)
def summary(assessment_cycle_id: int):
    """The cycle on paper: plan, results with levels and findings, discussion, decisions."""
    cycle = queries.cycle_or_404(assessment_cycle_id, with_previous=True)
    result = queries.results(cycle)
    return render(
        "assessment/summary.html",
        cycle=cycle,
        result=result,
        plan=queries.plan(cycle),
        findings=queries.findings(cycle),
        counts=queries.evidence_counts(cycle),
        discussions=queries.discussions(cycle),
        decisions=queries.decisions(cycle),
        reviews=queries.procedure_reviews(cycle) if cycle.includes_system_review else {},
        warning=services.regulation_warning(cycle),
    )


# Checklist templates.


@bp.get("/checklists")
@requires(*ANY)
def checklists():
    """The institution's observation and document-study sheets."""
    return render(
        "assessment/checklists.html",
        templates=queries.templates(),
        sources=services.template_sources(),
    )


@bp.post("/checklists/restore")
@requires(*MANAGERS)
def restore_checklists():
    added = services.ensure_checklist_templates(current_user)
    db.session.commit()
    flash(
        f"Додано типових аркушів: {len(added)}." if added else "Усі типові аркуші вже є.",
        "success",
    )
    return redirect(url_for(".checklists"), 303)


@bp.route("/checklists/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_checklist():
    form = NewTemplateForm()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            template = services.create_template(current_user, form.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(url_for(".checklists"), f"Аркуш «{template.title}» створено.")
    return render("assessment/checklist_form.html", status=status, form=form, template=None)


@bp.post("/checklists/<int:checklist_template_id>/copy")
@requires(*MANAGERS)
def copy_checklist(checklist_template_id: int):
    original = db.get_or_404(ChecklistTemplate, checklist_template_id)
    copy = services.create_template(
        current_user, {"title": f"{original.title} (копія)"}, copy_of=original
    )
    db.session.commit()
    flash("Аркуш скопійовано: змініть копію під потреби закладу.", "success")
    return redirect(url_for(".edit_checklist", checklist_template_id=copy.id), 303)


@bp.route("/checklists/<int:checklist_template_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_checklist(checklist_template_id: int):
    template = db.get_or_404(ChecklistTemplate, checklist_template_id)
    form = TemplateForm(
        data=None
        if request.method == "POST"
        else {
            "title": template.title,
            "items": "\n".join(item.text for item in template.items),
            "is_active": template.is_active,
            "version": template.version,
        }
    )
    status = form_status(form)
    if form.validate_on_submit():
        try:
            services.update_template(current_user, template, form.data, form.version.data)
        except DomainError as error:
            status = refused(form, error)
        else:
            db.session.commit()
            return _done(url_for(".checklists"), "Аркуш збережено.")
    return render("assessment/checklist_form.html", status=status, form=form, template=template)


# The founder's side: requests addressed to it.


@founder_requests_bp.get("/", endpoint="index")
@requires(Role.FOUNDER_ADMIN)
def requests_index():
    """Requests the founder's institutions sent it after self-assessment."""
    return render("assessment/founder_requests.html", rows=queries.founder_requests())


@founder_requests_bp.route("/<int:founder_request_id>", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def answer(founder_request_id: int):
    found, institution = queries.sent_request_or_404(founder_request_id)
    form = AnswerForm(
        data=None
        if request.method == "POST"
        else {"answer": found.answer, "version": found.version}
    )
    status = form_status(form)
    if form.validate_on_submit():
        try:
            services.answer_founder_request(current_user, found, form.data, form.version.data)
        except DomainError as error:
            status = refused(form, error)
            found, institution = queries.sent_request_or_404(founder_request_id)
        else:
            db.session.commit()
            return _done(url_for(".index"), "Відповідь надіслано закладу.")
    return render(
        "assessment/founder_request.html",
        status=status,
        request_row=found,
        institution=institution,
        form=form,
    )
