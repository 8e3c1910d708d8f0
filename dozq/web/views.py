"""The start page, the workplace switcher and the health check."""

from flask import Blueprint, redirect, url_for
from flask_login import current_user
from sqlalchemy import text

from dozq.auth.forms import LoginForm
from dozq.db import db
from dozq.tenancy.access import public, signed_in, workplaces
from dozq.web.htmx import render

bp = Blueprint("web", __name__)


@bp.get("/")
@public
def index():
    """A visitor sees what dozq is and the sign-in form; a member goes to work."""
    if not current_user.is_authenticated:
        return render("web/landing.html", form=LoginForm())
    memberships, founder_roles = workplaces(current_user)
    places = len(memberships) + len(founder_roles) + int(current_user.is_platform_admin)
    if places == 1:
        if memberships:
            return redirect(
                url_for("institution.home", institution_slug=memberships[0].institution.slug)
            )
        if founder_roles:
            return redirect(url_for("founder.home", founder_slug=founder_roles[0].founder.slug))
        return redirect(url_for("admin.founders"))
    return redirect(url_for("web.workplaces_page"))


@bp.get("/workplaces")
@signed_in
def workplaces_page():
    """Everywhere the signed-in person works, to choose one."""
    memberships, founder_roles = workplaces(current_user)
    return render("web/workplaces.html", memberships=memberships, founder_roles=founder_roles)


@bp.get("/favicon.ico")
@public
def favicon():
    """Browsers ask for it even on JSON and CSV pages; dozq has no icon to give."""
    return "", 204


@bp.get("/healthz")
@public
def healthz():
    """Liveness and database check for load balancers and monitoring."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        return {"status": "error", "database": "unavailable"}, 503
    return {"status": "ok", "database": "ok"}
