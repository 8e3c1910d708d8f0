"""Building questionnaires: kinds, reordering with and without htmx, concurrent edits,
indicator links resolved in scope, the library, founders' offers, editions, locks."""

import re

import pytest
from sqlalchemy import func, select

from dozq.catalog import services as catalog_services
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.surveys import library, queries, services
from dozq.surveys.models import (
    QuestionKind,
    Questionnaire,
    QuestionnaireKind,
    SurveyIndicatorLink,
    SurveyOffer,
    SurveyQuestion,
    SurveySection,
    questionnaire_kind,
)
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import sign_in_as
from tests.test_surveys_support import (
    build_questionnaire,
    director,
    generate_answers,
    in_tenant,
    valid_form,
)


def test_the_kind_of_a_questionnaire_follows_its_questions():
    k = QuestionKind
    assert questionnaire_kind([]) is None
    assert questionnaire_kind([k.SCALE, k.SINGLE, k.YES_PARTLY_NO]) is QuestionnaireKind.CLOSED
    assert questionnaire_kind([k.OPEN]) is QuestionnaireKind.OPEN
    assert questionnaire_kind([k.SEMI_CLOSED, k.MULTIPLE]) is QuestionnaireKind.SEMI_CLOSED
    assert questionnaire_kind([k.OPEN, k.MULTIPLE]) is QuestionnaireKind.COMBINED
    assert questionnaire_kind([k.OPEN, k.SEMI_CLOSED]) is QuestionnaireKind.COMBINED


def _question_ids(app, tenant, questionnaire_id):
    with in_tenant(app, tenant):
        return [q.id for q in services.load_structure(questionnaire_id)]


