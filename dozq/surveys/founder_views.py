"""A founder's questionnaires: offer a ready one to all institutions, compare the results."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dozq.db import db
from dozq.surveys import charts, library, queries, services
from dozq.surveys.forms import OfferForm
from dozq.surveys.models import SurveyOffer
from dozq.tenancy.access import requires
from dozq.tenancy.models import Role
from dozq.web.errors import DomainError
from dozq.web.forms import choices, form_status
from dozq.web.htmx import render

bp = Blueprint("surveys", __name__, url_prefix="/surveys")


def _offer_form() -> OfferForm:
    form = OfferForm()
    form.key.choices = choices(
        {key: definition["title"] for key, definition in library.library().items()}
    )
    return form


@bp.route("/", methods=["GET", "POST"])
@requires(Role.FOUNDER_ADMIN)
def index():
    """The founder's offers, and a form to offer a ready questionnaire to every institution."""
    form = _offer_form()
    if form.validate_on_submit():
        try:
            offer = services.offer_to_institutions(current_user, form.key.data, form.note.data)
        except DomainError as error:
            db.session.rollback()
            form.key.errors.append(str(error))
        else:
            db.session.commit()
            flash("Анкету запропоновано: кожен заклад отримав власну копію.", "success")
            return redirect(url_for(".offer", survey_offer_id=offer.id), 303)
    offers = db.session.scalars(select(SurveyOffer).order_by(SurveyOffer.id.desc())).all()
    return render("surveys/founder_index.html", status=form_status(form), form=form, offers=offers)


@bp.get("/offers/<int:survey_offer_id>")
@requires(Role.FOUNDER_ADMIN)
def offer(survey_offer_id: int):
    """The offered questionnaire across institutions: shares of each option."""
    offered = db.get_or_404(SurveyOffer, survey_offer_id)
    year = request.args.get("year", "")
    comparison = queries.offer_comparison(
        offered, int(year) if year.isdigit() and len(year) == 4 else None
    )
    return render(
        "surveys/founder_offer.html",
        offer=offered,
        comparison=comparison,
        percent=charts.percent,
    )
