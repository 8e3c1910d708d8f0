"""Hostile input over every form and public page, thrown by Hypothesis.

Every state-changing rule of the URL map (POST, PUT, PATCH, DELETE) and every
public page is requested at least 200 times with random subsets of the field
names the application's WTForms forms know, filled with hostile values: empty,
whitespace, 100 kB texts, RTL marks and NUL bytes, numbers out of range, broken
dates, repeated values, markup, SQL-looking text, and random file parts for the
pages that take files. URL parameters name tenant A's own objects and the actor
is one whose role may use the page, so the form behind it is really processed.

Whatever arrives: never a server error; a 422 says what is wrong in Ukrainian;
a refused request (400, 409, 422) leaves the database as it was.

SQLite only: some 36 000 requests take minutes, PostgreSQL would double that. The
world is built once and copied back before each route; one signed-in client per
route; commits do not wait for the disk here.
"""

import importlib
import inspect
import io
import pkgutil
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import wtforms
from flask_wtf.file import FileField, MultipleFileField
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms.fields.core import UnboundField

import dozq
from dozq.auth.models import Invitation
from dozq.auth.services import invitation_link, request_password_reset
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.publication.models import MonitoringProgramme, ProgrammeStatus
from dozq.regulation import public as regulation_public
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.surveys.models import SurveyCode, SurveyLink, SurveyQuestion
from dozq.surveys.ratelimit import limiter as survey_limiter
from dozq.tenancy.access import PUBLIC, SIGNED_IN
from dozq.tenancy.models import Role
from tests import factories
from tests.factories import sign_in_as
from tests.test_isolation import (
    build_url,
    database_fingerprint,
    object_of,
    tenant_rules,
)
from tests.test_surveys_support import in_tenant

EXAMPLES = 200
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
#: Preferred actor among the roles a page allows: the broadest first.
ROLE_PREFERENCE = (Role.DIRECTOR, Role.METHODOLOGIST, Role.TEACHER, Role.STAFF)
#: Statuses that refuse a request; the database must be as it was.
REFUSALS = {400, 409, 422}
CYRILLIC = re.compile(r"[А-ЩЬЮЯЄІЇҐа-щьюяєіїґ]{3,}")
#: Where a refusal explains itself: a field's error, a notice (the form's errors, why a
#: step is closed now), an error page.
ERROR_MARKERS = re.compile(r'class="(?:error|flash flash-\w+|error-page)"|role="alert"')
TAG = re.compile(r"<[^>]+>")


#: Where tenant A's newest row of a table cannot take the step: the newest that can.
OWN_OBJECTS = {
    ("institution.assessment.rate", "catalog_item_id"): (
        CatalogItem,
        CatalogItem.kind == ItemKind.INDICATOR,
    ),
    ("public_pages.regulation", "regulation_edition_id"): (
        RegulationEdition,
        RegulationEdition.status == EditionStatus.PUBLISHED,
    ),
    ("public_pages.programme", "monitoring_programme_id"): (
        MonitoringProgramme,
        MonitoringProgramme.status == ProgrammeStatus.PUBLISHED,
    ),
}
#: Pages that answer every example here with 404, by design: the world's only cycle is
#: not published; these two forms name the object they act on (an offer, an option and
#: an indicator) and 404 is how they refuse a form naming none of the tenant's.
ONLY_404 = {
    "public_pages.cycle",
    "institution.surveys.take_offer",
    "institution.surveys.link_option_indicator",
}


# --- what to send ---------------------------------------------------------------


def _form_classes():
    """Every WTForms form class in dozq/*/forms.py and dozq/web/forms.py."""
    seen = set()
    for package in pkgutil.iter_modules(dozq.__path__):
        try:
            module = importlib.import_module(f"dozq.{package.name}.forms")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, wtforms.Form) and value not in seen:
                seen.add(value)
                yield value


def _unbound_fields(form_class):
    for name, value in inspect.getmembers(form_class):
        if isinstance(value, UnboundField):
            yield name, value


