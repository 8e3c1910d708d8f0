"""``flask --app wsgi dozq catalog …``: platform templates from files, exports, the starter."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from dozq.catalog import queries, services
from dozq.catalog.exporters import to_xlsx, to_yaml
from dozq.catalog.importers import read_path
from dozq.catalog.models import CatalogTemplate, InstitutionCatalog, Origin
from dozq.catalog.tree import counts_text
from dozq.db import db
from dozq.tenancy.scope import Scope, tenant_scope
from dozq.web.errors import DomainError

catalog_cli = AppGroup("catalog", help="Каталоги критеріїв та індикаторів.")


def fail(message: str) -> None:
    """Print a Ukrainian error and leave with a non-zero status (nothing is saved)."""
    db.session.rollback()
    click.echo(f"Помилка: {message}", err=True)
    raise click.exceptions.Exit(1)


@catalog_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="Назва шаблону; повторний імпорт — наступна версія.")
@click.option(
    "--origin",
    type=click.Choice([origin.value for origin in Origin]),
    default=None,
    help="Походження (типово — з файлу YAML або «imported»).",
)
@click.option(
    "--keep-statuses",
    is_flag=True,
    help="Довіряти статусам формулювань у файлі (лише для перевірених файлів).",
)
def import_command(path: Path, name: str, origin: str | None, keep_statuses: bool) -> None:
    """Import PATH (YAML, XLSX, CSV or DOCX) as the platform template NAME."""
    if not path.exists():
        fail(f"файл {path} не знайдено.")
    try:
        catalog = read_path(path)
        template, created = services.save_template(
            None,
            catalog,
            name,
            Origin(origin) if origin else None,
            trust_statuses=keep_statuses,
        )
    except DomainError as error:
        fail(str(error))
    db.session.commit()
    for warning in catalog.warnings:
        click.echo(f"Увага: {warning}", err=True)
    if created:
        click.echo(f"Збережено «{template.title}»: {counts_text(catalog.counts())}.")
    else:
        click.echo(f"Вміст збігається з «{template.title}»: нову версію не створено.")


def _template_nodes(name: str, version: int | None):
    query = select(CatalogTemplate).where(CatalogTemplate.name == name)
    if version is not None:
        query = query.where(CatalogTemplate.version_number == version)
    template = db.session.scalar(query.order_by(CatalogTemplate.version_number.desc()).limit(1))
    if template is None:
        names = sorted({t.name for t in queries.all_template_versions()})
        known = "; ".join(f"«{n}»" for n in names) or "жодного"
        fail(f"шаблону «{name}»{f' версії {version}' if version else ''} немає. Є: {known}.")
    nodes = [row.to_node() for row in queries.template_tree(template.id)]
    meta = {
        "name": template.name,
        "origin": template.origin.value,
        "edition": template.edition,
        "note": template.note,
        "source": template.source,
        "comment": f"Шаблон dozq «{template.name}», версія {template.version_number}.",
    }
    return nodes, meta


def _institution_nodes(name: str, slug: str):
    from dozq.tenancy.services import all_institutions

    institution = next((i for i in all_institutions() if i.slug == slug), None)
    if institution is None:
        fail(f"закладу з адресою «{slug}» немає (див. «flask dozq institutions»).")
    with tenant_scope(db.session, Scope.for_institution(institution)):
        catalogs = db.session.scalars(
            select(InstitutionCatalog).order_by(
                InstitutionCatalog.is_active.desc(), InstitutionCatalog.id.desc()
            )
        ).all()
        catalog = next((c for c in catalogs if c.name == name), None)
        if catalog is None:
            known = "; ".join(f"«{c.name}»" for c in catalogs) or "жодного"
            fail(f"у закладі «{institution.short_name}» немає каталогу «{name}». Є: {known}.")
        nodes = [row.to_node() for row in queries.catalog_tree(catalog.id)]
        meta = {
            "name": catalog.name,
            "origin": catalog.origin.value,
            "note": catalog.note,
            "source": catalog.source,
            "comment": f"Каталог закладу «{institution.short_name}», експортовано з dozq.",
        }
    return nodes, meta


@catalog_cli.command("export")
@click.argument("name")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--institution", "slug", help="Експортувати каталог закладу з цією адресою.")
@click.option("--version", type=int, help="Версія шаблону (типово — остання).")
def export_command(name: str, path: Path, slug: str | None, version: int | None) -> None:
    """Export the template NAME (or an institution's catalog NAME) to PATH: YAML, or XLSX
    when PATH ends in .xlsx."""
    nodes, meta = _institution_nodes(name, slug) if slug else _template_nodes(name, version)
    if path.suffix.lower() == ".xlsx":
        path.write_bytes(to_xlsx(nodes))
    else:
        path.write_text(to_yaml(nodes, **meta), encoding="utf-8")
    click.echo(f"Каталог «{meta['name']}» записано до {path}.")


@catalog_cli.command("starter")
def starter_command() -> None:
    """Load the starter catalog (idempotent: nothing changes when it is there)."""
    before = queries.latest_template(services.STARTER_NAME)
    template = services.ensure_starter()
    db.session.commit()
    if before is not None and before.id == template.id:
        click.echo(f"Стартовий каталог уже є: «{template.title}».")
    else:
        click.echo(f"Завантажено «{template.title}».")


@catalog_cli.command("list")
def list_command() -> None:
    """Every template version: name, version, origin."""
    for template in queries.all_template_versions():
        click.echo(f"{template.name}\t{template.version_number}\t{template.origin.value}")
