"""Pages of the regulation (Положення): everyone reads and comments during the
discussion; managers prepare the text and record the council's approval; the
director approves it by order and publishes it; every staff member acknowledges.
"""

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dozq.db import db
from dozq.documents import services as documents
from dozq.regulation import markup, services
from dozq.regulation.compose import SECTION_TITLES
from dozq.regulation.forms import (
    ActionForm,
    CommentForm,
    CouncilForm,
    DecisionForm,
    OrderForm,
    RecomposeForm,
    RevisionForm,
    SectionForm,
    date_message,
)
from dozq.regulation.models import (
    EditionStatus,
    RegulationComment,
    RegulationEdition,
    RegulationSection,
    RegulationVersion,
)
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES, MANAGERS, Role
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import is_fragment_request, render

bp = Blueprint("regulation", __name__, url_prefix="/regulation")

T = "regulation/"

#: The workflow as the stepper shows it.
STEPS = (
    EditionStatus.DRAFT,
    EditionStatus.DISCUSSION,
    EditionStatus.REVISION,
    EditionStatus.COUNCIL_APPROVED,
    EditionStatus.ORDER_APPROVED,
    EditionStatus.PUBLISHED,
)


def _action() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _step(step, url: str, success: str):
    """Run a workflow step, commit, and go back to the edition with its outcome."""
    try:
        outcome = step()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url, 303)
    db.session.commit()
    flash(success, "success")
    for warning in outcome if isinstance(outcome, list) else []:
        flash(warning, "warning")
    return redirect(url, 303)


def _edition_url(edition: RegulationEdition) -> str:
    return url_for(".edition", regulation_edition_id=edition.id)


def _public_url(edition: RegulationEdition) -> str | None:
    if not edition.discussion_token:
        return None
    return url_for("regulation_public.discussion", token=edition.discussion_token, _external=True)


@bp.get("/")
@requires(*INSTITUTION_ROLES)
def index():
    """The edition in force, the one being prepared, and the archive."""
    in_force = services.published_regulation(g.institution)
    return render(
        T + "index.html",
        in_force=in_force.edition if in_force else None,
        in_progress=services.edition_in_progress(),
        archive=services.archive(g.institution),
        acknowledged=services.has_acknowledged(in_force.edition, current_user)
        if in_force
        else None,
    )


@bp.post("/new")
@requires(*MANAGERS)
def new_edition():
    """Start the next edition: from the one in force, or composed from the configuration."""
    _action()
    try:
        edition = services.start_edition(current_user, g.institution)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for(".index"), 303)
    db.session.commit()
    flash(f"Розпочато підготовку редакції {edition.number}.", "success")
    return redirect(_edition_url(edition), 303)


def _edition_context(edition: RegulationEdition) -> dict:
    text = services.text_of(edition)
    sections = text.sections
    counts = services.comment_counts(edition)
    per_section: dict[int, int] = {}
    for section_id in db.session.scalars(
        select(RegulationComment.section_id).where(RegulationComment.edition_id == edition.id)
    ):
        per_section[section_id] = per_section.get(section_id, 0) + 1
    return {
        "edition": edition,
        "version": text.version,
        "sections": sections,
        "all_groups": {
            s.id: markup.groups(s.body, number) for number, s in enumerate(sections, start=1)
        },
        "markers": services.markers(sections) if edition.status.in_progress else [],
        "warnings": services.warnings(edition),
        "transitions": services.transitions(edition),
        "comment_counts": counts,
        "per_section": per_section,
        "public_url": _public_url(edition),
        "steps": STEPS,
        "acknowledged": services.has_acknowledged(edition, current_user)
        if edition.status == EditionStatus.PUBLISHED
        else None,
        "version_count": text.version.number,
        "documents": documents.documents_for(edition),
        "document_kinds": documents.REGULATION_KINDS,
        "revision_form": RevisionForm(),
    }