def _names_of(form_class, prefix: str = ""):
    """Field names as a browser sends them: prefixed, FieldList entries numbered."""
    own = getattr(form_class, "default_prefix", "") or ""
    prefix = f"{prefix}{own}-" if own else prefix
    for name, unbound in _unbound_fields(form_class):
        yield prefix + name
        if issubclass(unbound.field_class, wtforms.FieldList):
            inner = unbound.args[0] if unbound.args else unbound.kwargs.get("unbound_field")
            for index in (0, 1, 7):
                yield f"{prefix}{name}-{index}"
                if inner is not None and issubclass(inner.field_class, wtforms.FormField):
                    sub_form = inner.args[0] if inner.args else inner.kwargs["form_class"]
                    for sub_name, _ in _unbound_fields(sub_form):
                        yield f"{prefix}{name}-{index}-{sub_name}"


def _choice_values(form_class):
    """The fixed choices forms offer, so that some examples pass the field checks."""
    for _name, unbound in _unbound_fields(form_class):
        options = unbound.kwargs.get("choices")
        if isinstance(options, list | tuple):
            for option in options:
                value = option[0] if isinstance(option, list | tuple) else option
                yield str(getattr(value, "value", value))


FORMS = list(_form_classes())
FILE_FORMS = {
    form.__name__
    for form in FORMS
    if any(
        issubclass(u.field_class, FileField | MultipleFileField) for _, u in _unbound_fields(form)
    )
}
BASE_NAMES = sorted({name for form in FORMS for name, _ in _unbound_fields(form)})
FIELD_NAMES = sorted(
    {name for form in FORMS for name in _names_of(form)}
    # Forms that share a page get a prefix where the view makes them (the account page).
    | {f"{prefix}-{name}" for prefix in ("profile", "password") for name in BASE_NAMES}
    | {"csrf_token", "version", "", "x" * 300, "ім'я поля", "q", "id", "next", "__proto__", "a[]"}
)
FILE_FIELD_NAMES = sorted(
    {
        name
        for form in FORMS
        for name, unbound in _unbound_fields(form)
        if issubclass(unbound.field_class, FileField | MultipleFileField)
    }
    | {"upload", "file[]"}
)
CHOICES = sorted({value for form in FORMS for value in _choice_values(form)})

HUGE_TEXTS = [("Дуже довгий текст " * 6000)[:100_000], "x" * 100_000, "1" * 100_000]
TODAY = date.today()
HOSTILE_TEXT = [
    "",
    " ",
    "\t\n \r\n",
    "\u202eтекст справа наліво\u202c",
    "\u200f\u200e\u200b",
    "нуль\x00байт",
    "\x00",
    "\x01\x02\x7f",
    "🧸👶🏽‍",
    "<script>alert('КАНАРКА')</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}",
    "' OR 1=1 --",
    "'; DROP TABLE users; --",
    "%_\\",
    "Дитячий садок «Сонечко»",
    "teacher.a@test.example.com",
    "new.person@test.example.com",
    "not an email@",
    factories.TEST_PASSWORD,
    "Новий-пароль-2025!",
    "https://example.com/путь",
    "javascript:alert(1)",
    "y",
    "on",
    "true",
    "false",
]
HOSTILE_NUMBERS = [
    "-1",
    "0",
    "1",
    "2",
    "3",
    "4",
    "5",
    "12",
    "2025",
    "-2147483649",
    "2147483648",
    "9" * 40,
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "3,5",
    "3.5",
    "0x10",
    "１２",
    "٣",
]
HOSTILE_DATES = [
    TODAY.isoformat(),
    (TODAY + timedelta(days=30)).isoformat(),
    (TODAY - timedelta(days=400)).isoformat(),
    "2025-02-30",
    "2025-13-01",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "31.12.2025",
    "2025-1-1",
    "2025/09/01",
    "2025-09-01T10:00",
    f"{TODAY.year}-{TODAY.year + 1}",
    "2025-2024",
]

VALUES = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_DATES),
    st.sampled_from(CHOICES),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
)
FILE_NAMES = [
    "../../../etc/passwd",
    "..\\..\\evil.docx",
    "фото групи.png",
    "документ.docx",
    "каталог.xlsx",
    "каталог.csv",
    "протокол.pdf",
    "",
    ".docx",
    "x" * 300 + ".pdf",
    "нуль\x00.png",
    "script<>.html",
]


