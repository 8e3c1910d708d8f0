"""Collecting answers: public links and their states, one answer per browser, retries,
single-use codes, floods, the phone form's errors, paper questionnaires, anonymity."""

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text

from dozq.db import db
from dozq.surveys import services
from dozq.surveys.models import (
    Questionnaire,
    SurveyAnswer,
    SurveyCode,
    SurveyGroup,
    SurveyLink,
    SurveyResponse,
    SurveyTally,
)
from dozq.tenancy.models import Role
from tests.factories import sign_in_as
from tests.test_surveys_support import (
    build_questionnaire,
    director,
    in_tenant,
    reset_limits,
    response_count,
    valid_form,
)


@pytest.fixture(autouse=True)
def _fresh_limits():
    reset_limits()
    yield
    reset_limits()


def test_a_parent_opens_the_link_answers_and_is_thanked(app, client, world):
    built = build_questionnaire(app, world.a)
    before = response_count(app, world.a)
    page = client.get(f"/s/{built.token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Анкета для перевірки" in body and "Питання 1 з 6" in body
    assert "анонімна" in body and page.headers["Cache-Control"] == "no-store"
    response = client.post(f"/s/{built.token}", data=valid_form(built, key="k" * 20))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{built.token}/thanks")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Дякуємо за відповіді" in thanks
    assert response_count(app, world.a) == before + 1
    with in_tenant(app, world.a):
        stored = db.session.scalars(
            select(SurveyResponse).where(SurveyResponse.questionnaire_id == built.questionnaire_id)
        ).one()
        assert stored.channel.value == "online" and stored.group_id is None
        assert stored.submitted_on == services.today()
        total = db.session.scalar(
            select(func.sum(SurveyTally.count)).where(
                SurveyTally.questionnaire_id == built.questionnaire_id, SurveyTally.question_id == 0
            )
        )
        assert total == 1


def test_the_same_browser_cannot_answer_twice(app, client, world):
    built = build_questionnaire(app, world.a)
    assert client.post(f"/s/{built.token}", data=valid_form(built)).status_code == 303
    again = client.get(f"/s/{built.token}")
    assert again.status_code == 409
    assert "Ви вже відповіли на цю анкету" in again.get_data(as_text=True)
    assert client.post(f"/s/{built.token}", data=valid_form(built)).status_code == 409
    assert response_count(app, world.a) == 2  # the world's own response + this one
    # A forged cookie is no proof of an answer.
    other = app.test_client()
    other.set_cookie(f"dozq_answered_{built.questionnaire_id}", "forged", path="/s/")
    assert other.get(f"/s/{built.token}").status_code == 200


def test_a_retried_form_is_stored_once(app, world):
    built = build_questionnaire(app, world.a)
    form = valid_form(built, key="retry-key-0123456789")
    for _ in range(3):
        # Each retry comes without the cookie (the first answer never arrived).
        assert app.test_client().post(f"/s/{built.token}", data=form).status_code == 303
    assert response_count(app, world.a) == 2


@pytest.mark.parametrize(
    ("opens", "closes", "status", "words"),
    [
        (5, 10, 404, "Опитування ще не розпочалося"),
        (-10, -1, 410, "Опитування завершено"),
    ],
)
def test_a_link_outside_its_dates_answers_with_a_clear_page(
    app, client, world, opens, closes, status, words
):
    today = services.today()
    built = build_questionnaire(
        app, world.a, opens=today + timedelta(days=opens), closes=today + timedelta(days=closes)
    )
    for method in ("get", "post"):
        response = getattr(client, method)(f"/s/{built.token}", data=valid_form(built))
        assert response.status_code == status
        assert words in response.get_data(as_text=True)
    assert response_count(app, world.a) == 1


def test_unknown_draft_and_switched_off_links(app, client, world):
    for token in ("no-such-token", "x" * 500, "%00"):
        response = client.get(f"/s/{token}")
        assert response.status_code == 404
        assert "Анкету не знайдено" in response.get_data(as_text=True)
    built = build_questionnaire(app, world.a)
    with in_tenant(app, world.a):
        link = db.session.scalar(select(SurveyLink).where(SurveyLink.token == built.token))
        services.deactivate_link(director(world.a), link)
        db.session.commit()
    response = client.post(f"/s/{built.token}", data=valid_form(built))
    assert response.status_code == 410
    assert "Посилання більше не діє" in response.get_data(as_text=True)


def test_a_token_opens_only_its_own_questionnaire(app, client, world):
    mine = build_questionnaire(app, world.a, title="Анкета А")
    theirs = build_questionnaire(app, world.b, title="Анкета Б")
    page = client.get(f"/s/{mine.token}").get_data(as_text=True)
    assert "Анкета А" in page and "Анкета Б" not in page
    # Answers naming the other questionnaire's questions and options are refused.
    response = client.post(f"/s/{mine.token}", data=valid_form(theirs))
    assert response.status_code == 422
    assert "поля, яких немає в цій анкеті" in response.get_data(as_text=True)
    mixed = valid_form(mine)
    scale = mine.questions["scale"]
    mixed[f"q{scale}"] = str(theirs.options[theirs.questions["scale"]][0])
    response = client.post(f"/s/{mine.token}", data=mixed)
    assert response.status_code == 422
    assert "Оберіть один із запропонованих варіантів" in response.get_data(as_text=True)
    assert response_count(app, world.a) == 1 and response_count(app, world.b) == 1


def test_a_missing_answer_keeps_everything_entered(app, client, world):
    built = build_questionnaire(app, world.a)
    form = valid_form(built)
    scale = built.questions["scale"]
    del form[f"q{scale}"]
    form[f"q{built.questions['open']}"] = "Мій довгий коментар"
    chosen = form[f"q{built.questions['multiple']}"]
    response = client.post(f"/s/{built.token}", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="q{scale}-error"' in body and "Дайте відповідь на це питання." in body
    assert "Мій довгий коментар" in body
    for option_id in chosen:
        assert f'value="{option_id}" checked' in body
    assert f'href="#question-{scale}"' in body
    assert response_count(app, world.a) == 1


def test_an_other_answer_needs_its_words(app, client, world):
    built = build_questionnaire(app, world.a)
    semi = built.questions["semi_closed"]
    form = valid_form(built)
    form[f"q{semi}"] = str(built.options[semi][-1])
    form.pop(f"q{semi}_other", None)
    response = client.post(f"/s/{built.token}", data=form)
    assert response.status_code == 422
    assert "Напишіть свою відповідь у полі «інше»" in response.get_data(as_text=True)
    # Words in the «інше» field alone choose «інше».
    form.pop(f"q{semi}")
    form[f"q{semi}_other"] = "Від бабусі"
    assert client.post(f"/s/{built.token}", data=form).status_code == 303
    with in_tenant(app, world.a):
        texts = db.session.scalars(
            select(SurveyAnswer.text).where(SurveyAnswer.question_id == semi)
        ).all()
    assert texts == ["Від бабусі"]


def test_single_use_codes_allow_exactly_one_answer_each(app, world):
    built = build_questionnaire(app, world.a, groups=1)
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        group = db.session.get(SurveyGroup, built.groups[0])
        services.generate_codes(director(world.a), questionnaire, 3, group)
        db.session.commit()
        codes = db.session.scalars(
            select(SurveyCode.code).where(SurveyCode.questionnaire_id == built.questionnaire_id)
        ).all()
    assert len(codes) == 3 and all(any(char.isdigit() for char in code) for code in codes)
    code = codes[0]
    printed = services.format_code(code)
    client = app.test_client()
    assert client.get(f"/c/{printed.lower()}").status_code == 200  # typed by hand
    first = client.post(f"/c/{code}", data=valid_form(built))
    assert first.status_code == 303 and first.headers["Location"].endswith(f"/c/{code}/thanks")
    assert "Дякуємо" in client.get(first.headers["Location"]).get_data(as_text=True)
    second = app.test_client().post(f"/c/{code}", data=valid_form(built))
    assert second.status_code == 410
    assert "Цей код уже використано" in second.get_data(as_text=True)
    assert app.test_client().get(f"/c/{code}").status_code == 410
    # The same browser may use another family's code (codes, not cookies, count).
    assert client.post(f"/c/{codes[1]}", data=valid_form(built)).status_code == 303
    assert app.test_client().get("/c/NOTACODE12").status_code == 404
    entry = app.test_client().get("/c/", query_string={"code": printed.lower()})
    assert entry.status_code == 303 and entry.headers["Location"].endswith(f"/c/{code}")
    assert app.test_client().get("/c/", query_string={"code": "коротко"}).status_code == 422
    with in_tenant(app, world.a):
        responses = db.session.scalars(
            select(SurveyResponse).where(SurveyResponse.questionnaire_id == built.questionnaire_id)
        ).all()
        assert [response.channel.value for response in responses] == ["code", "code"]
        assert {response.group_id for response in responses} == {built.groups[0]}
        spent = db.session.scalars(
            select(SurveyCode.spent).where(SurveyCode.questionnaire_id == built.questionnaire_id)
        ).all()
        assert sorted(spent) == [False, True, True]


def test_nothing_links_a_code_a_person_or_an_address_to_the_answers(app, client, world):
    """Structure: no column of a response or a code could tie them together or to
    someone; data: the address of the request is nowhere in the database."""
    with app.app_context():
        columns = {
            table: {column["name"] for column in inspect(db.engine).get_columns(table)}
            for table in ("survey_response", "survey_answer", "survey_code")
        }
    assert columns["survey_response"] == {
        "id",
        "institution_id",
        "questionnaire_id",
        "submitted_on",
        "school_year",
        "channel",
        "audience",
        "group_id",
        "submission_key",
    }
    assert not {"code_id", "user_id", "ip", "created_at"} & columns["survey_answer"]
    assert columns["survey_code"] == {
        "id",
        "institution_id",
        "questionnaire_id",
        "code",
        "group_id",
        "batch",
        "spent",
    }
    built = build_questionnaire(app, world.a)
    address = "203.0.113.77"
    response = client.post(
        f"/s/{built.token}", data=valid_form(built), environ_base={"REMOTE_ADDR": address}
    )
    assert response.status_code == 303
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(table.select()).all()
            assert address not in repr(rows), table.name


def test_floods_from_one_address_are_refused(app, world):
    built = build_questionnaire(app, world.a)
    app.config["SURVEY_SUBMIT_LIMIT"] = (3, 3600)
    try:
        statuses = [
            app.test_client()
            .post(
                f"/s/{built.token}",
                data=valid_form(built),
                environ_base={"REMOTE_ADDR": "10.1.1.1"},
            )
            .status_code
            for _ in range(5)
        ]
        other = app.test_client().post(
            f"/s/{built.token}", data=valid_form(built), environ_base={"REMOTE_ADDR": "10.1.1.2"}
        )
    finally:
        del app.config["SURVEY_SUBMIT_LIMIT"]
    assert statuses == [303, 303, 303, 429, 429]
    assert other.status_code == 303
    assert response_count(app, world.a) == 1 + 4


def test_staff_enter_paper_questionnaires_through_the_same_form(app, client, world):
    built = build_questionnaire(app, world.a, groups=1)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"/i/zdo-a/surveys/{built.questionnaire_id}/paper"
    page = client.get(url).get_data(as_text=True)
    assert "Зберегти паперову анкету" in page and "Тестова група 1" in page
    form = valid_form(built) | {"_group": str(built.groups[0]), "_audience": "parents"}
    response = client.post(url, data=form)
    assert response.status_code == 303
    incomplete = dict(form)
    del incomplete[f"q{built.questions['single']}"]
    assert client.post(url, data=incomplete).status_code == 422
    with in_tenant(app, world.a):
        responses = db.session.scalars(
            select(SurveyResponse).where(SurveyResponse.questionnaire_id == built.questionnaire_id)
        ).all()
    assert [(r.channel.value, r.group_id) for r in responses] == [("paper", built.groups[0])]
    # A teacher may not, and a foreign group is not found.
    foreign = client.post(url, data=form | {"_group": "999999"})
    assert foreign.status_code == 404
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.post(url, data=form).status_code == 403
    assert response_count(app, world.a) == 2


def test_links_qr_codes_and_code_sheets_for_printing(app, client, world):
    built = build_questionnaire(app, world.a, groups=1)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    base = f"/i/zdo-a/surveys/{built.questionnaire_id}"
    page = client.get(f"{base}/links").get_data(as_text=True)
    assert f"/s/{built.token}" in page and 'role="img"' in page and "style=" not in page
    with in_tenant(app, world.a):
        link_id = db.session.scalar(select(SurveyLink.id).where(SurveyLink.token == built.token))
    svg = client.get(f"/i/zdo-a/surveys/links/{link_id}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data and "attachment" in svg.headers["Content-Disposition"]
    png = client.get(f"/i/zdo-a/surveys/links/{link_id}/qr.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    poster = client.get(f"/i/zdo-a/surveys/links/{link_id}/poster").get_data(as_text=True)
    assert built.token in poster and "QR-код" in poster
    created = client.post(f"{base}/codes", data={"count": "4", "group": str(built.groups[0])})
    assert created.status_code == 303
    sheet = client.get(created.headers["Location"]).get_data(as_text=True)
    assert sheet.count('class="code-card"') == 4 and sheet.count('role="img"') >= 4
    added = client.post(f"{base}/links/new", data={"group": "0", "audience": "medical"})
    assert added.status_code == 303
    with in_tenant(app, world.a):
        audiences = db.session.scalars(
            select(SurveyLink.audience).where(SurveyLink.questionnaire_id == built.questionnaire_id)
        ).all()
    assert sorted(a.value for a in audiences) == ["medical", "parents", "parents"]
    # A teacher shares the links but does not make codes.
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.get(f"{base}/links").status_code == 200
    assert client.post(f"{base}/codes", data={"count": "4", "group": "0"}).status_code == 403


def test_the_public_pages_set_only_the_tenant_of_the_token(app, client, world):
    """The lookup crosses tenants once, in dozq.tenancy; pages then run in that scope."""
    built = build_questionnaire(app, world.b, title="Анкета КАНАРКА-Б")
    body = client.get(f"/s/{built.token}").get_data(as_text=True)
    assert "Анкета КАНАРКА-Б" in body and "ЗДО «Бета" in body
    with app.app_context():
        used = db.session.execute(text("SELECT count(*) FROM survey_response")).scalar()
    assert used == 4  # one per tenant of the world: nothing added by opening the form


def test_a_signed_in_member_answers_without_waiting_for_their_own_session(app, client, world):
    """A staff member (say, a teacher answering the staff questionnaire) whose session
    is due a touch submits at once: the touch runs before the request's transaction."""
    import time

    from sqlalchemy import update

    from dozq.auth.models import UserSession
    from dozq.db import utcnow

    built = build_questionnaire(app, world.a)
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    started = time.monotonic()
    # Pages rendered inside the writing transaction: an unknown link, a refused form.
    assert client.post("/s/not-a-valid-token", data={}).status_code == 404
    assert client.post(f"/s/{built.token}", data={}).status_code == 422
    assert client.post(f"/s/{built.token}", data=valid_form(built)).status_code == 303
    assert time.monotonic() - started < 5
