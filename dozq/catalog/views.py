"""An institution's catalog: read by all staff, shaped by the director and the methodologist."""

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, make_response, redirect, request, url_for
from flask_login import current_user

from dozq.catalog import queries, services, versions
from dozq.catalog.exporters import to_xlsx, to_yaml
from dozq.catalog.forms import ItemForm, NewItemForm, TemplateChoiceForm, UpdatesForm
from dozq.catalog.imports_flow import ImportFlow
from dozq.catalog.models import (
    KIND_ACCUSATIVE,
    CatalogItem,
    CatalogTemplate,
    InstitutionCatalog,
    ItemKind,
)
from dozq.catalog.pages import (
    LABELS,
    attachment,
    export_filename,
    template_or_none,
    tree_context,
)
from dozq.db import db
from dozq.tenancy.access import requires
from dozq.tenancy.models import INSTITUTION_ROLES, MANAGERS
from dozq.web.errors import DomainError
from dozq.web.forms import form_status
from dozq.web.htmx import is_fragment_request, render

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


def _editable() -> bool:
    return g.role in MANAGERS


@dataclass(frozen=True)
class Newer:
    """A newer version of the adopted template, as the catalog page announces it."""

    name: str
    version_number: int


def _index_context(catalog: InstitutionCatalog | None, newest: int | None = None) -> dict:
    newer = None
    version = catalog.template_version if catalog is not None else None
    if newest is not None and version is not None and newest > version:
        newer = Newer(catalog.template_name, newest)
    context = {
        "catalog": catalog,
        "editable": bool(catalog and catalog.is_active and _editable()),
        "newer": newer,
        "offers": queries.current_offers() if _editable() and not is_fragment_request() else [],
    }
    context.update(tree_context(queries.catalog_tree(catalog.id) if catalog else []))
    return context


def _tree_response(catalog: InstitutionCatalog, retarget: bool = False):
    """The updated tree, answering an htmx request that changed it (plain forms
    are answered by a redirect to the page instead)."""
    response = render("catalog/index.html", "catalog/_tree.html", **_index_context(catalog))
    if retarget:
        response.headers["HX-Retarget"] = "#catalog-tree"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def _back_to(item_id: int | None = None):
    anchor = f"item-{item_id}" if item_id else None
    return redirect(url_for("institution.catalog.index", _anchor=anchor), 303)


@bp.get("/")
@requires(*INSTITUTION_ROLES)
def index():
    """The institution's criteria and indicators, as its people work with them."""
    catalogs = queries.catalogs_with_newest()
    catalog, newest = next(((c, n) for c, n in catalogs if c.is_active), (None, None))
    context = _index_context(catalog, newest)
    context["archived"] = [c for c, _n in catalogs if not c.is_active]
    return render("catalog/index.html", "catalog/_tree.html", **context)


@bp.get("/catalogs/<int:institution_catalog_id>")
@requires(*INSTITUTION_ROLES)
def show(institution_catalog_id: int):
    """Any of the institution's catalogs, the archived ones included (read only)."""
    catalog = db.get_or_404(InstitutionCatalog, institution_catalog_id)
    context = tree_context(queries.catalog_tree(catalog.id))
    return render(
        "catalog/show.html",
        catalog=catalog,
        archived=queries.archived_catalogs(),
        **context,
    )


def _export_nodes(catalog: InstitutionCatalog):
    return [row.to_node() for row in queries.catalog_tree(catalog.id)]


@bp.get("/catalogs/<int:institution_catalog_id>/export.yaml")
@requires(*INSTITUTION_ROLES)
def export_yaml(institution_catalog_id: int):
    """The catalog as YAML: dozq imports it back unchanged."""
    catalog = db.get_or_404(InstitutionCatalog, institution_catalog_id)
    text = to_yaml(
        _export_nodes(catalog),
        name=catalog.name,
        origin=catalog.origin.value,
        note=catalog.note,
        source=catalog.source,
        comment=f"Каталог закладу «{g.institution.short_name}», експортовано з dozq.",
    )
    return attachment(text.encode(), export_filename(catalog.name, "yaml"), "application/yaml")