def test_a_methodologist_builds_a_questionnaire(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    created = client.post(
        "/i/zdo-a/surveys/new",
        data={"title": "Анкета про харчування", "audience": "parents", "introduction": "Вітаємо"},
    )
    assert created.status_code == 303
    questionnaire_id = int(re.search(r"/surveys/(\d+)$", created.headers["Location"]).group(1))
    with in_tenant(app, world.a):
        section_id = db.session.scalar(
            select(SurveySection.id).where(SurveySection.questionnaire_id == questionnaire_id)
        )
    url = f"/i/zdo-a/surveys/{questionnaire_id}/questions"
    base = {"section": str(section_id), "required_answer": "y"}
    assert (
        client.post(
            url, data=base | {"kind": "scale", "text": "Оцініть смак", "scale_points": "5"}
        ).status_code
        == 303
    )
    page = client.get(f"/i/zdo-a/surveys/{questionnaire_id}").get_data(as_text=True)
    assert "анкета закритого типу" in page and "Повністю згоден (згодна)" in page
    assert (
        client.post(
            url,
            data=base | {"kind": "semi_closed", "text": "Що їсть дитина?", "options": "Кашу\nСуп"},
        ).status_code
        == 303
    )
    assert "анкета напівзакритого типу" in client.get(
        f"/i/zdo-a/surveys/{questionnaire_id}"
    ).get_data(as_text=True)
    assert (
        client.post(url, data=base | {"kind": "open", "text": "Ваші побажання"}).status_code == 303
    )
    assert (
        client.post(url, data=base | {"kind": "yes_partly_no", "text": "Чи смачно?"}).status_code
        == 303
    )
    page = client.get(f"/i/zdo-a/surveys/{questionnaire_id}").get_data(as_text=True)
    assert "комбінована анкета" in page
    # A choice question needs its options; the error is shown beside the form.
    refused = client.post(url, data=base | {"kind": "single", "text": "Оберіть", "options": "Одне"})
    assert refused.status_code == 422
    assert "Додайте принаймні два варіанти" in refused.get_data(as_text=True)
    htmx = client.post(
        url,
        data=base | {"kind": "multiple", "text": "Що додати?", "options": "Фрукти\nОвочі"},
        headers={"HX-Request": "true"},
    )
    assert htmx.status_code == 200 and "<html" not in htmx.get_data(as_text=True)
    with in_tenant(app, world.a):
        structure = services.load_structure(questionnaire_id)
        assert [q.kind.value for q in structure] == [
            "scale",
            "semi_closed",
            "open",
            "yes_partly_no",
            "multiple",
        ]
        scale, semi = structure[0], structure[1]
        assert [o.value for o in scale.options] == [1, 2, 3, 4, 5]
        assert [o.positive for o in scale.options] == [False, False, False, True, True]
        assert [o.label for o in semi.options][-1] == "Інше (зазначте)" and semi.options[
            -1
        ].is_other
    # Teachers read questionnaires they are asked to share, but do not build them.
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.get(f"/i/zdo-a/surveys/{questionnaire_id}").status_code == 403
    assert client.post(url, data=base | {"kind": "open", "text": "Ні"}).status_code == 403
    listing = client.get("/i/zdo-a/surveys/").get_data(as_text=True)
    assert "Анкета про харчування" not in listing  # a draft is not shown to teachers
    assert "Анкета Альфа" in listing  # the world's published one is


def test_questions_move_with_and_without_javascript(app, client, world):
    built = build_questionnaire(app, world.a, publish=False)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    first, second, *rest = _question_ids(app, world.a, built.questionnaire_id)
    moved = client.post(f"/i/zdo-a/surveys/questions/{second}/move", data={"direction": "up"})
    assert moved.status_code == 303 and moved.headers["Location"].endswith(
        f"/surveys/{built.questionnaire_id}"
    )
    assert _question_ids(app, world.a, built.questionnaire_id)[:2] == [second, first]
    fragment = client.post(
        f"/i/zdo-a/surveys/questions/{second}/move",
        data={"direction": "down"},
        headers={"HX-Request": "true"},
    )
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and 'id="builder"' in body
    assert body.index(f'id="question-{first}"') < body.index(f'id="question-{second}"')
    # The first question cannot go higher; a second section takes the last one down.
    assert (
        client.post(
            f"/i/zdo-a/surveys/questions/{first}/move", data={"direction": "up"}
        ).status_code
        == 303
    )
    assert _question_ids(app, world.a, built.questionnaire_id)[0] == first
    assert (
        client.post(
            f"/i/zdo-a/surveys/{built.questionnaire_id}/sections", data={"title": "Другий розділ"}
        ).status_code
        == 303
    )
    last = rest[-1]
    client.post(f"/i/zdo-a/surveys/questions/{last}/move", data={"direction": "down"})
    with in_tenant(app, world.a):
        question = db.session.get(SurveyQuestion, last)
        assert question.section.title == "Другий розділ"
    assert (
        client.post(
            f"/i/zdo-a/surveys/questions/{last}/move", data={"direction": "sideways"}
        ).status_code
        == 422
    )


def test_concurrent_edits_of_a_question_are_refused(app, client, world):
    built = build_questionnaire(app, world.a, publish=False)
    question_id = built.questions["single"]
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"/i/zdo-a/surveys/questions/{question_id}/edit"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    with in_tenant(app, world.a):
        section_id = db.session.get(SurveyQuestion, question_id).section_id
    form = {
        "text": "Як часто ви бачите вихователя?",
        "section": str(section_id),
        "kind": "single",
        "required_answer": "y",
        "options": "Щодня\nЩотижня\nРідко",
        "scale_points": "4",
        "version": version,
    }
    assert client.post(url, data=form).status_code == 303
    stale = client.post(url, data=form | {"text": "Інша редакція"})
    assert stale.status_code == 409
    assert "змінив інший користувач" in stale.get_data(as_text=True)
    with in_tenant(app, world.a):
        assert db.session.get(SurveyQuestion, question_id).text == "Як часто ви бачите вихователя?"


def test_indicators_are_linked_only_from_the_institutions_catalog(app, client, world):
    built = build_questionnaire(app, world.a, publish=False)
    question_id = built.questions["single"]
    with in_tenant(app, world.a):
        mine = db.session.scalars(
            select(CatalogItem.id)
            .where(CatalogItem.kind == ItemKind.INDICATOR)
            .order_by(CatalogItem.id)
        ).all()
        section_id = db.session.get(SurveyQuestion, question_id).section_id
    with in_tenant(app, world.b):
        theirs = db.session.scalar(
            select(CatalogItem.id).where(CatalogItem.kind == ItemKind.INDICATOR)
        )
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"/i/zdo-a/surveys/questions/{question_id}/edit"

    def form(indicators, version):
        return {
            "text": "Як часто ви спілкуєтеся з вихователем?",
            "section": str(section_id),
            "kind": "single",
            "required_answer": "y",
            "options": "Щодня\nЩотижня\nРідко",
            "scale_points": "4",
            "indicators": [str(value) for value in indicators],
            "version": str(version),
        }

    refused = client.post(url, data=form([mine[0], theirs], 1))
    assert refused.status_code == 422
    assert client.post(url, data=form(mine[:2], 1)).status_code == 303
    with in_tenant(app, world.a):
        linked = db.session.scalars(
            select(SurveyIndicatorLink.catalog_item_id).where(
                SurveyIndicatorLink.question_id == question_id
            )
        ).all()
        option_id = built.options[question_id][0]
    assert sorted(linked) == sorted(mine[:2])
    foreign = client.post(
        f"/i/zdo-a/surveys/questions/{question_id}/option-indicators",
        data={"option_id": str(option_id), "indicator_id": str(theirs)},
    )
    assert foreign.status_code == 404
    ok = client.post(
        f"/i/zdo-a/surveys/questions/{question_id}/option-indicators",
        data={"option_id": str(option_id), "indicator_id": str(mine[0])},
    )
    assert ok.status_code == 303
    with in_tenant(app, world.a):
        count = db.session.scalar(
            select(func.count())
            .select_from(SurveyIndicatorLink)
            .where(SurveyIndicatorLink.question_id == question_id)
        )
    assert count == 3


def test_a_library_questionnaire_is_copied_with_its_indicators(app, client, world):
    with in_tenant(app, world.a):
        catalog_services.adopt(director(world.a), catalog_services.ensure_starter())
        db.session.commit()
        codes = set(
            db.session.scalars(
                select(CatalogItem.code).where(CatalogItem.kind == ItemKind.INDICATOR)
            )
        )
    definition = library.definition("parents_satisfaction")
    wanted = [
        code
        for section in definition["sections"]
        for question in section["questions"]
        for code in question.get("indicators", [])
        if code in codes
    ]
    assert wanted
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    copied = client.post("/i/zdo-a/surveys/library", data={"key": "parents_satisfaction"})
    assert copied.status_code == 303
    questionnaire_id = int(re.search(r"/surveys/(\d+)$", copied.headers["Location"]).group(1))
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, questionnaire_id)
        structure = services.load_structure(questionnaire_id)
        assert questionnaire.library_key == "parents_satisfaction"
        assert len(structure) == sum(len(s["questions"]) for s in definition["sections"])
        assert len(questionnaire.sections) == len(definition["sections"])
        linked = db.session.scalars(
            select(CatalogItem.code)
            .join(SurveyIndicatorLink, SurveyIndicatorLink.catalog_item_id == CatalogItem.id)
            .join(SurveyQuestion, SurveyQuestion.id == SurveyIndicatorLink.question_id)
            .where(SurveyQuestion.questionnaire_id == questionnaire_id)
        ).all()
        assert sorted(linked) == sorted(wanted)
        often = next(q for q in structure if q.text.startswith("Як часто педагоги"))
        assert [o.positive for o in often.options] == [True, True, False, False]
    page = client.get(f"/i/zdo-a/surveys/{questionnaire_id}").get_data(as_text=True)
    assert "комбінована анкета" in page
    assert client.post("/i/zdo-a/surveys/library", data={"key": "no-such"}).status_code == 303


