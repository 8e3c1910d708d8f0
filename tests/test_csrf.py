"""CSRF over the whole URL map: every state-changing route refuses a request with no
token, with a wrong one and with another session's token, and the database stays as
it was. Routes join by being in the URL map, as in the isolation walker."""

import re

import pytest
from sqlalchemy import select

from dozq.db import db
from dozq.regulation.models import RegulationEdition
from dozq.surveys.models import SurveyCode, SurveyLink
from dozq.tenancy.access import PUBLIC, SIGNED_IN
from dozq.tenancy.models import Role
from tests.factories import sign_in_as
from tests.test_assessment_support import scoped
from tests.test_isolation import TOKEN_PARAMS, build_url, database_fingerprint, object_of

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "Сесія форми застаріла"


def state_changing_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        for method in sorted(rule.methods & STATE_CHANGING):
            yield rule, method


def actor_for(app, world, rule) -> int | None:
    """Someone the route would otherwise serve, so only the token stands in the way."""
    allowed = app.view_functions[rule.endpoint].allowed_roles
    if allowed == PUBLIC:
        return None
    if rule.endpoint.startswith("founder."):
        return world.a.founder_admin_id
    if rule.endpoint.startswith("institution."):
        return world.a.users[Role.DIRECTOR if Role.DIRECTOR in allowed else next(iter(allowed))]
    if allowed == SIGNED_IN:
        return world.a.users[Role.DIRECTOR]
    return world.platform_admin_id


#: Public pages behind a token of the tenant's own: the request must reach the form.
REAL_TOKENS = {
    "regulation_public.": RegulationEdition.discussion_token,
    "survey_public.link": SurveyLink.token,
    "survey_public.code": SurveyCode.code,
}


def token_for(app, world, rule) -> str:
    column = next(
        (column for prefix, column in REAL_TOKENS.items() if rule.endpoint.startswith(prefix)),
        None,
    )
    if column is None:
        return "not-a-valid-token"
    with scoped(app, world.a):
        token = db.session.scalar(select(column).where(column.is_not(None)).limit(1))
    assert token, f"the test world has no {column} of tenant A"
    return token


def own_url(app, world, rule) -> str:
    with app.app_context():
        values = {
            name: token_for(app, world, rule) if name in TOKEN_PARAMS else object_of(world.a, name)
            for name in rule.arguments
        }
    return build_url(app, rule, values)


def page_token(client) -> str:
    """The CSRF token a page hands to its session (the login form carries one)."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


BAD_TOKENS = {
    "no token": lambda other_session: {},
    "a wrong token": lambda other_session: {"csrf_token": "IjAxMjM0NTY3ODki.Zz.wrong"},
    "another session's token": lambda other_session: {"csrf_token": other_session},
}


@pytest.mark.parametrize("case", BAD_TOKENS, ids=str)
def test_every_state_change_refuses_a_missing_wrong_or_foreign_token(app, sibling_app, world, case):
    guarded = sibling_app(WTF_CSRF_ENABLED=True)
    other_session = page_token(guarded.test_client())
    clients: dict[int | None, object] = {}
    requests = []
    for rule, method in state_changing_rules(guarded):
        actor = actor_for(guarded, world, rule)
        if actor not in clients:
            clients[actor] = guarded.test_client()
            if actor is not None:
                sign_in_as(guarded, clients[actor], actor)
        requests.append((clients[actor], method, own_url(guarded, world, rule)))
    assert len(requests) > 100
    with guarded.app_context():
        before = database_fingerprint()
    failures = []
    for client, method, url in requests:
        data = BAD_TOKENS[case](other_session)
        for way in ("form", "htmx header"):
            if way == "form":
                response = client.open(url, method=method, data=data)
            else:
                headers = {"HX-Request": "true"}
                if "csrf_token" in data:
                    headers["X-CSRFToken"] = data["csrf_token"]
                response = client.open(url, method=method, headers=headers)
            body = response.get_data(as_text=True)
            if response.status_code != 400 or CSRF_MESSAGE not in body:
                failures.append(f"{method} {url} ({way}): {response.status_code}")
    with guarded.app_context():
        changed = database_fingerprint() != before
    assert not failures, "\n".join(failures)
    assert not changed, "a request refused for its CSRF token changed the database"
