"""A founder recommends catalogs to its institutions and sees which version each adopted."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from dozq.catalog import queries, services
from dozq.catalog.forms import TemplateChoiceForm
from dozq.catalog.models import CatalogOffer, CatalogTemplate, InstitutionCatalog
from dozq.catalog.pages import template_or_none, tree_context
from dozq.db import db
from dozq.tenancy.access import requires
from dozq.tenancy.models import Institution, Role
from dozq.web.errors import DomainError
from dozq.web.htmx import render

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


def _adoptions() -> list[tuple[Institution, InstitutionCatalog | None]]:
    """Each institution of the founder with the catalog it works with (if any)."""
    rows = db.session.execute(
        select(Institution, InstitutionCatalog)
        .outerjoin(
            InstitutionCatalog,
            (InstitutionCatalog.institution_id == Institution.id) & InstitutionCatalog.is_active,
        )
        .order_by(Institution.short_name)
    ).all()
    return [(institution, catalog) for institution, catalog in rows]


def _page(form: TemplateChoiceForm, status: int = 200):
    chosen = template_or_none(request.args.get("template", type=int))
    latest = queries.latest_templates()
    newest = {template.name: template.version_number for template, _count in latest}
    return render(
        "catalog/founder.html",
        status=status,
        catalogs=latest,
        offers=queries.current_offers(),
        adoptions=_adoptions(),
        newest=newest,
        chosen=chosen,
        form=form,
        **tree_context(queries.template_tree(chosen.id) if chosen else []),
    )


@bp.get("/")
@requires(Role.FOUNDER_ADMIN)
def index():
    """Catalogs to recommend, the standing offers, and who adopted which version."""
    return _page(TemplateChoiceForm(formdata=None))


@bp.post("/offers")
@requires(Role.FOUNDER_ADMIN)
def offer():
    """Offer a template version to all of the founder's institutions."""
    form = TemplateChoiceForm()
    template = None
    if form.validate_on_submit():
        template = db.session.get(CatalogTemplate, form.template_id.data)
        if template is None:
            form.template_id.errors.append("Такого каталогу немає. Оберіть каталог зі списку.")
    if template is None:
        form.form_errors.extend(form.template_id.errors or ["Оберіть каталог зі списку."])
        form.form_errors.extend(form.note.errors)
        return _page(form, 422)
    try:
        services.offer(current_user, template, form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return _page(form, 422)
    db.session.commit()
    flash(f"Каталог «{template.title}» запропоновано всім закладам.", "success")
    return redirect(url_for("founder.catalog.index"), 303)


@bp.post("/offers/<int:catalog_offer_id>/withdraw")
@requires(Role.FOUNDER_ADMIN)
def withdraw(catalog_offer_id: int):
    """The offer no longer stands (institutions keep what they adopted)."""
    offered = db.get_or_404(CatalogOffer, catalog_offer_id)
    services.withdraw_offer(current_user, offered)
    db.session.commit()
    flash("Пропозицію відкликано.", "success")
    return redirect(url_for("founder.catalog.index"), 303)