def test_a_founder_offers_a_questionnaire_and_compares_institutions(app, client, world):
    sign_in_as(app, client, world.a.founder_admin_id)
    offered = client.post(
        "/f/founder-a/surveys/", data={"key": "teachers_quality", "note": "До ради"}
    )
    assert offered.status_code == 303
    offer_id = int(offered.headers["Location"].rsplit("/", 1)[1])
    copies = {}
    for tenant in (world.a, world.a2):
        with in_tenant(app, tenant):
            copy = db.session.scalar(
                select(Questionnaire).where(Questionnaire.offer_id == offer_id)
            )
            assert copy is not None and copy.audience.value == "teachers"
            copies[tenant.slug] = copy.id
            # The offered copy keeps its questions: they are the same everywhere.
            section = copy.sections[0]
            try:
                services.add_question(
                    director(tenant), copy, section, services.QuestionSpec(QuestionKind.OPEN, "Ще")
                )
            except services.DomainError as error:
                assert "запропонував засновник" in str(error)
            else:
                raise AssertionError("an offered copy took a new question")
            today = services.today()
            services.publish(director(tenant), copy, today, today)
            db.session.commit()
    with in_tenant(app, world.b):
        assert (
            db.session.scalar(select(Questionnaire).where(Questionnaire.offer_id == offer_id))
            is None
        )
    # Answers: 6 in the first institution (all «Так»), 2 in the second (hidden).
    for tenant, count in ((world.a, 6), (world.a2, 2)):
        with in_tenant(app, tenant):
            questionnaire = db.session.get(Questionnaire, copies[tenant.slug])
            structure = services.load_structure(questionnaire.id)
            for _ in range(count):
                answers = [
                    services.Answer(question, options=[question.options[0]])
                    for question in structure
                    if question.kind is not QuestionKind.OPEN
                ]
                services.store_response(
                    questionnaire,
                    answers,
                    channel=services.Channel.ONLINE,
                    audience=questionnaire.audience,
                    group_id=None,
                )
            db.session.commit()
    with app.app_context():
        institutions = db.session.scalars(
            select(Institution.id)
            .where(Institution.founder_id == world.a.founder_id)
            .execution_options(all_tenants=True)
        ).all()
        with tenant_scope(db.session, Scope.for_founder(world.a.founder_id, institutions)):
            offer = db.session.get(SurveyOffer, offer_id)
            comparison = queries.offer_comparison(offer)
    counts = {item[0]: (item[2], item[3]) for item in comparison.institutions}
    assert counts[world.a.institution_id] == (6, True)  # the complement of a2
    assert counts[world.a2.institution_id] == (2, True)
    first = comparison.questions[0]
    assert first.key == "teachers_quality:1.1"
    assert first.options[0].shares[world.a.institution_id] is None
    page = client.get(f"/f/founder-a/surveys/offers/{offer_id}").get_data(as_text=True)
    assert "Чи знаєте ви порядок дій" in page
    # Institution B's founder sees nothing of it.
    sign_in_as(app, client, world.b.founder_admin_id)
    assert client.get(f"/f/founder-b/surveys/offers/{offer_id}").status_code == 404


