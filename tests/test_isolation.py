"""Tenant isolation over the whole URL map.

Every rule × method is requested by every actor of tenant A with every URL
parameter filled by a real object of tenant B (or of B's founder). Foreign
objects answer 404 (or 403 where the role may not use the page at all), the
database does not change, and no text of B appears. A positive control shows
that A's own users open their own pages. A route joins by being in the URL
map; a URL parameter this test cannot fill fails the meta-test.
"""

import hashlib

import pytest
from sqlalchemy import select

from dozq.auth.models import LoginFailure, UserSession
from dozq.db import db
from dozq.surveys.models import SurveyLink
from dozq.tenancy.access import PUBLIC, SIGNED_IN
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, is_scoped, tenant_scope
from tests.factories import CANARY, sign_in_as

#: Pages that anyone may open; their parameters are opaque signed tokens.
TOKEN_PARAMS = {"token"}
#: Tables a request may legitimately touch without changing tenant data.
VOLATILE_TABLES = {UserSession.__tablename__, LoginFailure.__tablename__}

INSTITUTION_ACTORS = (Role.DIRECTOR, Role.METHODOLOGIST, Role.TEACHER, Role.STAFF)


#: Public pages (no sign-in) of what institutions published, named by a slug.
PUBLISHED_BY_DESIGN = ("public_pages.", "public_founder.")
#: Signing out would end the actor's session half-way through the walk.
NOT_WALKED = {"static", "auth.logout"}


def tenant_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_WALKED:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def object_of(tenant, param: str):
    """A real object of ``tenant`` for a URL parameter, by the parameter's name.

    ``<table>_id`` names the first row of that table in the tenant's scope, so
    new routes over new tables join without editing this test (the world must
    hold such a row for each tenant: see ``tests.factories.build_world``).
    """
    special = {
        "institution_slug": tenant.slug,
        "founder_slug": tenant.founder_slug,
        "institution_id": tenant.institution_id,
        "founder_id": tenant.founder_id,
        "user_id": tenant.users[Role.TEACHER],
    }
    if param in special:
        return special[param]
    model = MODELS_BY_TABLE.get(param.removesuffix("_id")) if param.endswith("_id") else None
    if model is None or not is_scoped(model):
        raise LookupError(param)
    institution = db.session.get(
        Institution, tenant.institution_id, execution_options={BYPASS_OPTION: True}
    )
    with tenant_scope(db.session, Scope.for_institution(institution)):
        found = db.session.scalar(select(model.id).order_by(model.id.desc()).limit(1))
    assert found is not None, f"the test world has no {model.__name__} of {tenant.slug}"
    return found


MODELS_BY_TABLE = {
    mapper.class_.__tablename__: mapper.class_ for mapper in db.Model.registry.mappers
}


def database_fingerprint() -> str:
    digest = hashlib.sha256()
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            rows = connection.execute(table.select().order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def build_url(app, rule, values):
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **values)


def expected_foreign_status(rule, role, actor_kind, foreign_tenant_in_url):
    """What an actor of tenant A must get for a URL pointing at B's objects."""
    allowed = app_view(rule).allowed_roles
    if allowed == PUBLIC:
        return None
    if actor_kind in ("anonymous", "parent"):
        return 302
    if rule.endpoint.startswith("institution."):
        if actor_kind != "institution" or foreign_tenant_in_url:
            return 404
        return 403 if role not in allowed else 404
    if rule.endpoint.startswith("founder."):
        return 404
    if allowed == SIGNED_IN:
        return None
    return 403 if role not in allowed else None


_views = {}


def app_view(rule):
    return _views[rule.endpoint]


ACTORS = [
    ("anonymous", None),
    # Not signed in, but holding tenant A's questionnaire link (its cookies set).
    ("parent", None),
    ("platform", Role.PLATFORM_ADMIN),
    ("founder", Role.FOUNDER_ADMIN),
    *[("institution", role) for role in INSTITUTION_ACTORS],
]


def actor_user_id(world, kind, role):
    if kind == "platform":
        return world.platform_admin_id
    if kind == "founder":
        return world.a.founder_admin_id
    if kind == "institution":
        return world.a.users[role]
    return None


