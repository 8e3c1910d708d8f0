"""Pages of the internal quality system: everyone reads, managers edit.

Lists edited in place (measures, orientations, plan sections, the model and its
plan) answer htmx requests with their fragment and plain form posts with a
redirect, so every button also works without JavaScript.
"""

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user

from dozq.db import db
from dozq.quality_system import services
from dozq.quality_system.forms import (
    AnnualPlanForm,
    ComponentForm,
    FeaturesForm,
    MeasureForm,
    ModelForm,
    MoveForm,
    NewAnnualPlanForm,
    NewComponentForm,
    NewMeasureForm,
    NewOrientationForm,
    NewProgrammeForm,
    NewSectionForm,
    OrientationForm,
    PlanForm,
    PolicyForm,
    ProgrammeForm,
    ScaleForm,
    SectionForm,
    VersionForm,
    scale_form_data,
)
from dozq.quality_system.models import (
    DEFAULT_MAX_SCORE,
    DEFAULT_MIN_SCORE,
    DEFAULT_SCALE_TITLE,
    DIRECTIONS,
    AnnualPlan,
    AnnualPlanSection,
    DevelopmentProgramme,
    LevelScale,
    QualityComponent,
    QualityMeasure,
    QualityOrientation,
    school_year_label,
)
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES, MANAGERS
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import is_fragment_request, render

bp = Blueprint("quality_system", __name__, url_prefix="/quality-system")

T = "quality_system/"


def _finish(url: str, message: str, fragment):
    """After a successful step: the updated fragment for htmx, else back to the page."""
    if is_fragment_request():
        return fragment(message)
    flash(message, "success")
    return redirect(url, 303)


def _save(form, step) -> int | None:
    """Run ``step`` for a valid form and commit; on a refused step keep the form with
    the reason. Returns None when saved, else the status to answer with."""
    status = form_status(form)
    if not form.validate_on_submit():
        return status
    try:
        step()
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return error.status_code
    db.session.commit()
    return None


def _version_form() -> VersionForm:
    form = VersionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


def _direction() -> str:
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return form.direction.data


# The overview.


@bp.get("/")
@requires(*INSTITUTION_ROLES)
def overview():
    """Everything the internal quality system consists of, and what is still to do."""
    # The catalog of criteria and indicators gets its card here later: the
    # ``catalog_section`` block of overview.html, with its data added to this context.
    return render(
        T + "overview.html",
        overview=services.overview(),
        school_year_label=school_year_label,
    )


@bp.post("/set-up")
@requires(*MANAGERS)
def set_up():
    """Add the statutory defaults an institution created before this page lacks."""
    added = services.set_up_quality_system(g.institution, current_user)
    db.session.commit()
    flash("Типові налаштування додано." if added else "Усе потрібне вже налаштовано.", "success")
    return redirect(url_for(".overview"), 303)


# Components and their procedures.


@bp.get("/components")
@requires(*INSTITUTION_ROLES)
def components():
    """The seven statutory components and the institution's own, with their measures."""
    return render(T + "components.html", rows=services.components_with_counts())


