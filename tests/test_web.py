"""Pages, fragments, headers, error pages and forms that refuse bad input."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from dozq.audit.models import AuditEntry
from dozq.db import db
from dozq.tenancy.models import Founder, Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from dozq.web.filters import date_uk, datetime_uk
from tests.factories import TEST_PASSWORD, sign_in_as


def test_a_visitor_sees_what_dozq_is_and_the_login_form(client):
    page = client.get("/").get_data(as_text=True)
    assert "внутрішня система забезпечення якості освіти" in page
    assert 'action="/login' in page and "Увійти" in page


def test_health_check_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_dates_are_written_as_ukrainians_do():
    assert date_uk(date(2026, 3, 8)) == "08.03.2026"
    assert date_uk(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "01.01.2027"
    assert datetime_uk(datetime(2026, 6, 1, 9, 5, tzinfo=UTC)) == "01.06.2026 12:05"


def test_htmx_gets_the_fragment_and_navigation_the_page(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    page = client.get("/i/zdo-a/profile/edit")
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]
    fragment = client.get("/i/zdo-a/profile/edit", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="profile-form"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    boosted = client.get(
        "/i/zdo-a/profile/edit", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in boosted.get_data(as_text=True)
    restore = client.get(
        "/i/zdo-a/profile/edit",
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in restore.get_data(as_text=True)


def test_security_headers_on_every_response(app, client, world):
    for url in ("/", "/login", "/healthz", "/no-such-page"):
        headers = client.get(url).headers
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.get("/i/zdo-a/").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, world):
    response = client.post(
        "/login", data={"email": "teacher.a@test.example.com", "password": TEST_PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    "url,status,text",
    [("/no-such-page", 404, "Сторінку не знайдено"), ("/logout", 405, "Дія недоступна")],
)
def test_error_pages_are_ukrainian_and_keep_the_layout(client, url, status, text):
    response = client.get(url)
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert text in body and 'class="site-header"' in body


def test_forbidden_page_for_a_role_that_may_not(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    response = client.get("/i/zdo-a/staff")
    assert response.status_code == 403
    assert "Ваша роль не дозволяє цю дію." in response.get_data(as_text=True)


def test_an_htmx_error_is_swapped_into_the_error_region(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    response = client.get("/i/zdo-a/staff", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#htmx-error"
    assert "<html" not in response.get_data(as_text=True)


def test_menu_shows_only_what_the_role_may_open(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    teacher_page = client.get("/i/zdo-a/").get_data(as_text=True)
    assert "Профіль закладу" in teacher_page and "Журнал дій" not in teacher_page
    director = app.test_client()
    sign_in_as(app, director, world.a.users[Role.DIRECTOR])
    assert "Журнал дій" in director.get("/i/zdo-a/").get_data(as_text=True)


def test_csrf_is_required_for_every_state_change(sibling_app, world):
    guarded = sibling_app(WTF_CSRF_ENABLED=True)
    client = guarded.test_client()
    response = client.post(
        "/login", data={"email": "teacher.a@test.example.com", "password": TEST_PASSWORD}
    )
    assert response.status_code == 400
    assert "Сесія форми застаріла" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": "teacher.a@test.example.com", "password": TEST_PASSWORD},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 303
    other = guarded.test_client()
    other.get("/login")
    refused = other.post("/logout", headers={"X-CSRFToken": token})
    assert refused.status_code in (302, 400)


def audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count(AuditEntry.id)).execution_options(all_tenants=True)
        )


def test_profile_edit_refuses_bad_input_in_ukrainian_and_keeps_it(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    before = audit_count(app)
    page = client.get("/i/zdo-a/profile/edit").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/i/zdo-a/profile/edit",
        data={
            "full_name": "",
            "short_name": "Нова назва",
            "kind": "nursery_kindergarten",
            "edrpou": "12ab",
            "website": "sonechko.ua",
            "version": version,
        },
        headers={"HX-Request": "true"},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Заповніть це поле." in body
    assert "Код ЄДРПОУ складається з 8 цифр." in body
    assert "має починатися з http:// або https://" in body
    assert 'value="Нова назва"' in body
    assert audit_count(app) == before
    with app.app_context():
        name = db.session.scalar(
            select(Institution.short_name)
            .where(Institution.id == world.a.institution_id)
            .execution_options(all_tenants=True)
        )
    assert name == "ЗДО «Альфа»"


def test_two_people_editing_the_profile_at_once(app, world):
    director, methodologist = app.test_client(), app.test_client()
    sign_in_as(app, director, world.a.users[Role.DIRECTOR])
    sign_in_as(app, methodologist, world.a.users[Role.METHODOLOGIST])
    form = {
        "full_name": "Повна назва",
        "short_name": "ЗДО «Альфа»",
        "kind": "kindergarten",
        "version": "1",
    }
    first = director.post("/i/zdo-a/profile/edit", data={**form, "phone": "111"})
    assert first.status_code == 303
    second = methodologist.post("/i/zdo-a/profile/edit", data={**form, "phone": "222"})
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "змінив інший користувач" in body and 'value="222"' in body
    assert "111" in director.get("/i/zdo-a/profile").get_data(as_text=True)


def test_founder_creates_an_institution_and_invites_its_director(app, client, world, sent_mail):
    sign_in_as(app, client, world.a.founder_admin_id)
    invalid = client.post("/f/founder-a/institutions/new", data={"short_name": "ЗДО № 9"})
    assert invalid.status_code == 422
    assert "Заповніть це поле." in invalid.get_data(as_text=True)
    created = client.post(
        "/f/founder-a/institutions/new",
        data={
            "full_name": "Заклад дошкільної освіти № 9",
            "short_name": "ЗДО № 9 «Зірочка»",
            "kind": "kindergarten",
            "edrpou": "12345678",
        },
    )
    assert created.status_code == 303
    location = created.headers["Location"]
    assert "ЗДО № 9 «Зірочка»" in client.get(location).get_data(as_text=True)
    invite = client.post(
        location + "/invite", data={"full_name": "Директорка", "email": "zirochka@test.example.com"}
    )
    assert invite.status_code == 303
    assert sent_mail[-1]["to"] == "zirochka@test.example.com"
    with app.app_context():
        institution = db.session.scalar(
            select(Institution)
            .where(Institution.slug == "zdo-9-zirochka")
            .execution_options(all_tenants=True)
        )
        assert institution.founder_id == world.a.founder_id
        with tenant_scope(db.session, Scope.for_founder(world.a.founder_id, (institution.id,))):
            actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"institution.created", "invitation.sent"} <= actions


def test_platform_admin_creates_a_founder_with_clear_errors(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    bad = client.post("/admin/founders/new", data={"name": "Відділ", "slug": "Погана адреса"})
    assert bad.status_code == 422
    assert "Лише малі латинські літери" in bad.get_data(as_text=True)
    taken = client.post("/admin/founders/new", data={"name": "Відділ", "slug": "founder-a"})
    assert "вже зайнята" in taken.get_data(as_text=True)
    ok = client.post(
        "/admin/founders/new", data={"name": "Відділ освіти Нової громади", "slug": "nova"}
    )
    assert ok.status_code == 303
    with app.app_context():
        assert (
            db.session.scalar(select(Founder.name).where(Founder.slug == "nova"))
            == "Відділ освіти Нової громади"
        )


def test_platform_admin_edits_a_founder_and_an_unchanged_save_is_not_logged(app, client, world):
    sign_in_as(app, client, world.platform_admin_id)
    url = f"/admin/founders/{world.a.founder_id}/edit"
    form = client.get(url).get_data(as_text=True)
    assert "founder-a" in form
    details = {"name": "Відділ освіти Першої громади", "slug": "founder-a", "short_name": ""}
    saved = client.post(url, data=details, follow_redirects=True)
    assert "Дані засновника збережено." in saved.get_data(as_text=True)
    unchanged = client.post(url, data=details, follow_redirects=True)
    assert "Змін не було." in unchanged.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Founder, world.a.founder_id).name == details["name"]
        with tenant_scope(db.session, Scope.for_founder(world.a.founder_id, ())):
            actions = db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.action == "founder.updated")
            ).all()
    assert actions == ["founder.updated"]


def test_director_reads_the_audit_log_of_their_institution_only(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    client.post(
        "/i/zdo-a/staff/invite",
        data={"full_name": "Особа", "email": "osoba@test.example.com", "role": "staff"},
    )
    log = client.get("/i/zdo-a/audit/").get_data(as_text=True)
    assert "Запрошено osoba@test.example.com" in log
    assert "invited.b" not in log


def test_the_last_director_cannot_be_removed(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    with app.app_context():
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={"all_tenants": True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            from dozq.tenancy.models import Membership

            own = db.session.scalar(select(Membership.id).where(Membership.role == Role.DIRECTOR))
    response = client.post(
        f"/i/zdo-a/staff/{own}/role", data={"role": "teacher"}, follow_redirects=True
    )
    assert "хоча б один керівник" in response.get_data(as_text=True)
