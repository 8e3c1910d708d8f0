"""Signing in and out, sessions that can be ended, invitations, resets, throttling."""

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from dozq.auth.models import User, UserSession
from dozq.db import db, utcnow
from dozq.tenancy.models import Institution, Membership, Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import TEST_PASSWORD, login, sign_in_as

DIRECTOR_A = "director.a@test.example.com"


def link_in(mail: dict) -> str:
    return re.search(r"http://\S+", mail["body"]).group(0).removeprefix("http://localhost")


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_login_renews_the_session_and_opens_the_workplace(client, world):
    client.get("/login")
    before = session_cookie(client)
    response = login(client, DIRECTOR_A)
    assert response.status_code == 303
    assert session_cookie(client) != before
    assert client.get("/").headers["Location"] == "/i/zdo-a/"
    page = client.get("/i/zdo-a/").get_data(as_text=True)
    assert "ЗДО «Альфа»" in page and "керівник закладу" in page


def test_wrong_password_is_refused_in_ukrainian(client, world):
    response = login(client, DIRECTOR_A, "не-той-пароль")
    assert response.status_code == 422
    assert "Неправильна адреса електронної пошти або пароль." in response.get_data(as_text=True)
    assert client.get("/i/zdo-a/").status_code == 302


def test_ten_failures_throttle_the_account_across_app_instances(sibling_app, client, world):
    other_instance: Flask = sibling_app()
    other = other_instance.test_client()
    for attempt in range(10):
        target = client if attempt % 2 else other
        assert login(target, DIRECTOR_A, "не-той-пароль").status_code == 422
    response = login(client, DIRECTOR_A)
    assert response.status_code == 429
    assert "Забагато невдалих спроб" in response.get_data(as_text=True)
    assert login(other, DIRECTOR_A).status_code == 429
    assert login(client, "teacher.a@test.example.com").status_code == 303


def test_logout_kills_the_old_cookie(client, world):
    login(client, DIRECTOR_A)
    stolen = session_cookie(client)
    client.post("/logout")
    client.set_cookie("session", stolen)
    assert client.get("/i/zdo-a/").status_code == 302


def test_password_change_ends_other_sessions(app, world):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, DIRECTOR_A)
    login(laptop, DIRECTOR_A)
    response = laptop.post(
        "/account",
        data={
            "password-current_password": TEST_PASSWORD,
            "password-password": "новий-пароль-2026",
            "password-confirm": "новий-пароль-2026",
            "password-submit": "1",
        },
    )
    assert response.status_code == 303
    assert laptop.get("/i/zdo-a/").status_code == 200
    assert phone.get("/i/zdo-a/").status_code == 302
    assert login(phone, DIRECTOR_A, "новий-пароль-2026").status_code == 303