def test_answers_lock_the_structure_but_not_the_wording(app, client, world):
    built = build_questionnaire(app, world.a)
    generate_answers(app, world.a, built, 6)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    with in_tenant(app, world.a):
        section_id = db.session.scalar(
            select(SurveySection.id).where(SurveySection.questionnaire_id == built.questionnaire_id)
        )
    added = client.post(
        f"/i/zdo-a/surveys/{built.questionnaire_id}/questions",
        data={"section": str(section_id), "kind": "open", "text": "Нове питання"},
    )
    assert added.status_code == 422 and "нову редакцію" in added.get_data(as_text=True)
    question_id = built.questions["single"]
    url = f"/i/zdo-a/surveys/questions/{question_id}/edit"
    form = {
        "text": "Як часто ви говорите з вихователем?",
        "section": str(section_id),
        "kind": "single",
        "required_answer": "y",
        "options": "Щодня\nЩотижня\nРідко",
        "scale_points": "4",
        "positive": [str(built.options[question_id][0])],
        "version": "1",
    }
    assert client.post(url, data=form | {"options": "Щодня\nЩотижня"}).status_code == 422
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        before = next(
            r
            for r in queries.results(questionnaire, queries.Filters()).questions
            if r.question.id == question_id
        )
    assert client.post(url, data=form).status_code == 303
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        after = next(
            r
            for r in queries.results(questionnaire, queries.Filters()).questions
            if r.question.id == question_id
        )
        assert after.question.text == "Як часто ви говорите з вихователем?"
        # Only «Щодня» is positive now: the tally was recounted.
        assert after.share_positive == after.options[0].share
        assert before.share_positive == pytest.approx(
            before.options[0].share + before.options[1].share
        )
    deleted = client.post(f"/i/zdo-a/surveys/{built.questionnaire_id}/delete")
    assert deleted.status_code == 422
    assert client.get(f"/s/{built.token}").status_code == 200
    assert valid_form(built)


def test_a_draft_is_deleted_and_settings_change(app, client, world):
    built = build_questionnaire(app, world.a, publish=False)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    url = f"/i/zdo-a/surveys/{built.questionnaire_id}/settings"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    saved = client.post(
        url,
        data={
            "title": "Нова назва",
            "audience": "parents",
            "introduction": "",
            "min_group_size": "7",
            "expected_respondents": "120",
            "version": version,
        },
    )
    assert saved.status_code == 303
    too_small = client.post(
        url, data={"title": "Х", "audience": "parents", "min_group_size": "1", "version": "9"}
    )
    assert too_small.status_code == 422
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        assert (
            questionnaire.title,
            questionnaire.min_group_size,
            questionnaire.expected_respondents,
        ) == ("Нова назва", 7, 120)
    assert client.post(f"/i/zdo-a/surveys/{built.questionnaire_id}/delete").status_code == 303
    with in_tenant(app, world.a):
        assert db.session.get(Questionnaire, built.questionnaire_id) is None


def test_groups_are_managed_and_kept_while_used(app, client, world):
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    assert (
        client.post(
            "/i/zdo-a/surveys/groups", data={"name": "Сонечко", "expected_respondents": "22"}
        ).status_code
        == 303
    )
    duplicate = client.post("/i/zdo-a/surveys/groups", data={"name": "Сонечко"})
    assert duplicate.status_code == 422 and "вже є" in duplicate.get_data(as_text=True)
    page = client.get("/i/zdo-a/surveys/groups").get_data(as_text=True)
    assert "Сонечко" in page and "22" in page
    built = build_questionnaire(app, world.a, groups=1)
    used = client.post(f"/i/zdo-a/surveys/groups/{built.groups[0]}/delete")
    assert used.status_code == 422