@bp.route("/components/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_component():
    """Add an own component."""
    form = NewComponentForm()
    created = []
    status = _save(form, lambda: created.append(services.create_component(current_user, form.data)))
    if status is None:
        flash("Компонент додано. Опишіть його процедуру — заходи.", "success")
        return redirect(url_for(".component", quality_component_id=created[0].id), 303)
    return render(T + "component_new.html", status=status, form=form)


def _component_page(component, status=200, fragment=T + "_measures.html", **context):
    context.setdefault("component_form", None)
    context.setdefault("measure_form", None)
    context.setdefault("editing_id", None)
    context.setdefault("notice", None)
    return render(
        T + "component.html",
        fragment,
        status=status,
        component=component,
        measures=services.measures_of(component),
        **context,
    )


@bp.get("/components/<int:quality_component_id>")
@requires(*INSTITUTION_ROLES)
def component(quality_component_id: int):
    """One component: its description, policies and procedure."""
    return _component_page(db.get_or_404(QualityComponent, quality_component_id))


@bp.route("/components/<int:quality_component_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_component(quality_component_id: int):
    """Describe a component (in place with htmx)."""
    component = db.get_or_404(QualityComponent, quality_component_id)
    form = ComponentForm(obj=component, statutory=component.is_statutory)
    status = _save(
        form,
        lambda: services.update_component(current_user, component, form.data, form.version.data),
    )
    if status is None:
        return _finish(
            url_for(".component", quality_component_id=component.id),
            "Компонент збережено.",
            lambda message: _component_page(
                component, fragment=T + "_component.html", notice=message
            ),
        )
    return _component_page(component, status, fragment=T + "_component.html", component_form=form)


@bp.post("/components/<int:quality_component_id>/delete")
@requires(*MANAGERS)
def delete_component(quality_component_id: int):
    """Remove an own component; statutory ones cannot be removed."""
    component = db.get_or_404(QualityComponent, quality_component_id)
    form = _version_form()
    services.delete_component(current_user, component, form.version.data)
    db.session.commit()
    flash("Компонент вилучено.", "success")
    return redirect(url_for(".components"), 303)


def _measures_done(component, message):
    return _finish(
        url_for(".component", quality_component_id=component.id, _anchor="measures"),
        message,
        lambda notice: _component_page(component, notice=notice),
    )


@bp.route("/components/<int:quality_component_id>/measures/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_measure(quality_component_id: int):
    """Add a measure at the end of the procedure."""
    component = db.get_or_404(QualityComponent, quality_component_id)
    form = NewMeasureForm()
    status = _save(form, lambda: services.add_measure(current_user, component, form.data))
    if status is None:
        return _measures_done(component, "Захід додано.")
    return _component_page(component, status, measure_form=form)


@bp.route("/measures/<int:quality_measure_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_measure(quality_measure_id: int):
    """Change a measure in place."""
    measure = db.get_or_404(QualityMeasure, quality_measure_id)
    component = measure.component
    form = MeasureForm(obj=measure)
    status = _save(
        form, lambda: services.update_measure(current_user, measure, form.data, form.version.data)
    )
    if status is None:
        return _measures_done(component, "Захід збережено.")
    return _component_page(component, status, measure_form=form, editing_id=quality_measure_id)


@bp.post("/measures/<int:quality_measure_id>/delete")
@requires(*MANAGERS)
def delete_measure(quality_measure_id: int):
    """Remove a measure from the procedure."""
    measure = db.get_or_404(QualityMeasure, quality_measure_id)
    component = measure.component
    form = _version_form()
    services.delete_measure(current_user, measure, form.version.data)
    db.session.commit()
    return _measures_done(component, "Захід вилучено.")


@bp.post("/measures/<int:quality_measure_id>/move")
@requires(*MANAGERS)
def move_measure(quality_measure_id: int):
    """Move a measure one place up or down."""
    measure = db.get_or_404(QualityMeasure, quality_measure_id)
    component = measure.component
    services.move_measure(current_user, measure, _direction())
    db.session.commit()
    return _measures_done(component, "Порядок заходів змінено.")


# The quality policy.


def _policy():
    policy = services.policy()
    if policy is None:
        abort(404)
    return policy


def _policy_page(status=200, fragment=None, **context):
    for name in ("policy_form", "orientation_form", "editing_id", "notice"):
        context.setdefault(name, None)
    return render(
        T + "policy.html",
        fragment,
        status=status,
        policy=context.pop("policy", None) or _policy(),
        orientations=services.orientations(),
        **context,
    )


@bp.get("/policy")
@requires(*INSTITUTION_ROLES)
def policy():
    """The quality policy: its main goal and its orientations."""
    return _policy_page()


@bp.route("/policy/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_policy():
    """Word the main goal of the policy."""
    quality_policy = _policy()
    form = PolicyForm(obj=quality_policy)
    status = _save(
        form,
        lambda: services.update_policy(current_user, quality_policy, form.data, form.version.data),
    )
    fragment = T + "_policy_goal.html"
    if status is None:
        return _finish(
            url_for(".policy"),
            "Мету політики збережено.",
            lambda message: _policy_page(fragment=fragment, notice=message),
        )
    return _policy_page(status, fragment, policy=quality_policy, policy_form=form)


def _orientations_done(message):
    return _finish(
        url_for(".policy", _anchor="orientations"),
        message,
        lambda notice: _policy_page(fragment=T + "_orientations.html", notice=notice),
    )


@bp.route("/policy/orientations/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_orientation():
    """Add an own orientation of the policy."""
    form = NewOrientationForm()
    status = _save(form, lambda: services.add_orientation(current_user, form.data))
    if status is None:
        return _orientations_done("Орієнтир додано.")
    return _policy_page(status, T + "_orientations.html", orientation_form=form)


@bp.route("/orientations/<int:quality_orientation_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_orientation(quality_orientation_id: int):
    """Reword an orientation in place."""
    orientation = db.get_or_404(QualityOrientation, quality_orientation_id)
    form = OrientationForm(obj=orientation)
    status = _save(
        form,
        lambda: services.update_orientation(
            current_user, orientation, form.data, form.version.data
        ),
    )
    if status is None:
        return _orientations_done("Орієнтир збережено.")
    return _policy_page(
        status, T + "_orientations.html", orientation_form=form, editing_id=orientation.id
    )


@bp.post("/orientations/<int:quality_orientation_id>/delete")
@requires(*MANAGERS)
def delete_orientation(quality_orientation_id: int):
    """Remove an own orientation."""
    orientation = db.get_or_404(QualityOrientation, quality_orientation_id)
    form = _version_form()
    services.delete_orientation(current_user, orientation, form.version.data)
    db.session.commit()
    return _orientations_done("Орієнтир вилучено.")


@bp.post("/orientations/<int:quality_orientation_id>/move")
@requires(*MANAGERS)
def move_orientation(quality_orientation_id: int):
    """Move an orientation one place up or down."""
    orientation = db.get_or_404(QualityOrientation, quality_orientation_id)
    services.move_orientation(current_user, orientation, _direction())
    db.session.commit()
    return _orientations_done("Порядок орієнтирів змінено.")


# Features of the institution.


def _features():
    features = services.features()
    if features is None:
        abort(404)
    return features


@bp.get("/features")
@requires(*INSTITUTION_ROLES)
def features():
    """Location, staff, groups and children, language and operating mode."""
    return render(
        T + "features.html", T + "_features.html", features=_features(), form=None, notice=None
    )


@bp.route("/features/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_features():
    """Edit the features in place (htmx) or as a page."""
    institution_features = _features()
    form = FeaturesForm(obj=institution_features)
    status = _save(
        form,
        lambda: services.update_features(
            current_user, institution_features, form.data, form.version.data
        ),
    )
    if status is None:
        return _finish(
            url_for(".features"),
            "Особливості закладу збережено.",
            lambda message: render(
                T + "features.html",
                T + "_features.html",
                features=institution_features,
                form=None,
                notice=message,
            ),
        )
    return render(
        T + "features.html",
        T + "_features.html",
        status=status,
        features=institution_features,
        form=form,
        notice=None,
    )


# The level scale.


@bp.get("/levels")
@requires(*INSTITUTION_ROLES)
def levels():
    """The current level scale and its earlier versions."""
    versions = services.scale_versions()
    return render(T + "levels.html", versions=versions, current=versions[0] if versions else None)


@bp.get("/levels/<int:level_scale_id>")
@requires(*INSTITUTION_ROLES)
def level_scale(level_scale_id: int):
    """One version of the scale, as ratings made with it see it."""
    scale = db.get_or_404(LevelScale, level_scale_id)
    current = services.current_scale()
    return render(T + "level_scale.html", scale=scale, current=current)


@bp.route("/levels/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_scale():
    """Change the scale: saved as a new version, the earlier ones stay."""
    current = services.current_scale()
    if request.args.get("from") == "default" or current is None:
        data = scale_form_data(
            DEFAULT_SCALE_TITLE,
            DEFAULT_MIN_SCORE,
            DEFAULT_MAX_SCORE,
            services.drafts_of(None),
        )
    else:
        data = scale_form_data(
            current.title, current.min_score, current.max_score, services.drafts_of(current)
        )
    data["version"] = current.number if current else 0
    # Prefilled when opened; a posted form holds exactly what was sent.
    form = ScaleForm() if request.method == "POST" else ScaleForm(data=data)
    created = []
    status = _save(
        form,
        lambda: created.append(
            services.create_scale_version(
                current_user,
                form.title.data,
                form.min_score.data,
                form.max_score.data,
                form.drafts,
                form.version.data if current else None,
            )
        ),
    )
    if status is None:
        flash(f"Збережено версію {created[0].number} шкали рівнів.", "success")
        return redirect(url_for(".levels"), 303)
    return render(T + "scale_new.html", status=status, form=form, current=current)


# The self-assessment model and its plan.


def _model():
    model = services.assessment_model()
    if model is None:
        abort(404)
    return model


def _model_page(model, status=200, **context):
    for name in ("model_form", "plan_form", "notice"):
        context.setdefault(name, None)
    if context["plan_form"] is None:
        context["plan_form"] = PlanForm(
            model.plan_school_years,
            formdata=None,
            data={
                "cells": [f"{year}-{direction}" for year, direction in services.plan_cells()],
                "version": model.version,
            },
        )
    return render(
        T + "model.html",
        T + "_model.html",
        status=status,
        model=model,
        directions=DIRECTIONS,
        school_year_label=school_year_label,
        current_year=services.current_school_year(),
        **context,
    )


@bp.get("/model")
@requires(*INSTITUTION_ROLES)
def model():
    """The self-assessment model and which directions each school year assesses."""
    return _model_page(_model())


@bp.route("/model/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_model():
    """Choose the model and the period of the plan."""
    assessment_model = _model()
    form = ModelForm(obj=assessment_model, start_year=assessment_model.plan_start_year)
    status = _save(
        form,
        lambda: services.update_model(current_user, assessment_model, form.data, form.version.data),
    )
    if status is None:
        return _finish(
            url_for(".model"),
            "Модель самооцінювання збережено.",
            lambda message: _model_page(assessment_model, notice=message),
        )
    return _model_page(assessment_model, status, model_form=form)


@bp.post("/model/plan")
@requires(*MANAGERS)
def save_plan():
    """Save the grid of directions by school year."""
    assessment_model = _model()
    form = PlanForm(assessment_model.plan_school_years)
    status = _save(
        form,
        lambda: services.save_plan(
            current_user, assessment_model, form.selected(), form.version.data
        ),
    )
    if status is None:
        return _finish(
            url_for(".model", _anchor="plan"),
            "План самооцінювання збережено.",
            lambda message: _model_page(assessment_model, notice=message),
        )
    return _model_page(assessment_model, status, plan_form=form)


@bp.post("/model/plan/reset")
@requires(*MANAGERS)
def reset_plan():
    """Refill the plan the way the chosen model prescribes."""
    assessment_model = _model()
    form = _version_form()
    services.reset_plan(current_user, assessment_model, form.version.data)
    db.session.commit()
    return _finish(
        url_for(".model", _anchor="plan"),
        "План самооцінювання заповнено за моделлю.",
        lambda message: _model_page(assessment_model, notice=message),
    )


# The annual work plan and the development programme.


@bp.get("/plans")
@requires(*INSTITUTION_ROLES)
def plans():
    """Annual work plans by school year and development programmes."""
    return render(
        T + "plans.html",
        annual_plans=services.annual_plans(),
        programmes=services.programmes(),
        current_year=services.current_school_year(),
        calendar_year=services.current_year(),
    )


@bp.route("/plans/annual/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_annual_plan():
    """Add the annual work plan of a school year."""
    form = NewAnnualPlanForm()
    if not form.is_submitted():
        form.school_year.data = services.current_school_year()
    created = []
    status = _save(
        form, lambda: created.append(services.create_annual_plan(current_user, form.data))
    )
    if status is None:
        flash("План роботи додано. Додайте його розділи.", "success")
        return redirect(url_for(".annual_plan", annual_plan_id=created[0].id), 303)
    return render(T + "annual_plan_form.html", status=status, form=form, plan=None)


def _annual_plan_page(plan, status=200, **context):
    for name in ("section_form", "editing_id", "notice"):
        context.setdefault(name, None)
    return render(
        T + "annual_plan.html",
        T + "_sections.html",
        status=status,
        plan=plan,
        sections=services.sections_of(plan),
        **context,
    )


@bp.get("/plans/annual/<int:annual_plan_id>")
@requires(*INSTITUTION_ROLES)
def annual_plan(annual_plan_id: int):
    """One annual plan and its sections, in order."""
    return _annual_plan_page(db.get_or_404(AnnualPlan, annual_plan_id))


@bp.route("/plans/annual/<int:annual_plan_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_annual_plan(annual_plan_id: int):
    """Change an annual plan's year, title or approval note."""
    plan = db.get_or_404(AnnualPlan, annual_plan_id)
    form = AnnualPlanForm(obj=plan, year=plan.school_year, plan_id=plan.id)
    status = _save(
        form,
        lambda: services.update_annual_plan(current_user, plan, form.data, form.version.data),
    )
    if status is None:
        flash("План роботи збережено.", "success")
        return redirect(url_for(".annual_plan", annual_plan_id=plan.id), 303)
    return render(T + "annual_plan_form.html", status=status, form=form, plan=plan)


@bp.post("/plans/annual/<int:annual_plan_id>/delete")
@requires(*MANAGERS)
def delete_annual_plan(annual_plan_id: int):
    """Remove an annual plan with its sections."""
    plan = db.get_or_404(AnnualPlan, annual_plan_id)
    form = _version_form()
    services.delete_annual_plan(current_user, plan, form.version.data)
    db.session.commit()
    flash("План роботи вилучено.", "success")
    return redirect(url_for(".plans"), 303)


def _sections_done(plan, message):
    return _finish(
        url_for(".annual_plan", annual_plan_id=plan.id, _anchor="sections"),
        message,
        lambda notice: _annual_plan_page(plan, notice=notice),
    )


@bp.route("/plans/annual/<int:annual_plan_id>/sections/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_section(annual_plan_id: int):
    """Add a section at the end of the plan."""
    plan = db.get_or_404(AnnualPlan, annual_plan_id)
    form = NewSectionForm()
    status = _save(form, lambda: services.add_section(current_user, plan, form.data))
    if status is None:
        return _sections_done(plan, "Розділ додано.")
    return _annual_plan_page(plan, status, section_form=form)


@bp.route("/plan-sections/<int:annual_plan_section_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_section(annual_plan_section_id: int):
    """Rename a section in place."""
    section = db.get_or_404(AnnualPlanSection, annual_plan_section_id)
    plan = section.plan
    form = SectionForm(obj=section)
    status = _save(
        form, lambda: services.update_section(current_user, section, form.data, form.version.data)
    )
    if status is None:
        return _sections_done(plan, "Розділ збережено.")
    return _annual_plan_page(plan, status, section_form=form, editing_id=section.id)


@bp.post("/plan-sections/<int:annual_plan_section_id>/delete")
@requires(*MANAGERS)
def delete_section(annual_plan_section_id: int):
    """Remove a section."""
    section = db.get_or_404(AnnualPlanSection, annual_plan_section_id)
    plan = section.plan
    form = _version_form()
    services.delete_section(current_user, section, form.version.data)
    db.session.commit()
    return _sections_done(plan, "Розділ вилучено.")


@bp.post("/plan-sections/<int:annual_plan_section_id>/move")
@requires(*MANAGERS)
def move_section(annual_plan_section_id: int):
    """Move a section one place up or down."""
    section = db.get_or_404(AnnualPlanSection, annual_plan_section_id)
    plan = section.plan
    services.move_section(current_user, section, _direction())
    db.session.commit()
    return _sections_done(plan, "Порядок розділів змінено.")


@bp.route("/plans/programmes/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_programme():
    """Add a development programme."""
    form = NewProgrammeForm()
    if not form.is_submitted():
        start = services.current_year()
        form.start_year.data, form.end_year.data = start, start + 2
    status = _save(form, lambda: services.create_programme(current_user, form.data))
    if status is None:
        flash("Програму розвитку додано.", "success")
        return redirect(url_for(".plans", _anchor="programmes"), 303)
    return render(T + "programme_form.html", status=status, form=form, programme=None)


@bp.route("/plans/programmes/<int:development_programme_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_programme(development_programme_id: int):
    """Change a development programme."""
    programme = db.get_or_404(DevelopmentProgramme, development_programme_id)
    form = ProgrammeForm(obj=programme)
    status = _save(
        form,
        lambda: services.update_programme(current_user, programme, form.data, form.version.data),
    )
    if status is None:
        flash("Програму розвитку збережено.", "success")
        return redirect(url_for(".plans", _anchor="programmes"), 303)
    return render(T + "programme_form.html", status=status, form=form, programme=programme)


@bp.post("/plans/programmes/<int:development_programme_id>/delete")
@requires(*MANAGERS)
def delete_programme(development_programme_id: int):
    """Remove a development programme."""
    programme = db.get_or_404(DevelopmentProgramme, development_programme_id)
    form = _version_form()
    services.delete_programme(current_user, programme, form.version.data)
    db.session.commit()
    flash("Програму розвитку вилучено.", "success")
    return redirect(url_for(".plans", _anchor="programmes"), 303)