def test_a_disabled_account_is_signed_out_everywhere(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.get("/i/zdo-a/").status_code == 200
    admin = app.test_client()
    sign_in_as(app, admin, world.platform_admin_id)
    assert admin.post(f"/admin/users/{world.a.users[Role.TEACHER]}/active").status_code == 303
    assert client.get("/i/zdo-a/").status_code == 302
    assert login(client, "teacher.a@test.example.com").status_code == 422


def test_sessions_end_after_30_idle_minutes_and_after_12_hours(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.get("/i/zdo-a/").status_code == 200
    with app.app_context():
        db.session.execute(
            update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        db.session.commit()
    assert client.get("/i/zdo-a/").status_code == 302
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    with app.app_context():
        db.session.execute(
            update(UserSession).values(created_at=utcnow() - timedelta(hours=12, minutes=1))
        )
        db.session.commit()
    assert client.get("/i/zdo-a/").status_code == 302


def test_next_never_leaves_the_site(client, world):
    response = client.post(
        "/login?next=//evil.example.com/", data={"email": DIRECTOR_A, "password": TEST_PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_director_invites_a_teacher_who_sets_a_password(app, client, world, sent_mail):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(
        "/i/zdo-a/staff/invite",
        data={
            "full_name": "Нова Вихователька",
            "email": "Nova@Test.example.com",
            "role": "teacher",
            "position": "вихователь",
        },
    )
    assert response.status_code == 303
    mail = sent_mail[-1]
    assert mail["to"] == "nova@test.example.com"
    link = link_in(mail)
    newcomer = app.test_client()
    page = newcomer.get(link)
    assert page.status_code == 200 and "Установіть пароль" in page.get_data(as_text=True)
    short = newcomer.post(
        link, data={"full_name": "Нова Вихователька", "password": "коротко", "confirm": "коротко"}
    )
    assert short.status_code == 422
    assert "щонайменше 10 символів" in short.get_data(as_text=True)
    done = newcomer.post(
        link,
        data={
            "full_name": "Нова Вихователька",
            "password": "надійний-пароль-1",
            "confirm": "надійний-пароль-1",
        },
    )
    assert done.status_code == 303
    assert newcomer.get("/i/zdo-a/").status_code == 200
    assert app.test_client().get(link).status_code == 404
    with app.app_context():
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={"all_tenants": True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            membership = db.session.scalar(
                select(Membership)
                .join(Membership.user)
                .where(User.email == "nova@test.example.com")
            )
            assert membership.role == Role.TEACHER and membership.position == "вихователь"


def test_a_methodologist_joins_a_second_institution_and_switches(app, client, world, sent_mail):
    director = app.test_client()
    sign_in_as(app, director, world.a2.users[Role.DIRECTOR])
    director.post(
        "/i/zdo-a2/staff/invite",
        data={
            "full_name": "Методист",
            "email": "methodologist.a@test.example.com",
            "role": "methodologist",
        },
    )
    link = link_in(sent_mail[-1])
    assert "Підтвердьте його паролем" in client.get(link).get_data(as_text=True)
    assert client.post(link, data={"password": "не той"}).status_code == 422
    assert client.post(link, data={"password": TEST_PASSWORD}).status_code == 303
    places = client.get("/workplaces").get_data(as_text=True)
    assert "ЗДО «Альфа»" in places and "ЗДО «Альфа друга»" in places
    assert client.get("/i/zdo-a2/").status_code == 200
    assert client.get("/i/zdo-a/").status_code == 200


def test_an_expired_or_tampered_invitation_shows_a_clear_page(app, client, world, sent_mail):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    client.post(
        "/i/zdo-a/staff/invite",
        data={"full_name": "Х", "email": "x@test.example.com", "role": "staff"},
    )
    link = link_in(sent_mail[-1])
    visitor = app.test_client()
    assert visitor.get(link[:-3] + "abc").status_code == 404
    app.config["INVITATION_MAX_AGE"] = timedelta(seconds=-1)
    try:
        page = visitor.get(link)
    finally:
        app.config["INVITATION_MAX_AGE"] = timedelta(days=7)
    assert page.status_code == 404
    assert "Посилання недійсне" in page.get_data(as_text=True)


def test_password_reset_works_once(app, client, world, sent_mail):
    response = client.post("/password/forgot", data={"email": DIRECTOR_A})
    assert response.status_code == 303
    client.post("/password/forgot", data={"email": "nobody@test.example.com"})
    assert len(sent_mail) == 1
    link = link_in(sent_mail[0])
    done = client.post(link, data={"password": "інший-пароль-77", "confirm": "інший-пароль-77"})
    assert done.status_code == 303
    assert app.test_client().get(link).status_code == 404
    assert login(app.test_client(), DIRECTOR_A, "інший-пароль-77").status_code == 303


def test_passwords_are_argon2id(app, client, world):
    login(client, DIRECTOR_A)
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.email == DIRECTOR_A))
    assert stored.startswith("$argon2id$")


def test_create_admin_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "dozq",
            "create-admin",
            "--email",
            "Root@Test.example.com",
            "--name",
            "Адмін",
            "--password",
            "дуже-надійний-пароль",
        ]
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert login(client, "root@test.example.com", "дуже-надійний-пароль").status_code == 303
    assert client.get("/admin/").status_code == 200
    weak = runner.invoke(
        args=[
            "dozq",
            "create-admin",
            "--email",
            "a@test.example.com",
            "--name",
            "А",
            "--password",
            "123",
        ]
    )
    assert weak.exit_code != 0 and "щонайменше" in weak.output
