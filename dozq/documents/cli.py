"""``flask --app wsgi dozq documents …``: render every kind for an institution, and
convert the pending PDF copies (run every minute by cron or a systemd timer)."""

from pathlib import Path

import click
from flask.cli import AppGroup

from dozq.db import db
from dozq.tenancy.scope import Scope, tenant_scope

documents_cli = AppGroup("documents", help="Документи: створення та ПДФ-копії.")


@documents_cli.command("render")
@click.argument("slug")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
def render_command(slug: str, outdir: Path) -> None:
    """Write one .docx per kind (regulation.docx, regulation_order.docx, …) for SLUG."""
    from dozq.documents.services import render_all
    from dozq.tenancy.services import all_institutions

    institution = next((i for i in all_institutions() if i.slug == slug), None)
    if institution is None:
        raise click.ClickException(f"Закладу з адресою «{slug}» немає.")
    with tenant_scope(db.session, Scope.for_institution(institution)):
        written = render_all(institution, outdir)
    db.session.rollback()
    for path in written:
        click.echo(str(path))


@documents_cli.command("convert-pending")
def convert_pending_command() -> None:
    """Make the PDF copies people asked for (LibreOffice headless, about a second each)."""
    from dozq.documents.services import convert_pending, soffice

    if soffice() is None:
        raise click.ClickException("LibreOffice (soffice) не встановлено: ПДФ-копії не створено.")
    done, failed = convert_pending()
    click.echo(f"ПДФ-копій створено: {done}; не вдалося: {failed}.")
