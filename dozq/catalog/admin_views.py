"""Platform templates, as the platform administrator manages them."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from dozq.catalog import queries, services
from dozq.catalog.exporters import to_xlsx, to_yaml
from dozq.catalog.imports_flow import ImportFlow
from dozq.catalog.models import Origin
from dozq.catalog.pages import attachment, export_filename, template_or_none, tree_context
from dozq.db import db
from dozq.tenancy.access import requires
from dozq.tenancy.models import Role
from dozq.web.htmx import render

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.get("/")
@requires(Role.PLATFORM_ADMIN)
def index():
    """Every template and version; one of them previewed (``?template=``)."""
    chosen = template_or_none(request.args.get("template", type=int))
    return render(
        "catalog/admin.html",
        templates=queries.all_template_versions(),
        chosen=chosen,
        **tree_context(queries.template_tree(chosen.id) if chosen else []),
    )


@bp.get("/export")
@requires(Role.PLATFORM_ADMIN)
def export():
    """A template version as YAML (or ``format=xlsx``)."""
    template = template_or_none(request.args.get("template", type=int))
    if template is None:
        abort(404)
    nodes = [row.to_node() for row in queries.template_tree(template.id)]
    if request.args.get("format") == "xlsx":
        return attachment(
            to_xlsx(nodes),
            export_filename(f"{template.name} v{template.version_number}", "xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    text = to_yaml(
        nodes,
        name=template.name,
        origin=template.origin.value,
        edition=template.edition,
        note=template.note,
        source=template.source,
        comment=f"Шаблон dozq «{template.name}», версія {template.version_number}.",
    )
    return attachment(
        text.encode(),
        export_filename(f"{template.name} v{template.version_number}", "yaml"),
        "application/yaml",
    )


@bp.post("/starter")
@requires(Role.PLATFORM_ADMIN)
def starter():
    """Load the starter catalog (nothing changes if it is already there)."""
    before = queries.latest_template(services.STARTER_NAME)
    template = services.ensure_starter(current_user)
    db.session.commit()
    if before is not None and before.id == template.id:
        flash("Стартовий каталог уже завантажено; змін немає.", "info")
    else:
        flash(f"Завантажено «{template.title}».", "success")
    return redirect(url_for("admin.catalog.index", template=template.id), 303)


flow = ImportFlow(platform=True, endpoint_prefix="admin.catalog")


@bp.route("/import", methods=["GET", "POST"])
@requires(Role.PLATFORM_ADMIN)
def import_file():
    """Upload a catalog file to preview it as a platform template."""
    return flow.upload()


@bp.post("/import/preview")
@requires(Role.PLATFORM_ADMIN)
def import_preview():
    """Parse the staged file again with the columns as corrected."""
    return flow.preview()


@bp.post("/import/save")
@requires(Role.PLATFORM_ADMIN)
def import_save():
    """Save as the next version of the named template."""

    def save(preview, form):
        return services.save_template(
            current_user, preview.catalog, form.name.data, Origin(form.origin.data)
        )

    def after(result):
        template, created = result
        message = (
            f"Збережено «{template.title}»."
            if created
            else f"Вміст збігається з «{template.title}»: нову версію не створено."
        )
        return message, url_for("admin.catalog.index", template=template.id)

    return flow.save(save, after)
