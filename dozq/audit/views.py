"""The audit log as founders and directors read it."""

from flask import Blueprint, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from dozq.audit.models import AuditEntry
from dozq.db import db
from dozq.tenancy.access import requires
from dozq.tenancy.models import Role
from dozq.web.htmx import render

bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50


@bp.get("/")
@requires(Role.DIRECTOR, Role.FOUNDER_ADMIN)
def index():
    """Who did what and when, newest first, 50 to a page."""
    entries = db.paginate(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        page=request.args.get("page", 1, type=int),
        per_page=PAGE_SIZE,
        error_out=False,
    )
    return render("audit/index.html", "audit/_entries.html", entries=entries)
