"""Flask-Login wiring: sessions live in the database and can be ended there.

The idle (30 min) and absolute (12 h) limits are checked against the session's
row on every request (``services.load_session``), so they hold whatever the
cookie says.
"""

from flask import Flask

from dozq.auth import services
from dozq.extensions import login_manager


@login_manager.user_loader
def load_user(token: str):
    return services.load_session(token)


def init_sessions(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Увійдіть, щоб відкрити цю сторінку."
    login_manager.login_message_category = "info"
    # Our own session rows do the job of Flask-Login's IP/agent check, without
    # signing people out when their phone changes networks.
    login_manager.session_protection = None