def _file_contents():
    return st.one_of(
        st.binary(max_size=2048),
        st.just(factories.tiny_png()),
        st.just(b"PK\x03\x04" + b"\x00" * 40),
        st.just("Код;Текст\n1;Напрям\n1.1;Вимога\n".encode()),
        st.just(b""),
    )


@dataclass
class Route:
    endpoint: str
    method: str
    #: ``anonymous`` or the Role value of the actor who may use the page.
    actor: str = "anonymous"
    takes_files: bool = False

    @property
    def id(self):
        return f"{self.method} {self.endpoint}"


def _takes_files(view) -> bool:
    """A page whose module works with a form that has a file field (or with raw files)."""
    module = inspect.getmodule(inspect.unwrap(view))
    source = inspect.getsource(module)
    return "request.files" in source or any(
        re.search(rf"\b{name}\b", source) for name in FILE_FORMS
    )


def _actor_for(allowed) -> str:
    if allowed == PUBLIC:
        return "anonymous"
    if allowed == SIGNED_IN:
        return Role.TEACHER.value
    for role in (*ROLE_PREFERENCE, Role.FOUNDER_ADMIN, Role.PLATFORM_ADMIN):
        if role in allowed:
            return role.value
    raise LookupError(allowed)


def _routes():
    """The rules to throw at, known before any fixture runs (for the test ids)."""
    app = dozq.create_app(
        {"TESTING": True, "SECRET_KEY": "routes-only", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    logout = next(app.url_map.iter_rules("auth.logout"))
    routes = []
    for rule, method in [*tenant_rules(app), (logout, "POST")]:
        view = app.view_functions[rule.endpoint]
        allowed = view.allowed_roles
        if method not in STATE_CHANGING and allowed != PUBLIC:
            continue
        routes.append(Route(rule.endpoint, method, _actor_for(allowed), _takes_files(view)))
    return routes


ROUTES = _routes()


# --- the world, built once and restored for every route -------------------------


@dataclass
class Stage:
    """The test world of this module, kept as a copy of the SQLite database:
    building it takes seconds, restoring it a few milliseconds."""

    world: factories.World
    snapshot: str
    tokens: dict[str, str]
    extra_names: dict[str, list[str]]


def _database_path(app) -> str:
    return make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database


def _copy_database(source: str, target: str) -> None:
    """SQLite's online backup: consistent whatever the write-ahead log holds."""
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()


def _real_tokens(app, world) -> dict[str, str]:
    """A valid token of tenant A for each public page that takes one."""
    tokens = {}
    with in_tenant(app, world.a):
        tokens["survey_public.link_form"] = db.session.scalar(
            select(SurveyLink.token).order_by(SurveyLink.id.desc()).limit(1)
        )
        tokens["survey_public.code_form"] = db.session.scalar(
            select(SurveyCode.code).where(SurveyCode.spent.is_(False)).limit(1)
        )
        tokens["regulation_public.propose"] = db.session.scalar(
            select(RegulationEdition.discussion_token)
            .where(RegulationEdition.discussion_token.is_not(None))
            .order_by(RegulationEdition.id.desc())
            .limit(1)
        )
        invitation = db.session.scalar(select(Invitation).order_by(Invitation.id.desc()).limit(1))
        with app.test_request_context():
            tokens["auth.accept_invitation"] = urlsplit(invitation_link(invitation)).path.split(
                "/"
            )[-1]
    with app.app_context():
        sent = app.extensions.setdefault("dozq.sent_mail", [])
        sent.clear()
        with app.test_request_context():
            request_password_reset("teacher.a@test.example.com")
        db.session.rollback()
        link = re.search(r"https?://\S+", sent[-1]["body"]).group(0)
        tokens["auth.reset_password"] = urlsplit(link).path.split("/")[-1]
        sent.clear()
    tokens["survey_public.link_thanks"] = tokens["survey_public.link_form"]
    tokens["survey_public.code_thanks"] = tokens["survey_public.code_form"]
    tokens["regulation_public.discussion"] = tokens["regulation_public.propose"]
    assert all(tokens.values()), tokens
    return tokens


@pytest.fixture(scope="module")
def stage(app, backend, tmp_path_factory):
    if backend != "sqlite":
        pytest.skip("SQLite only: PostgreSQL would double a long test (see the module doc)")
    with app.app_context():
        world = factories.build_world()
    with in_tenant(app, world.a):
        questions = [f"q{id_}" for id_ in db.session.scalars(select(SurveyQuestion.id))]
    tokens = _real_tokens(app, world)
    with app.app_context():
        db.engine.dispose()
    snapshot = str(tmp_path_factory.mktemp("robustness") / "world.sqlite")
    _copy_database(_database_path(app), snapshot)
    extra = {
        endpoint: questions for endpoint in ("survey_public.link_form", "survey_public.code_form")
    }
    return Stage(world, snapshot, tokens, extra)


def _without_fsync(dbapi_connection, connection_record, connection_proxy):
    # 35 000 requests, thousands of commits: waiting for the disk at each one would be
    # most of this module's time; what is tested here does not depend on it.
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture
def staged(app, stage):
    """The world as it was built, whatever the previous route did to it."""
    with app.app_context():
        db.engine.dispose()
        engine = db.engine
    _copy_database(stage.snapshot, _database_path(app))
    survey_limiter.reset()
    regulation_public.limiter.reset()
    event.listen(engine, "checkout", _without_fsync)
    try:
        yield stage
    finally:
        event.remove(engine, "checkout", _without_fsync)


# --- the requests ----------------------------------------------------------------


def _actor_user(world, actor: str) -> int | None:
    if actor == "anonymous":
        return None
    if actor == Role.PLATFORM_ADMIN.value:
        return world.platform_admin_id
    if actor == Role.FOUNDER_ADMIN.value:
        return world.a.founder_admin_id
    return world.a.users[Role(actor)]


def _url(app, stage, rule) -> str:
    """Tenant A's own objects in the URL; a real token where the world has one."""
    values = {}
    for name in rule.arguments - {"token"}:
        if (special := OWN_OBJECTS.get((rule.endpoint, name))) is not None:
            model, condition = special
            query = select(model.id).where(condition).order_by(model.id.desc()).limit(1)
            with in_tenant(app, stage.world.a):
                values[name] = db.session.scalar(query)
        else:
            with app.app_context():
                values[name] = object_of(stage.world.a, name)
    if "token" in rule.arguments:
        values["token"] = stage.tokens.get(rule.endpoint, "not-a-valid-token")
    return build_url(app, rule, values)


def _names_for(route, url, stage):
    """The forms' field names; one draw in four, the names a page gives its fields
    after its objects: ``c<id>-…`` (a form per comment or per component on one page)
    and a questionnaire's ``q<question id>``."""
    object_ids = [part for part in url.split("/") if part.isdigit()]
    named = [f"c{id_}-{name}" for id_ in object_ids for name in BASE_NAMES]
    named += stage.extra_names.get(route.endpoint, [])
    forms = st.sampled_from(FIELD_NAMES)
    return st.one_of(forms, forms, forms, st.sampled_from(named)) if named else forms


@st.composite
def requests(draw, names, takes_files: bool, in_url: bool):
    form = MultiDict()
    for name in draw(st.lists(names, max_size=10)):
        for value in draw(st.lists(VALUES, min_size=1, max_size=3)):
            form.add(name, value)
    # A 100 kB text in one field of one example in eight. Percent-decoding 100 kB of
    # Cyrillic takes Werkzeug ~0.1 s, so such a body goes as multipart/form-data (as a
    # form with a file field sends it); in a URL, 8 kB: a reverse proxy refuses more.
    multipart = False
    if draw(st.integers(0, 7)) == 0:
        huge = draw(st.sampled_from(HUGE_TEXTS))
        form.add(draw(names), huge[:8000] if in_url else huge)
        multipart = not huge.isascii()
    if takes_files and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            name = draw(st.sampled_from(FILE_FIELD_NAMES))
            content = draw(_file_contents())
            filename = draw(st.sampled_from(FILE_NAMES))
            form.add(name, FileStorage(io.BytesIO(content), filename=filename))
    headers = {"HX-Request": "true"} if draw(st.booleans()) else {}
    return Sent(form, headers, multipart)


@dataclass
class Sent:
    """One request's form and headers; shown shortened when an example fails."""

    form: MultiDict
    headers: dict
    multipart: bool = False

    def __repr__(self):
        return self._text()

    def _repr_pretty_(self, printer, cycle):  # how Hypothesis prints a failing example
        printer.text(self._text())

    def _text(self):
        def short(value):
            if isinstance(value, FileStorage):
                return f"<file {value.filename!r}>"
            text = repr(value)
            return text if len(text) <= 80 else f"{text[:60]}…({len(value)} chars)"

        fields = ", ".join(
            f"{name!r}: {short(value)}" for name, value in self.form.items(multi=True)
        )
        return f"Sent({{{fields}}}, headers={self.headers})"


def _main_text(body: str) -> str:
    main = body[body.find("<main") :] if "<main" in body else body
    return " ".join(TAG.sub(" ", main).split())[:400]


def _explains_in_ukrainian(body: str) -> bool:
    for marker in ERROR_MARKERS.finditer(body):
        text = TAG.sub(" ", body[marker.end() : marker.end() + 600])
        if CYRILLIC.search(text):
            return True
    return False


@pytest.mark.parametrize("route", ROUTES, ids=[route.id for route in ROUTES])
def test_hostile_input_is_refused_cleanly(app, staged, route):
    rule = next(r for r in app.url_map.iter_rules(route.endpoint))
    url = _url(app, staged, rule)
    names = _names_for(route, url, staged)
    client = app.test_client()
    user_id = _actor_user(staged.world, route.actor)

    def sign_in():
        if user_id is not None:
            sign_in_as(app, client, user_id)

    sign_in()
    seen = {"examples": 0, "statuses": {}, "unwritten": 0, "fingerprinted": 0}
    watcher = sqlite3.connect(_database_path(app))
    cached = {"version": None, "fingerprint": None}

    def data_version() -> int:
        """Changes whenever another connection commits: the app's, here."""
        return watcher.execute("PRAGMA data_version").fetchone()[0]

    def fingerprint_now() -> str:
        version = data_version()
        if cached["version"] != version:
            with app.app_context():
                cached["fingerprint"] = database_fingerprint()
            cached["version"] = version
        return cached["fingerprint"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(request=requests(names, route.takes_files, route.method == "GET"))
    def check(request):
        form, headers = request.form, request.headers
        encoding = {"content_type": "multipart/form-data"} if request.multipart else {}
        seen["examples"] += 1
        # No partial write: a refused request commits nothing (SQLite's data_version
        # stays, a PRAGMA away: checked for every refusal), or, where something was
        # committed (a failed login is counted, a session touched), the fingerprint of
        # test_isolation is the same before and after. A fingerprint reads every table
        # (~50 ms), so it is taken before one example in ten only, and again only when
        # the database changed since the last one.
        sampled = seen["examples"] % 10 == 1
        before_version = data_version()
        before = fingerprint_now() if sampled else None
        if route.method == "GET":
            response = client.get(url, query_string=form, headers=headers)
        else:
            response = client.open(url, method=route.method, data=form, headers=headers, **encoding)
        status = response.status_code
        signed_out = status == 302 and "/login" in response.headers.get("Location", "")
        key = "to sign-in" if signed_out else status
        seen["statuses"][key] = seen["statuses"].get(key, 0) + 1
        assert status < 500, status
        if status == 422:
            body = response.get_data(as_text=True)
            assert _explains_in_ukrainian(body), f"a 422 without a message: {_main_text(body)}"
        if status in REFUSALS:
            if data_version() == before_version:
                seen["unwritten"] += 1
            elif sampled:
                seen["fingerprinted"] += 1
                assert fingerprint_now() == before, f"{status} after a partial write"
        if signed_out:
            sign_in()  # the page ended the actor's session (a password change, signing out)

    try:
        check()
    finally:
        watcher.close()
    assert seen["examples"] >= EXAMPLES
    # The page itself answered (not the sign-in, role or tenant checks before it).
    turned_away = {"to sign-in", 401, 403, 404, 405}
    reached = set(seen["statuses"]) - turned_away
    assert reached or route.endpoint in ONLY_404, f"never reached the form: {seen['statuses']}"
