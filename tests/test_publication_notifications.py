"""Notifications: notify(), the scan of what is due (idempotent), the list page."""

from datetime import date, timedelta

from sqlalchemy import func, select

from dozq.assessment import services as assessment
from dozq.assessment.models import AssessmentCycle
from dozq.auth.models import User
from dozq.db import db
from dozq.publication import notifications
from dozq.publication.models import Notification
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from tests.factories import sign_in_as


def scope_of(institution_id):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def test_scan_is_idempotent_and_mails_when_smtp_is_configured(app, world, sent_mail):
    with app.app_context():
        with scope_of(world.a.institution_id):
            director = db.session.get(User, world.a.users[Role.DIRECTOR])
            cycle = db.session.scalar(select(AssessmentCycle))
            assessment.add_decision(
                director,
                cycle,
                {
                    "what": "Придбати дидактичні ігри",
                    "responsible": "завгосп",
                    "due_on": date.today() + timedelta(days=2),
                },
            )
            db.session.commit()
        app.config["MAIL_SERVER"] = "smtp.example.com"
        try:
            runner = app.test_cli_runner()
            first = runner.invoke(args=["dozq", "notify-due"])
        finally:
            app.config.pop("MAIL_SERVER")
        assert first.exit_code == 0, first.output
        assert "Нових сповіщень:" in first.output
        with scope_of(world.a.institution_id):
            texts = db.session.scalars(
                select(Notification.text).where(
                    Notification.user_id == world.a.users[Role.DIRECTOR]
                )
            ).all()
            assert any("Придбати дидактичні ігри" in text for text in texts)
            # Edition 2 of the world's regulation is under discussion: staff are told.
            teacher = db.session.scalars(
                select(Notification.text).where(Notification.user_id == world.a.users[Role.TEACHER])
            ).all()
            assert any("обговорення" in text for text in teacher)
            before = db.session.scalar(select(func.count(Notification.id)))
        letter = next(mail for mail in sent_mail if "Придбати дидактичні ігри" in mail["body"])
        # The letter's link works outside dozq: the server's address, then the page.
        assert f"{app.config['BASE_URL']}/i/{world.a.slug}/" in letter["body"]
        second = app.test_cli_runner().invoke(args=["dozq", "notify-due"])
        assert "Нових сповіщень: 0" in second.output
        with scope_of(world.a.institution_id):
            assert db.session.scalar(select(func.count(Notification.id))) == before
            # Three days later the deadline has passed: a reminder of its own.
            with app.test_request_context():
                overdue = notifications.scan_due(world.a.slug, date.today() + timedelta(days=3))
            assert overdue >= 1
            texts = db.session.scalars(
                select(Notification.text).where(
                    Notification.user_id == world.a.users[Role.DIRECTOR]
                )
            ).all()
            assert any(text.startswith("Минув строк рішення «Придбати") for text in texts)


def test_list_mark_read_and_foreign_notification(app, client, world):
    with app.app_context(), scope_of(world.a.institution_id):
        teacher = db.session.get(User, world.a.users[Role.TEACHER])
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        (mine,) = notifications.notify([teacher], "Перевірте план", "/i/zdo-a/")
        (theirs,) = notifications.notify([director], "Лише для керівника", "")
        db.session.commit()
        mine_id, theirs_id = mine.id, theirs.id
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    base = f"/i/{world.a.slug}/notifications"
    page = client.get(base + "/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Перевірте план" in text
    assert "Лише для керівника" not in text
    assert client.post(f"{base}/{theirs_id}/read").status_code == 404
    opened = client.post(f"{base}/{mine_id}/read")
    assert opened.status_code == 303 and opened.headers["Location"].endswith("/i/zdo-a/")
    fragment = client.post(f"{base}/read-all", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    with app.app_context(), scope_of(world.a.institution_id):
        assert db.session.get(Notification, mine_id).read_at is not None
        assert db.session.get(Notification, theirs_id).read_at is None
