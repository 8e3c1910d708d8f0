"""Configuration: defaults, then ``instance/config.py``, then ``DOZQ_*`` environment
variables and ``DATABASE_URL``, then the test configuration."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "WTF_I18N_ENABLED": False,
    # A methodologist may edit a long text for more than an hour; the token is
    # bound to the session, which expires on its own.
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": timedelta(minutes=30),
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
    "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
    "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
    "LOGIN_MAX_FAILURES": 10,
    "LOGIN_FAILURE_WINDOW": timedelta(minutes=15),
    "INVITATION_MAX_AGE": timedelta(days=7),
    "PASSWORD_RESET_MAX_AGE": timedelta(hours=2),
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_SENDER": "dozq <noreply@localhost>",
    "PREFERRED_URL_SCHEME": "http",
    #: Where people reach dozq; used for links in letters sent from the command line.
    "BASE_URL": "http://127.0.0.1:5000",
}


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config`` in the documented order of precedence."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(DEFAULTS)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'dozq.sqlite'}"
    app.config["UPLOAD_FOLDER"] = str(instance / "uploads")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("DOZQ")
    if database_url := os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(database_url)
    if secret := os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret
    if test_config:
        app.config.from_mapping(test_config)
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(instance / "secret_key")


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def instance_secret_key(path: Path) -> str:
    """The installation's own secret, generated on first start and kept private."""
    if not path.exists():
        # Several server processes may start at once: write aside, then link
        # into place atomically, so that none of them reads a half-written key.
        draft = path.with_name(f"{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(48))
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
