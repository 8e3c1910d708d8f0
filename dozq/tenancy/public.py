"""Public pages reached by an unguessable token: which institution they belong to.

A visitor of /s/<token> or /c/<code> belongs to no tenant, so the first lookup
must cross tenants; it returns only the institution, whose scope the public
blueprint then sets — everything after that (the link, the questionnaire, the
answers) is read in that scope as usual.
"""

import re

from sqlalchemy import select

from dozq.db import db
from dozq.tenancy.models import Institution
from dozq.tenancy.scope import BYPASS_OPTION

#: What ``secrets.token_urlsafe`` and the printed codes are made of; anything else
#: (a NUL byte, a slash …) is no token and never reaches the database.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def institution_of_survey_link(token: str) -> Institution | None:
    """The institution whose questionnaire link has this token."""
    from dozq.surveys.models import SurveyLink

    if not TOKEN.fullmatch(token or ""):
        return None
    return db.session.scalar(
        select(Institution)
        .join(SurveyLink, SurveyLink.institution_id == Institution.id)
        .where(SurveyLink.token == token)
        .execution_options(**{BYPASS_OPTION: True})
    )


def institution_of_survey_code(code: str) -> Institution | None:
    """The institution whose printed single-use code this is."""
    from dozq.surveys.models import SurveyCode

    if not TOKEN.fullmatch(code or ""):
        return None
    return db.session.scalar(
        select(Institution)
        .join(SurveyCode, SurveyCode.institution_id == Institution.id)
        .where(SurveyCode.code == code)
        .execution_options(**{BYPASS_OPTION: True})
    )
