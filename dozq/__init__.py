"""dozq: the internal quality assurance system of Ukrainian preschool institutions."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dozq import (
    extensions,
    models,  # noqa: F401  (registers every mapper)
)
from dozq.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(ROOT / "migrations"))
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.htmx.init_app(app)
    if app.config.get("PROXY_FIX"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    register_web(app)
    register_blueprints(app)
    register_commands(app)
    return app


def register_web(app: Flask) -> None:
    from dozq.auth.session import init_sessions
    from dozq.web.errors import init_error_pages
    from dozq.web.filters import init_filters
    from dozq.web.navigation import init_navigation
    from dozq.web.security import init_security_headers

    init_sessions(app)
    init_error_pages(app)
    init_filters(app)
    init_navigation(app)
    init_security_headers(app)


def register_blueprints(app: Flask) -> None:
    from dozq.routes import TOP_LEVEL

    for blueprint in TOP_LEVEL:
        app.register_blueprint(blueprint)


def register_commands(app: Flask) -> None:
    from dozq.cli import cli

    app.cli.add_command(cli)