def questionnaire_link(app, tenant) -> str:
    with app.app_context():
        institution = db.session.get(
            Institution, tenant.institution_id, execution_options={BYPASS_OPTION: True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            return f"/s/{db.session.scalar(select(SurveyLink.token).limit(1))}"


def url_variants(app, rule, world):
    """(url, does the tenant part of the URL itself belong to B?) for B's objects."""
    params = [name for name in rule.arguments if name not in TOKEN_PARAMS]
    with app.app_context():
        foreign = {name: object_of(world.b, name) for name in params}
        variants = [(build_url(app, rule, foreign | _tokens(rule)), True)]
        own_tenant = {"institution_slug": world.a.slug, "founder_slug": world.a.founder_slug}
        object_params = [name for name in params if name not in own_tenant]
        if object_params and any(name in own_tenant for name in params):
            mixed = {name: own_tenant.get(name, foreign[name]) for name in params}
            variants.append((build_url(app, rule, mixed | _tokens(rule)), False))
    return variants


def _tokens(rule):
    return {name: "not-a-valid-token" for name in rule.arguments if name in TOKEN_PARAMS}


def test_every_url_parameter_can_be_filled(app, world):
    """Meta-test: a new kind of URL parameter needs a filler here, or the walker
    could not prove anything about its routes."""
    with app.app_context():
        unknown = set()
        for rule, _method in tenant_rules(app):
            for name in rule.arguments - TOKEN_PARAMS:
                try:
                    object_of(world.b, name)
                except LookupError:
                    unknown.add(f"{rule.endpoint}:{name}")
    assert not unknown, f"URL parameters the isolation walker cannot fill: {sorted(unknown)}"


def test_every_view_declares_its_roles(app):
    missing = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and not hasattr(view, "allowed_roles")
    ]
    assert not missing, f"views without @requires/@public/@signed_in: {missing}"


@pytest.mark.parametrize("kind,role", ACTORS, ids=[f"{k}-{r}" for k, r in ACTORS])
def test_foreign_objects_are_invisible_and_unchangeable(app, client, world, kind, role):
    _views.update(app.view_functions)
    if (user_id := actor_user_id(world, kind, role)) is not None:
        sign_in_as(app, client, user_id)
    if kind == "parent":
        assert client.get(questionnaire_link(app, world.a)).status_code == 200
    requests = [
        (rule, method, url, expected_foreign_status(rule, role, kind, foreign_tenant_in_url))
        for rule, method in tenant_rules(app)
        for url, foreign_tenant_in_url in url_variants(app, rule, world)
    ]
    failures = []

    def check(rule, method, url, expected):
        response = client.open(url, method=method, data={})
        body = response.get_data(as_text=True)
        if response.status_code >= 500:
            failures.append(f"{method} {url}: {response.status_code}")
        if expected is not None and response.status_code != expected:
            failures.append(f"{method} {url}: {response.status_code}, expected {expected}")
        # The platform administrator manages every founder and account by design; public
        # pages show an institution's name and what it published (their own tests prove
        # that drafts never appear: tests/test_publication_public.py).
        published = rule.endpoint.startswith(PUBLISHED_BY_DESIGN)
        if CANARY in body and kind != "platform" and not published:
            failures.append(f"{method} {url}: shows tenant B's text")

    # Reading never changes anything: one fingerprint around all GETs is enough.
    with app.app_context():
        before = database_fingerprint()
    for request in requests:
        if request[1] == "GET":
            check(*request)
    with app.app_context():
        if database_fingerprint() != before:
            failures.append("a GET request changed the database")
    for rule, method, url, expected in requests:
        if method == "GET":
            continue
        with app.app_context():
            before = database_fingerprint()
        check(rule, method, url, expected)
        with app.app_context():
            if expected is not None and database_fingerprint() != before:
                failures.append(f"{method} {url}: changed the database")
    assert not failures, "\n".join(failures)


OWN_PAGES_SKIP = {"auth.login", "auth.forgot_password"}


@pytest.mark.parametrize("role", (*INSTITUTION_ACTORS, Role.FOUNDER_ADMIN), ids=str)
def test_own_pages_open_for_their_roles(app, client, world, role):
    """The positive control: with A's own objects, A's users get 200 on every
    GET page their role may use, and 403 on the others; and reading their own pages
    changes nothing in the database."""
    _views.update(app.view_functions)
    user_id = world.a.founder_admin_id if role == Role.FOUNDER_ADMIN else world.a.users[role]
    sign_in_as(app, client, user_id)
    prefix = "founder." if role == Role.FOUNDER_ADMIN else "institution."
    checked, failures = 0, []
    with app.app_context():
        before = database_fingerprint()
    for rule, method in tenant_rules(app):
        if method != "GET" or not rule.endpoint.startswith(prefix):
            continue
        with app.app_context():
            values = {name: object_of(world.a, name) for name in rule.arguments}
        url = build_url(app, rule, values)
        response = client.get(url)
        expected = 200 if role in app_view(rule).allowed_roles else 403
        checked += 1
        if response.status_code != expected:
            failures.append(f"GET {url}: {response.status_code}, expected {expected}")
    assert checked > 0
    assert not failures, "\n".join(failures)
    with app.app_context():
        assert database_fingerprint() == before, "opening a page changed the database"
