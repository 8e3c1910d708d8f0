"""Public links: an unguessable token in the URL names one row of one institution.

A parent opening a discussion link (or a questionnaire link) is not signed in
and the URL has no institution in it; the row the token names tells which
institution the request works in. Finding it crosses tenants, so it happens
here, and the request's scope is that institution from then on.
"""

from sqlalchemy import select

from dozq.db import db
from dozq.tenancy.models import Institution
from dozq.tenancy.scope import BYPASS_OPTION, Scope, set_scope

MAX_TOKEN_LENGTH = 64


def enter_by_token(model, column: str, token: str):
    """The row of ``model`` whose ``column`` equals ``token``, with the request's scope
    set to its institution; (row, institution), or None when no row has that token."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    bypass = {BYPASS_OPTION: True}
    row = db.session.scalar(
        select(model).where(getattr(model, column) == token).execution_options(**bypass)
    )
    if row is None:
        return None
    institution = db.session.get(Institution, row.institution_id, execution_options=bypass)
    set_scope(db.session, Scope.for_institution(institution))
    return row, institution
