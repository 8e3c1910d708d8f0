"""The public discussion page: parents read the draft and leave proposals through a
link with an unguessable token, without an account. The token names the edition,
and so the institution the request works in (``dozq.tenancy.public_links``)."""

from flask import Blueprint, abort, flash, g, redirect, request, url_for

from dozq.db import db
from dozq.regulation import markup, services
from dozq.regulation.forms import PublicCommentForm
from dozq.regulation.models import EditionStatus, RegulationEdition, RegulationSection
from dozq.surveys.ratelimit import SubmissionLimiter
from dozq.tenancy.access import public
from dozq.tenancy.public_links import enter_by_token
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import render

bp = Blueprint("regulation_public", __name__, url_prefix="/obgovorennia/<token>")

#: A flood guard (no addresses kept; see ``dozq.surveys.ratelimit``): a kindergarten's
#: parents may share one address, so the limit per address and edition is generous.
limiter = SubmissionLimiter()
LIMIT = (30, 3600)


@bp.url_value_preprocessor
def enter_discussion(endpoint, values) -> None:
    found = enter_by_token(RegulationEdition, "discussion_token", values.pop("token"))
    if found is None:
        abort(404)
    g.public_edition, g.public_institution = found


@bp.url_defaults
def add_token(endpoint, values) -> None:
    if "public_edition" in g:
        values.setdefault("token", g.public_edition.discussion_token)


def _page(form: PublicCommentForm, status: int = 200):
    edition = g.public_edition
    sections = services.latest_version(edition).sections
    form.set_sections(sections)
    return render(
        "regulation/public.html",
        status=status,
        edition=edition,
        institution=g.public_institution,
        sections=sections,
        groups={s.id: markup.groups(s.body, n) for n, s in enumerate(sections, start=1)},
        form=form if edition.status == EditionStatus.DISCUSSION else None,
    )


@bp.get("/")
@public
def discussion():
    """The draft under discussion and the form for a proposal."""
    return _page(PublicCommentForm())


@bp.post("/")
@public
def propose():
    """A parent's proposal or remark on a section."""
    form = PublicCommentForm()
    form.set_sections(services.latest_version(g.public_edition).sections)
    if not form.validate_on_submit():
        return _page(form, form_status(form))
    if not limiter.allow(request.remote_addr, g.public_edition.id, LIMIT):
        form.form_errors.append(
            "З цієї адреси надійшло забагато пропозицій. Спробуйте, будь ласка, за годину."
        )
        return _page(form, 429)
    section = db.get_or_404(RegulationSection, int(form.section.data))
    try:
        services.add_comment(
            g.public_edition,
            section,
            form.text.data,
            author_name=form.author_name.data,
            from_parent=True,
        )
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _page(form, error.status_code)
    db.session.commit()
    flash("Дякуємо! Вашу пропозицію отримано; заклад розгляне її під час доопрацювання.", "success")
    return redirect(url_for(".discussion"), 303)