@bp.get("/catalogs/<int:institution_catalog_id>/export.xlsx")
@requires(*INSTITUTION_ROLES)
def export_xlsx(institution_catalog_id: int):
    """The catalog as the annex's table in Excel."""
    catalog = db.get_or_404(InstitutionCatalog, institution_catalog_id)
    data = to_xlsx(_export_nodes(catalog))
    return attachment(
        data,
        export_filename(catalog.name, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# Choosing a catalog.


@bp.get("/templates")
@requires(*MANAGERS)
def templates():
    """Catalogs the platform offers (and the founder recommends); one of them previewed."""
    chosen = template_or_none(request.args.get("template", type=int))
    offered = {offer.template_id: offer for offer in queries.current_offers()}
    return render(
        "catalog/templates.html",
        catalogs=queries.latest_templates(),
        offered=offered,
        chosen=chosen,
        current=queries.active_catalog(),
        form=TemplateChoiceForm(),
        **tree_context(queries.template_tree(chosen.id) if chosen else []),
    )


@bp.post("/adopt")
@requires(*MANAGERS)
def adopt():
    """Take a copy of a template as the institution's catalog."""
    form = TemplateChoiceForm()
    template = None
    if form.validate_on_submit():
        template = db.session.get(CatalogTemplate, form.template_id.data)
        if template is None:
            form.template_id.errors.append("Такого каталогу немає. Оберіть каталог зі списку.")
    if template is None:
        form.form_errors.extend(form.template_id.errors or ["Оберіть каталог зі списку."])
        offered = {offer.template_id: offer for offer in queries.current_offers()}
        return render(
            "catalog/templates.html",
            status=422,
            catalogs=queries.latest_templates(),
            offered=offered,
            chosen=None,
            current=queries.active_catalog(),
            form=form,
            **tree_context([]),
        )
    try:
        catalog = services.adopt(current_user, template)
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("institution.catalog.templates"), 303)
    db.session.commit()
    flash(
        f"Заклад працює з каталогом «{catalog.name}» (версія {template.version_number}).",
        "success",
    )
    return redirect(url_for("institution.catalog.index"), 303)


# Shaping the catalog.


def _item(catalog_item_id: int) -> CatalogItem:
    """An item of the institution's active catalog (a foreign or archived one: 404)."""
    item = db.get_or_404(CatalogItem, catalog_item_id)
    if not item.catalog.is_active:
        abort(404)
    return item


@bp.route("/items/<int:catalog_item_id>/edit", methods=["GET", "POST"])
@requires(*MANAGERS)
def edit_item(catalog_item_id: int):
    """Change the wording (and an indicator's methods); a concurrent save is refused."""
    item = _item(catalog_item_id)
    indicator = item.kind is ItemKind.INDICATOR
    form = ItemForm(obj=item, indicator=indicator)
    status = form_status(form)
    if form.validate_on_submit():
        methods = form.methods.data if indicator else []
        try:
            changed = services.update_item(
                current_user, item, form.text.data, methods, form.version.data
            )
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
            status = error.status_code
        else:
            db.session.commit()
            if is_fragment_request():
                return _tree_response(item.catalog, retarget=True)
            flash("Зміни збережено." if changed else "Змін не було.", "success")
            return _back_to(item.id)
    return render(
        "catalog/item_edit.html",
        "catalog/_item_edit.html",
        status=status,
        form=form,
        item=item,
    )


@bp.post("/items/<int:catalog_item_id>/toggle")
@requires(*MANAGERS)
def toggle_item(catalog_item_id: int):
    """Switch an item off (kept, greyed, left out of self-assessment) or on."""
    item = _item(catalog_item_id)
    services.set_enabled(current_user, item, not item.enabled)
    db.session.commit()
    if is_fragment_request():
        return _tree_response(item.catalog)
    state = "увімкнено" if item.enabled else "вимкнено"
    flash(f"{item.kind.label.capitalize()} {item.code} {state}.", "success")
    return _back_to(item.id)


def _move(catalog_item_id: int, step: int):
    item = _item(catalog_item_id)
    services.move(current_user, item, step)
    db.session.commit()
    if is_fragment_request():
        return _tree_response(item.catalog)
    return _back_to(item.id)


@bp.post("/items/<int:catalog_item_id>/up")
@requires(*MANAGERS)
def move_up(catalog_item_id: int):
    """Move an item above its previous sibling."""
    return _move(catalog_item_id, -1)


@bp.post("/items/<int:catalog_item_id>/down")
@requires(*MANAGERS)
def move_down(catalog_item_id: int):
    """Move an item below its next sibling."""
    return _move(catalog_item_id, +1)


@bp.route("/items/<int:catalog_item_id>/new", methods=["GET", "POST"])
@requires(*MANAGERS)
def new_item(catalog_item_id: int):
    """Add the institution's own requirement, criterion or indicator under an item."""
    parent = _item(catalog_item_id)
    kind = parent.kind.child
    if kind is None:
        abort(404)
    form = NewItemForm(
        indicator=kind is ItemKind.INDICATOR,
        code_taken=lambda code: services.code_taken(parent.catalog_id, code),
    )
    if request.method == "GET":
        form.code.data = services.suggest_code(parent)
    if form.validate_on_submit():
        methods = form.methods.data if kind is ItemKind.INDICATOR else []
        item = services.add_item(current_user, parent, form.code.data, form.text.data, methods)
        db.session.commit()
        flash(f"Додано {kind.label} {item.code}.", "success")
        target = url_for("institution.catalog.index", _anchor=f"item-{item.id}")
        if is_fragment_request():
            response = make_response("", 204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target, 303)
    return render(
        "catalog/item_new.html",
        "catalog/_item_new_form.html",
        status=form_status(form),
        form=form,
        parent=parent,
        kind=kind,
        kind_accusative=KIND_ACCUSATIVE[kind],
    )


@bp.post("/items/<int:catalog_item_id>/delete")
@requires(*MANAGERS)
def delete_item(catalog_item_id: int):
    """Delete an item the institution added itself."""
    item = _item(catalog_item_id)
    catalog = item.catalog
    parent_id = item.parent_id
    services.delete_own_item(current_user, item)
    db.session.commit()
    if is_fragment_request():
        return _tree_response(catalog)
    flash("Власний елемент видалено.", "success")
    return _back_to(parent_id)


# Newer versions of the template.


@bp.route("/updates", methods=["GET", "POST"])
@requires(*MANAGERS)
def updates():
    """What a newer version of the adopted template changes; take what you want."""
    catalog = queries.active_catalog()
    newer = queries.newer_template(catalog) if catalog else None
    found = versions.changes(catalog, newer) if newer else []
    form = UpdatesForm(keys=[change.key for change in found])
    status = form_status(form)
    if newer is not None and form.validate_on_submit():
        if form.template_id.data != newer.id:
            form.form_errors.append(
                "Поки ви переглядали зміни, з’явилася ще новіша версія. Перегляньте її."
            )
        else:
            try:
                taken = versions.apply(current_user, catalog, newer, form.take.data or [])
            except DomainError as error:
                db.session.rollback()
                form.form_errors.append(str(error))
                status = error.status_code
            else:
                db.session.commit()
                flash(
                    f"Каталог переведено на версію {newer.version_number}; прийнято змін: {taken}.",
                    "success",
                )
                return redirect(url_for("institution.catalog.index"), 303)
    if newer is not None:
        form.template_id.data = newer.id
    elif form.is_submitted():
        raise DomainError("Нових версій каталогу немає: змін для прийняття немає.")
    return render(
        "catalog/updates.html",
        "catalog/_updates_form.html",
        status=status,
        catalog=catalog,
        newer=newer,
        changes=found,
        form=form,
        labels=LABELS,
    )


# Importing the annex the institution has.

flow = ImportFlow(platform=False, endpoint_prefix="institution.catalog")


@bp.route("/import", methods=["GET", "POST"])
@requires(*MANAGERS)
def import_file():
    """Upload a file: the preview shows the columns recognised and the tree."""
    return flow.upload()


@bp.post("/import/preview")
@requires(*MANAGERS)
def import_preview():
    """Parse the staged file again with the columns as corrected."""
    return flow.preview()


@bp.post("/import/save")
@requires(*MANAGERS)
def import_save():
    """Save the previewed catalog as the institution's catalog."""
    return flow.save(
        lambda preview, form: services.import_catalog(
            current_user, preview.catalog, form.name.data
        ),
        lambda result: (
            f"Каталог «{result.name}» імпортовано: тепер заклад працює з ним.",
            url_for("institution.catalog.index"),
        ),
    )
