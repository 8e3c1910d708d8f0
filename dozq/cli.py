"""``flask --app wsgi dozq …``: the commands scripts and administrators use."""

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from dozq.auth.passwords import MIN_PASSWORD_LENGTH
from dozq.catalog.cli import catalog_cli
from dozq.db import db
from dozq.documents.cli import documents_cli
from dozq.publication.notifications import notify_due_command

cli = AppGroup("dozq", help="Команди dozq.")
cli.add_command(catalog_cli)
cli.add_command(documents_cli)
cli.add_command(notify_due_command)


@cli.command("create-admin")
@click.option("--email", prompt="Електронна пошта")
@click.option("--name", "full_name", prompt="Ім'я", default="Адміністратор платформи")
@click.option(
    "--password",
    prompt="Пароль",
    hide_input=True,
    confirmation_prompt="Повторіть пароль",
    envvar="DOZQ_ADMIN_PASSWORD",
)
def create_admin(email: str, full_name: str, password: str) -> None:
    """Create (or restore) a platform administrator account."""
    from dozq.auth.services import create_platform_admin

    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.ClickException(f"Пароль має містити щонайменше {MIN_PASSWORD_LENGTH} символів.")
    user = create_platform_admin(email, full_name, password)
    db.session.commit()
    click.echo(f"Адміністратора платформи {user.email} створено.")


def demo_password() -> str:
    """DOZQ_DEMO_PASSWORD, or one generated once and kept in instance/."""
    if password := os.environ.get("DOZQ_DEMO_PASSWORD"):
        return password
    path = Path(current_app.instance_path) / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


@cli.command("demo")
def demo() -> None:
    """Load the demo founder, kindergartens and users (idempotent); print the logins."""
    from dozq.demo import load_demo

    password = demo_password()
    logins = load_demo(password)
    db.session.commit()
    click.echo(f"Демонстраційні облікові записи (пароль для всіх: {password}):")
    for role_label, email in logins:
        click.echo(f"  {email}  — {role_label}")


@cli.command("institutions")
def institutions() -> None:
    """List institutions, one a line: slug, then the short name."""
    from dozq.tenancy.services import all_institutions

    for institution in all_institutions():
        click.echo(f"{institution.slug}\t{institution.short_name}")


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Write a consistent archive of the database and uploaded files (the app may run)."""
    from dozq.backup import BackupError, create_backup

    try:
        manifest = create_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(table["rows"] for table in manifest["tables"])
    click.echo(
        f"Резервну копію збережено: {path} (версія схеми {manifest['alembic_revision']}, "
        f"таблиць: {len(manifest['tables'])}, записів: {rows}, файлів: {len(manifest['files'])})."
    )


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def restore(path: Path) -> None:
    """Load an archive into an empty database migrated to the archive's revision."""
    from dozq.backup import BackupError, restore_backup

    try:
        manifest = restore_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(table["rows"] for table in manifest["tables"])
    click.echo(
        f"Відновлено з {path}: записів: {rows}, файлів: {len(manifest['files'])} "
        f"(копія від {manifest['created_at']})."
    )