@bp.get("/<int:regulation_edition_id>")
@requires(*INSTITUTION_ROLES)
def edition(regulation_edition_id: int):
    """One edition: where it is in the workflow, its text, what to do next."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    return render(T + "edition.html", **_edition_context(edition))


# The text.


def _section_with_edition(section_id: int) -> tuple[RegulationSection, RegulationEdition, int]:
    section = db.get_or_404(RegulationSection, section_id)
    version = db.session.get(RegulationVersion, section.version_id)
    edition = db.session.get(RegulationEdition, version.edition_id)
    numbers = services.section_numbers(services.latest_version(edition).sections)
    return section, edition, numbers.get(section.key, section.position)


def _section_fragment(section, edition, number, form=None, status=200, notice=None):
    return render(
        T + "section_page.html",
        T + "_section.html",
        status=status,
        section=section,
        edition=edition,
        number=number,
        groups=markup.groups(section.body, number),
        form=form,
        notice=notice,
        per_section={},
    )


@bp.get("/sections/<int:regulation_section_id>")
@requires(*INSTITUTION_ROLES)
def section(regulation_section_id: int):
    """One section of the text (what «Скасувати» returns to)."""
    section, edition, number = _section_with_edition(regulation_section_id)
    return _section_fragment(section, edition, number)


@bp.route("/sections/<int:regulation_section_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_section(regulation_section_id: int):
    """Edit a section's text in place (draft and revision only)."""
    section, edition, number = _section_with_edition(regulation_section_id)
    form = SectionForm(obj=section)
    status = form_status(form)
    if form.validate_on_submit():
        try:
            changed = services.update_section(
                current_user, edition, section, form.body.data, form.version.data
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            message = "Розділ збережено." if changed else "Змін немає."
            if is_fragment_request():
                return _section_fragment(section, edition, number, notice=message)
            flash(message, "success")
            return redirect(_edition_url(edition) + f"#section-{section.key}", 303)
    elif request.method == "GET" and not edition.status.editable:
        flash("Текст цієї редакції вже не редагується.", "info")
    return _section_fragment(section, edition, number, form=form, status=status)


@bp.route("/<int:regulation_edition_id>/recompose", methods=["GET", "POST"])
@requires(*MANAGERS)
def recompose(regulation_edition_id: int):
    """What composing from the current configuration would change; apply the chosen parts."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    plan = services.recomposition(edition, g.institution)
    form = RecomposeForm()
    options = {c.key: c.title for c in plan.changes if c.changed}
    if plan.annex_changed:
        options[services.ANNEX_KEY] = "Додаток (критерії та індикатори)"
    if plan.title_changed:
        options[services.TITLE_KEY] = "Назва Положення"
    form.keys.choices = [(key, label) for key, label in options.items()]
    if request.method == "GET":
        form.keys.data = [c.key for c in plan.changes if c.changed and not c.edited]
        form.keys.data += [k for k in (services.ANNEX_KEY, services.TITLE_KEY) if k in options]
    status = form_status(form)
    if form.validate_on_submit():
        try:
            applied = services.apply_recomposition(
                current_user, edition, g.institution, form.keys.data or []
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            if applied:
                flash("Оновлено за налаштуваннями: " + "; ".join(applied) + ".", "success")
            else:
                flash("Нічого не позначено для оновлення.", "info")
            return redirect(_edition_url(edition), 303)
    return render(T + "recompose.html", status=status, edition=edition, plan=plan, form=form)


# Discussion.


@bp.post("/<int:regulation_edition_id>/discussion")
@requires(*MANAGERS)
def open_discussion(regulation_edition_id: int):
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    _action()
    return _step(
        lambda: services.open_discussion(current_user, edition),
        _edition_url(edition),
        "Проєкт винесено на обговорення. Надішліть батькам посилання для пропозицій.",
    )


def _comments_page(edition, form, status=200):
    sections = services.latest_version(edition).sections
    form.set_sections(sections)
    all_comments = services.comments(edition)
    return render(
        T + "comments.html",
        status=status,
        edition=edition,
        comments=all_comments,
        form=form if edition.status == EditionStatus.DISCUSSION else None,
        decision_forms={c.id: DecisionForm(prefix=f"c{c.id}") for c in all_comments},
        public_url=_public_url(edition),
        counts=services.comment_counts(edition),
        deciding=edition.status in services.DECIDING,
    )


@bp.get("/<int:regulation_edition_id>/comments")
@requires(*INSTITUTION_ROLES)
def comments(regulation_edition_id: int):
    """Proposals and remarks on the draft, with the decisions on them."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    return _comments_page(edition, CommentForm())


@bp.post("/<int:regulation_edition_id>/comments")
@requires(*INSTITUTION_ROLES)
def add_comment(regulation_edition_id: int):
    """A staff member's proposal on a section."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    form = CommentForm()
    form.set_sections(services.latest_version(edition).sections)
    if not form.validate_on_submit():
        return _comments_page(edition, form, form_status(form))
    section = db.get_or_404(RegulationSection, int(form.section.data))
    try:
        services.add_comment(edition, section, form.text.data, author=current_user)
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _comments_page(edition, form, error.status_code)
    db.session.commit()
    flash("Дякуємо! Пропозицію надіслано.", "success")
    return redirect(url_for(".comments", regulation_edition_id=edition.id), 303)


@bp.post("/comments/<int:regulation_comment_id>/decision")
@requires(*MANAGERS)
def decide(regulation_comment_id: int):
    """Accept or decline a proposal, with the reason."""
    comment = db.get_or_404(RegulationComment, regulation_comment_id)
    form = DecisionForm(prefix=f"c{comment.id}")
    url = url_for(".comments", regulation_edition_id=comment.edition_id) + f"#c{comment.id}"
    if not form.validate_on_submit():
        flash("Оберіть рішення щодо пропозиції.", "error")
        return redirect(url, 303)
    return _step(
        lambda: services.decide_comment(
            current_user, comment, form.decision.data == "accept", form.reason.data
        ),
        url,
        "Рішення щодо пропозиції збережено.",
    )


@bp.post("/<int:regulation_edition_id>/revision")
@requires(*MANAGERS)
def start_revision(regulation_edition_id: int):
    """Close the discussion round; the text continues in a new version."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    form = RevisionForm()
    if not form.validate_on_submit():
        abort(400)
    return _step(
        lambda: services.start_revision(current_user, edition, form.note.data),
        _edition_url(edition),
        "Обговорення завершено; створено нову версію тексту для доопрацювання.",
    )


@bp.get("/<int:regulation_edition_id>/compare")
@requires(*INSTITUTION_ROLES)
def compare(regulation_edition_id: int):
    """Two versions side by side (this edition's, or the final text of an earlier one)."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    available = services.comparable_versions(edition)
    by_id = {v.id: v for v in available}
    right = by_id.get(request.args.get("b", type=int)) or available[-1]
    default_left = available[-2] if len(available) > 1 else available[-1]
    left = by_id.get(request.args.get("a", type=int)) or default_left
    diffs, annex_rows = services.compare(left, right)
    return render(
        T + "compare.html",
        edition=edition,
        available=available,
        left=left,
        right=right,
        diffs=diffs,
        annex_rows=annex_rows,
        annex_changed=markup.changed(annex_rows),
        titles=SECTION_TITLES,
    )


# Approval, publication, acknowledgement.


def _council_meetings():
    from dozq.assessment.models import PedagogicalCouncilMeeting

    return db.session.scalars(
        select(PedagogicalCouncilMeeting).order_by(PedagogicalCouncilMeeting.held_on.desc())
    ).all()


@bp.route("/<int:regulation_edition_id>/council", methods=["GET", "POST"])
@requires(*MANAGERS)
def council(regulation_edition_id: int):
    """Record the pedagogical council's approval: protocol number and date."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    form = CouncilForm()
    form.set_meetings(_council_meetings())
    status = form_status(form)
    if form.validate_on_submit():
        meeting = None
        if form.meeting.data:
            from dozq.assessment.models import PedagogicalCouncilMeeting

            meeting = db.get_or_404(PedagogicalCouncilMeeting, int(form.meeting.data))
        try:
            found = services.approve_by_council(
                current_user, edition, form.protocol_number.data, form.held_on.data, meeting
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            flash("Схвалення педагогічною радою зафіксовано.", "success")
            for warning in found:
                flash(warning, "warning")
            return redirect(_edition_url(edition), 303)
    date_message(form)
    return render(T + "council.html", status=status, edition=edition, form=form)


@bp.route("/<int:regulation_edition_id>/order", methods=["GET", "POST"])
@requires(Role.DIRECTOR)
def order(regulation_edition_id: int):
    """The director approves the regulation by order: number and date."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    form = OrderForm()
    status = form_status(form)
    if form.validate_on_submit():
        try:
            found = services.approve_by_order(
                current_user, edition, form.order_number.data, form.order_date.data
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            flash("Затвердження наказом зафіксовано.", "success")
            for warning in found:
                flash(warning, "warning")
            return redirect(_edition_url(edition), 303)
    date_message(form)
    return render(T + "order.html", status=status, edition=edition, form=form)


@bp.post("/<int:regulation_edition_id>/publish")
@requires(Role.DIRECTOR)
def publish(regulation_edition_id: int):
    """The approved edition comes into force; the one before goes to the archive."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    _action()
    return _step(
        lambda: services.publish(current_user, edition, g.institution),
        _edition_url(edition),
        f"Редакцію {edition.number} оприлюднено: вона чинна. Запропонуйте працівникам "
        "ознайомитися з нею.",
    )


@bp.post("/<int:regulation_edition_id>/acknowledge")
@requires(*INSTITUTION_ROLES)
def acknowledge(regulation_edition_id: int):
    """«Ознайомлений(-а)»: the signed-in staff member has read the edition in force."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    _action()
    return _step(
        lambda: services.acknowledge(current_user, edition),
        _edition_url(edition),
        "Дякуємо! Ознайомлення зафіксовано.",
    )


@bp.get("/<int:regulation_edition_id>/acknowledgements")
@requires(*MANAGERS)
def acknowledgements(regulation_edition_id: int):
    """Who has acknowledged the edition, and when; who has not yet."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    rows = services.acknowledgement_rows(edition)
    return render(
        T + "acknowledgements.html",
        edition=edition,
        rows=rows,
        done=sum(1 for row in rows if row.acknowledgement),
    )


@bp.get("/<int:regulation_edition_id>/notice")
@requires(*MANAGERS)
def notice(regulation_edition_id: int):
    """A printable notice for parents: where to read the regulation in force."""
    edition = db.get_or_404(RegulationEdition, regulation_edition_id)
    return render(T + "notice.html", edition=edition, institution=g.institution)
