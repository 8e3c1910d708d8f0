"""Self-assessment pages: full pages and htmx fragments, refused input in Ukrainian
with nothing changed, uploads refused safely, who sees professional development
needs, what the founder sees, and SQL counts that do not grow with the data."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dozq.assessment import services
from dozq.assessment.models import (
    AssessmentCycle,
    CycleStatus,
    Evidence,
    EvidenceAnswer,
    EvidenceFile,
    EvidenceIndicator,
    EvidenceKind,
    FounderRequest,
    ItemAssessment,
    ManagementDecision,
    PedagogicalCouncilMeeting,
)
from dozq.catalog.models import ItemKind
from dozq.db import db
from dozq.files.models import StoredFile
from dozq.quality_system.models import QualityComponent
from dozq.tenancy.models import Role
from tests.factories import CANARY, sign_in_as, tiny_png
from tests.test_assessment_support import (
    TODAY,
    indicators,
    items_of,
    new_cycle,
    person,
    scoped,
    second_teacher,
    started,
    template,
)
from tests.test_isolation import database_fingerprint

HX = {"HX-Request": "true"}


def base(tenant) -> str:
    return f"/i/{tenant.slug}/self-assessment"


def world_cycle(app, tenant) -> dict:
    """Ids of the test world's cycle (at the rating step) and its items."""
    with scoped(app, tenant):
        cycle = db.session.scalar(select(AssessmentCycle).order_by(AssessmentCycle.id))
        evidence = db.session.scalar(select(Evidence).where(Evidence.cycle_id == cycle.id))
        rated = db.session.scalar(
            select(ItemAssessment).where(
                ItemAssessment.cycle_id == cycle.id, ItemAssessment.score.is_not(None)
            )
        )
        return {
            "cycle": cycle.id,
            "indicator": rated.item_id,
            "version": rated.version,
            "requirement": items_of(cycle, ItemKind.REQUIREMENT)[0].id,
            "evidence": evidence.id,
            "decision": db.session.scalar(select(ManagementDecision.id)),
            "meeting": db.session.scalar(select(PedagogicalCouncilMeeting.id)),
            "component": db.session.scalar(select(QualityComponent.id)),
            "template": template().id,
        }


def uploaded_files(app) -> list[Path]:
    return [path for path in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if path.is_file()]


def test_pages_open_whole_and_as_htmx_fragments(app, client, world):
    ids = world_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    root, cycle = base(world.a), f"{base(world.a)}/{ids['cycle']}"
    pages = {
        root + "/": "Самооцінювання",
        cycle: "Стан",
        f"{cycle}/plan": "План самооцінювання",
        f"{cycle}/evidence": "Докази",
        f"{cycle}/results": "Узагальнення результатів",
        f"{cycle}/overview": "Огляд рівнів",
        f"{cycle}/items/{ids['indicator']}": "Індикатор",
        f"{cycle}/items/{ids['indicator']}/proposal": "Пропозиція dozq",
        f"{cycle}/items/{ids['requirement']}": "Висновки робочої групи",
        f"{cycle}/discussion": "Обговорення результатів",
        f"{cycle}/decisions": "Управлінські рішення",
        f"{cycle}/system-review": "Дієвість внутрішньої системи",
        f"{cycle}/summary": "Результати самооцінювання освітніх і управлінських процесів",
        f"{root}/evidence/{ids['evidence']}": "Позначки",
        f"{root}/council": "Засідання педагогічної ради",
        f"{root}/checklists": "Аркуші спостереження",
        f"{root}/development-needs": "Потреби професійного розвитку",
        f"{root}/decisions/{ids['decision']}": "Стан:",
        f"{cycle}/checklists/{ids['template']}/new": "Спостереження за станом освітнього",
    }
    for url, text in pages.items():
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "<html" in body and text in body, url
        assert "HX-Request" in response.headers.get("Vary", ""), url
    fragments = {
        cycle: 'id="cycle-status"',
        f"{cycle}/overview": 'id="matrix"',
        f"{cycle}/evidence?kind=observation": 'id="evidence-list"',
        f"{cycle}/items/{ids['indicator']}": 'id="rating"',
        f"{cycle}/items/{ids['indicator']}/proposal": 'id="proposal"',
        f"{cycle}/items/{ids['requirement']}": 'id="conclusion"',
        f"{root}/decisions/{ids['decision']}": 'id="decision-status"',
    }
    for url, marker in fragments.items():
        response = client.get(url, headers=HX)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "<html" not in body and marker in body, url


def test_the_overview_matrix_shows_levels_as_text_and_colour(app, client, world):
    ids = world_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    body = client.get(f"{base(world.a)}/{ids['cycle']}/overview").get_data(as_text=True)
    # The world's only rated indicator: 3,50 — the second level on the default scale.
    assert "3,50 — другий (достатній)" in body
    assert 'class="level-2"' in body
    assert "не оцінено" in body or "level-none" in body


def test_rating_in_place_with_htmx_and_a_concurrent_edit_answers_409(app, client, world):
    ids = world_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"{base(world.a)}/{ids['cycle']}/items/{ids['indicator']}/rating"
    values = {"score": "3,8", "narrative": "Спостереження", "justification": "Фото"}
    response = client.post(url, data={**values, "version": ids["version"]}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "Бал збережено" in body and "3,80" in body
    # A second person still has the old version open: refused, nothing lost.
    stale = client.post(url, data={**values, "score": "1", "version": ids["version"]}, headers=HX)
    assert stale.status_code == 409
    assert "змінив інший користувач" in stale.get_data(as_text=True)
    with scoped(app, world.a):
        rating = db.session.scalar(
            select(ItemAssessment).where(ItemAssessment.item_id == ids["indicator"])
        )
        assert str(rating.score) == "3.80"
    # Without htmx: a redirect to the indicator's page.
    response = client.post(url, data={**values, "version": ids["version"] + 1})
    assert response.status_code == 303


def test_the_director_starts_a_cycle_the_methodologist_may_not(app, client, world):
    with scoped(app, world.a):
        cycle = new_cycle(world.a)
        services.add_member(person(world.a, Role.DIRECTOR), cycle, {"name": "Голова батьків"})
        db.session.commit()
        cycle_id, version = cycle.id, cycle.version
    url = f"{base(world.a)}/{cycle_id}/transition"
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    with app.app_context():
        before = database_fingerprint()
    response = client.post(url, data={"target": "collecting", "version": version}, headers=HX)
    assert response.status_code == 422
    assert "Розпочати самооцінювання може лише керівник закладу" in response.get_data(as_text=True)
    with app.app_context():
        assert database_fingerprint() == before
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    assert client.post(url, data={"target": "collecting", "version": version}).status_code == 403
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(url, data={"target": "collecting", "version": version}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert "збір інформації" in body
    response = client.post(url, data={"target": "closed", "version": version + 1})
    assert response.status_code == 422
    assert "не можна перевести" in response.get_data(as_text=True)


def collecting_cycle(app, tenant) -> dict:
    with scoped(app, tenant):
        cycle = started(tenant)
        evidence, _warning = services.record_interview(
            person(tenant, Role.TEACHER),
            cycle,
            {
                "interview_kind": "structured",
                "title": "Робота з батьками",
                "occurred_on": TODAY,
                "questions": "Які форми роботи?",
                "indicator_ids": [indicators(cycle)[0].id],
            },
        )
        db.session.commit()
        return {
            "cycle": cycle.id,
            "indicator": indicators(cycle)[0].id,
            "interview": evidence.id,
            "observation_template": template().id,
            "document_template": template("teacher_plans").id,
        }


def test_bad_input_to_every_form_is_refused_in_ukrainian_and_changes_nothing(app, client, world):
    ids = world_cycle(app, world.a)
    open_ids = collecting_cycle(app, world.a)
    with scoped(app, world.a):
        decision_version = db.session.get(ManagementDecision, ids["decision"]).version
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    root = base(world.a)
    rating_cycle, collecting = f"{root}/{ids['cycle']}", f"{root}/{open_ids['cycle']}"
    indicator = open_ids["indicator"]
    cases = [
        (
            f"{root}/new",
            {"title": "", "school_year": "2025", "model_kind": "own", "scope_kind": "all"},
            "Заповніть це поле.",
        ),
        (
            f"{root}/new",
            {
                "title": "Т",
                "school_year": "2025",
                "starts_on": "2026-05-01",
                "ends_on": "2026-01-01",
                "model_kind": "own",
                "scope_kind": "all",
            },
            "Дата завершення не може бути раніше",
        ),
        (
            f"{collecting}/edit",
            {
                "title": "Т",
                "school_year": "дві тисячі",
                "starts_on": "2026-01-01",
                "ends_on": "2026-02-01",
                "model_kind": "own",
                "version": "1",
            },
            "Недійсне ціле число",
        ),
        (
            f"{collecting}/scope",
            {"scope_kind": "items", "version": "1"},
            "Оберіть хоча б один напрям або вимогу.",
        ),
        (
            f"{collecting}/members",
            {"member-group_role": "member"},
            "Оберіть працівника або вкажіть ім’я учасника.",
        ),
        (
            f"{collecting}/methods",
            {"entry-indicator_id": "abc", "entry-method": "observation"},
            "Недійсний варіант",
        ),
        (f"{collecting}/schedule", {"schedule-title": ""}, "Заповніть це поле."),
        (f"{collecting}/transition", {"target": "rating", "version": "2"}, "не можна перевести"),
        (
            f"{collecting}/checklists/{open_ids['observation_template']}/new",
            {"occurred_on": TODAY.isoformat()},
            "Оберіть хоча б один індикатор.",
        ),
        (
            f"{collecting}/checklists/{open_ids['observation_template']}/new",
            {"occurred_on": TODAY.isoformat(), "indicator_ids": str(indicator)},
            "Вкажіть, хто спостерігав",
        ),
        (
            f"{collecting}/checklists/{open_ids['document_template']}/new",
            {"occurred_on": TODAY.isoformat(), "indicator_ids": str(indicator)},
            "Вкажіть, який документ вивчено.",
        ),
        (
            f"{collecting}/interviews/new",
            {
                "interview_kind": "unstructured",
                "title": "Т",
                "occurred_on": TODAY.isoformat(),
                "questions": "Питання?",
                "body": "Відповіді",
                "indicator_ids": str(indicator),
            },
            "підтвердьте, що респондентів повідомлено",
        ),
        (
            f"{collecting}/monitoring/new",
            {
                "monitoring_source": "ngo",
                "occurred_on": TODAY.isoformat(),
                "body": "Р",
                "indicator_ids": str(indicator),
            },
            "Вкажіть, хто проводив моніторинг.",
        ),
        (
            f"{collecting}/evidence/new",
            {"occurred_on": "31.02.2026", "body": "Фото"},
            "Не дійсне значення дати.",
        ),
        (
            f"{collecting}/evidence/new",
            {"occurred_on": TODAY.isoformat(), "body": "Фото", "indicator_ids": "999999"},
            "не є дійсним варіантом",
        ),
        (f"{root}/evidence/{open_ids['interview']}/files", {}, "Оберіть файл."),
        (
            f"{root}/evidence/{open_ids['interview']}/protocol",
            {"protocol-body": "Відповіді"},
            "підтвердьте, що респондентів повідомлено",
        ),
        (
            f"{root}/evidence/{ids['evidence']}/needs",
            {"need-teacher_id": "", "need-need": ""},
            "Опишіть потребу.",
        ),
        (
            f"{rating_cycle}/items/{ids['indicator']}/rating",
            {"score": "чотири", "narrative": "н", "justification": "о", "version": "1"},
            "Введіть число, наприклад 3,5.",
        ),
        (
            f"{rating_cycle}/items/{ids['indicator']}/rating",
            {"score": "9", "narrative": "н", "justification": "о", "version": str(ids["version"])},
            "Бал має бути в межах шкали",
        ),
        (
            f"{rating_cycle}/items/{ids['requirement']}/conclusion",
            {"level_id": "abc", "version": "0"},
            "Недійсний варіант",
        ),
        (
            f"{rating_cycle}/discussion/council",
            {"council-held_on": TODAY.isoformat()},
            "Вкажіть номер протоколу",
        ),
        (f"{rating_cycle}/discussion/link", {"link-meeting_id": "x"}, "Недійсний варіант"),
        (
            f"{rating_cycle}/discussion/other",
            {"other-kind": "parents", "other-held_on": TODAY.isoformat()},
            "Вкажіть учасників обговорення.",
        ),
        (
            f"{root}/council/new",
            {"held_on": "вчора", "protocol_number": "1"},
            "Не дійсне значення дати.",
        ),
        (
            f"{root}/council/{ids['meeting']}/edit",
            {"held_on": TODAY.isoformat(), "protocol_number": "", "version": "1"},
            "Вкажіть номер протоколу",
        ),
        (
            f"{rating_cycle}/decisions",
            {"kind": "priority", "what": "Пріоритет"},
            "Для пріоритетного напряму оберіть напрям.",
        ),
        (
            f"{rating_cycle}/decisions",
            {"kind": "action", "what": ""},
            "Опишіть рішення: що саме буде зроблено.",
        ),
        (
            f"{root}/decisions/{ids['decision']}/status",
            {"status": "done", "version": decision_version},
            "Опишіть, що зроблено, або чому рішення скасовано.",
        ),
        (
            f"{rating_cycle}/founder-requests",
            {"request-topic": "repairs", "request-subject": ""},
            "Вкажіть тему.",
        ),
        (
            f"{rating_cycle}/system-review/{ids['component']}",
            {f"c{ids['component']}-verdict": "partly", f"c{ids['component']}-version": "1"},
            "Опишіть, що виявлено щодо дієвості процедури.",
        ),
        (
            f"{root}/checklists/new",
            {"title": "Мій аркуш", "kind": "observation_other"},
            "Додайте хоча б один пункт",
        ),
        (
            f"{root}/checklists/{ids['template']}/edit",
            {"title": "", "items": "Пункт", "version": "1"},
            "Заповніть це поле.",
        ),
    ]
    for url, data, message in cases:
        with app.app_context():
            before = database_fingerprint()
        response = client.post(url, data=data)
        body = response.get_data(as_text=True)
        with app.app_context():
            after = database_fingerprint()
        assert response.status_code in (409, 422), (url, response.status_code, message)
        assert message in body, (url, message)
        assert before == after, f"{url} changed the database"


def test_refused_uploads_store_nothing(app, client, world):
    ids = collecting_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    url = f"{base(world.a)}/{ids['cycle']}/evidence/new"
    fields = {
        "occurred_on": TODAY.isoformat(),
        "body": "Куточок",
        "indicator_ids": ids["indicator"],
    }

    def counts():
        with scoped(app, world.a):
            return (
                db.session.scalar(select(func.count(Evidence.id))),
                db.session.scalar(select(func.count(StoredFile.id))),
                len(uploaded_files(app)),
            )

    before = counts()
    refused = [
        # Content that is not what the name says.
        [(io.BytesIO(b"<?php system($_GET['x']); ?>"), "фото.png")],
        # A path in the name, and a script inside.
        [(io.BytesIO(b"#!/bin/sh\nrm -rf /"), "../../../../etc/cron.d/evil.jpg")],
        # A good photo and a bad file together: neither is kept.
        [(io.BytesIO(tiny_png()), "добре.png"), (io.BytesIO(b"MZ\x90\x00"), "програма.pdf")],
    ]
    for files in refused:
        response = client.post(url, data={**fields, "files": files})
        body = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Вміст файлу не відповідає дозволеним типам" in body
        assert counts() == before
    # Too large for the request limit.
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    try:
        response = client.post(
            url, data={**fields, "files": [(io.BytesIO(b"\x89PNG" + b"0" * 5_000), "великe.png")]}
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    assert response.status_code == 413
    assert "Розмір файлу або запиту перевищує дозволений" in response.get_data(as_text=True)
    assert counts() == before
    # A real photo with a path in its name is kept under its own name, inside the store.
    response = client.post(
        url, data={**fields, "files": [(io.BytesIO(tiny_png()), "../../../фото куточка.png")]}
    )
    assert response.status_code == 303
    with scoped(app, world.a):
        stored = db.session.scalar(select(StoredFile).order_by(StoredFile.id.desc()))
        assert stored.original_name == "фото куточка.png"
        root = Path(app.config["UPLOAD_FOLDER"]).resolve()
        assert root in (root / stored.storage_key).resolve().parents


def test_a_phone_friendly_form_takes_a_photo(app, client, world):
    ids = collecting_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.STAFF])
    page = client.get(f"{base(world.a)}/evidence/new").get_data(as_text=True)
    assert 'type="file"' in page and 'accept="image/jpeg,image/png' in page
    assert 'name="viewport"' in page
    response = client.post(
        f"{base(world.a)}/{ids['cycle']}/evidence/new",
        data={
            "occurred_on": TODAY.isoformat(),
            "body": "Оновили куточок природи",
            "indicator_ids": ids["indicator"],
            "files": [(io.BytesIO(tiny_png()), "IMG_2041.PNG")],
        },
    )
    assert response.status_code == 303
    evidence_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Оновили куточок природи" in evidence_page and "IMG_2041.png" in evidence_page


def test_development_needs_are_seen_by_the_teacher_director_and_methodologist_only(
    app, client, world
):
    ids = world_cycle(app, world.a)
    with app.app_context():
        other_teacher = second_teacher(world.a)
    need = "Потреба Альфа"  # the test world's need, about world.a's teacher
    evidence_url = f"{base(world.a)}/evidence/{ids['evidence']}"
    needs_url = f"{base(world.a)}/development-needs"
    for user_id, sees in (
        (world.a.users[Role.TEACHER], True),
        (world.a.users[Role.DIRECTOR], True),
        (world.a.users[Role.METHODOLOGIST], True),
        (other_teacher, False),
        (world.a.users[Role.STAFF], False),
    ):
        sign_in_as(app, client, user_id)
        for url in (needs_url, evidence_url):
            body = client.get(url).get_data(as_text=True)
            assert (need in body) is sees, (user_id, url)
    sign_in_as(app, client, other_teacher)
    response = client.post(
        f"{evidence_url}/needs", data={"need-teacher_id": other_teacher, "need-need": "Чужа"}
    )
    assert response.status_code == 403
    with scoped(app, world.a):
        from dozq.assessment import queries

        teacher = person(world.a, Role.TEACHER)
        assert [n.need for n in queries.visible_needs(teacher, Role.TEACHER)] == [need]
        staff = person(world.a, Role.STAFF)
        assert queries.visible_needs(staff, Role.STAFF) == []
        assert len(queries.visible_needs(staff, Role.METHODOLOGIST)) == 1


def test_the_founder_sees_requests_sent_to_it_and_nothing_else(app, client, world):
    ids = world_cycle(app, world.a)
    with scoped(app, world.a):
        cycle = db.session.get(AssessmentCycle, ids["cycle"])
        draft = services.add_founder_request(
            person(world.a, Role.DIRECTOR),
            cycle,
            {"topic": "resources", "subject": "Чернетка-тест", "text": "Ще не надіслано"},
        )
        db.session.commit()
        draft_id = draft.id
        sent = db.session.scalar(select(FounderRequest).where(FounderRequest.sent_at.is_not(None)))
        sent_id, sent_version = sent.id, sent.version
    sign_in_as(app, client, world.a.founder_admin_id)
    listing = client.get(f"/f/{world.a.founder_slug}/requests/").get_data(as_text=True)
    assert "Ремонт Альфа" in listing and "Ремонт Альфа друга" in listing
    assert "Чернетка-тест" not in listing and CANARY not in listing
    assert client.get(f"/f/{world.a.founder_slug}/requests/{draft_id}").status_code == 404
    # The founder has no way into the institution's self-assessment itself.
    assert client.get(f"{base(world.a)}/").status_code == 404
    url = f"/f/{world.a.founder_slug}/requests/{sent_id}"
    response = client.post(url, data={"answer": "", "version": sent_version})
    assert response.status_code == 422 and "Напишіть відповідь закладу." in response.get_data(
        as_text=True
    )
    answered = client.post(url, data={"answer": "Ремонт у червні", "version": sent_version})
    assert answered.status_code == 303
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    decisions = client.get(f"{base(world.a)}/{ids['cycle']}/decisions").get_data(as_text=True)
    assert "Ремонт у червні" in decisions


def _bulk_evidence(cycle, indicator_ids, count, author_id):
    """Rows straight into the tables: a large cycle without the cost of the services."""
    for number in range(count):
        evidence = Evidence(
            cycle_id=cycle.id,
            kind=EvidenceKind.OBSERVATION if number % 2 else EvidenceKind.STAFF_NOTE,
            occurred_on=TODAY - timedelta(days=number % 30),
            title=f"Доказ {number}",
            body="Опис доказу",
            author_id=author_id,
            links=[EvidenceIndicator(indicator_id=indicator_ids[number % len(indicator_ids)])],
            answers=[EvidenceAnswer(position=1, item_text="Пункт", mark=number % 4)],
        )
        db.session.add(evidence)
    db.session.flush()


@pytest.mark.parametrize("page", ["overview", "indicator"])
def test_sql_statements_do_not_grow_with_the_data(app, client, world, count_queries, page):
    ids = world_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    cycle_url = f"{base(world.a)}/{ids['cycle']}"
    url = (
        f"{cycle_url}/overview" if page == "overview" else (f"{cycle_url}/items/{ids['indicator']}")
    )
    client.get(url)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    with scoped(app, world.a):
        cycle = db.session.get(AssessmentCycle, ids["cycle"])
        ids_all = [item.id for item in indicators(cycle)]
        _bulk_evidence(
            cycle,
            ids_all if page == "overview" else [ids["indicator"]],
            300,
            world.a.users[Role.TEACHER],
        )
        evidence_ids = db.session.scalars(select(Evidence.id).limit(50)).all()
        stored = db.session.scalar(select(StoredFile.id))
        db.session.add_all(EvidenceFile(evidence_id=e, stored_file_id=stored) for e in evidence_ids)
        for item_id in ids_all:
            if item_id != ids["indicator"]:
                db.session.add(ItemAssessment(cycle_id=cycle.id, item_id=item_id, score=3))
        # A previous cycle to compare with.
        previous = new_cycle(world.a, title="Попередній цикл", school_year=2024)
        previous.status = CycleStatus.CLOSED
        cycle.previous_cycle_id = previous.id
        for item_id in ids_all:
            db.session.add(ItemAssessment(cycle_id=previous.id, item_id=item_id, score=2))
        db.session.commit()
    with count_queries() as large:
        response = client.get(url)
    assert response.status_code == 200
    assert len(large) <= 10, large.statements
    assert len(large) == len(small), (small.statements, large.statements)
    if page == "overview":
        assert "порівняно з попереднім циклом" in response.get_data(as_text=True)


def test_the_cycle_tabs_lead_to_their_pages(app, client, world):
    """The tabs build their addresses from the cycle's (see assessment/_macros.html)."""
    import re

    ids = world_cycle(app, world.a)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    body = client.get(f"{base(world.a)}/{ids['cycle']}").get_data(as_text=True)
    tabs = body.split('class="tabs"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="([^"]+)"', tabs)
    assert len(links) == 9  # the world's cycle reviews the quality system too
    for link in links:
        assert client.get(link).status_code == 200, link


def test_the_forms_save_through_their_pages(app, client, world):
    """The happy paths the other tests do not take: scope by plan sections, methods,
    schedule, an interview's protocol, files, a need, discussions, decisions, the
    founder request, procedure reviews and the sheets."""
    from dozq.assessment.models import (
        ChecklistTemplate,
        CycleDiscussion,
        CycleScopeEntry,
        DevelopmentNeed,
        MethodPlanEntry,
        ProcedureReview,
    )
    from dozq.quality_system.models import AnnualPlanSection

    ids = world_cycle(app, world.a)
    with scoped(app, world.a):
        cycle = new_cycle(world.a, scope_kind="plan_sections", school_year=TODAY.year)
        db.session.commit()
        planned = cycle.id
        section = db.session.scalar(select(AnnualPlanSection))
        requirement = items_of(cycle, ItemKind.REQUIREMENT)[0]
        indicator = indicators(cycle)[0]
    open_ids = collecting_cycle(app, world.a)
    root = base(world.a)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])

    def post(url, data, expected=303, **kwargs):
        response = client.post(url, data=data, **kwargs)
        assert response.status_code == expected, (url, response.get_data(as_text=True)[-600:])
        return response

    # Блокова система: a section of the annual plan covering a requirement.
    with scoped(app, world.a):
        version = db.session.get(AssessmentCycle, planned).version
    post(
        f"{root}/{planned}/scope",
        {
            "scope_kind": "plan_sections",
            "sections": section.id,
            f"section-{section.id}-item": requirement.id,
            "version": version,
        },
    )
    plan_page = client.get(f"{root}/{planned}/plan").get_data(as_text=True)
    assert section.title in plan_page and requirement.code in plan_page
    post(
        f"{root}/{planned}/methods",
        {
            "entry-indicator_id": indicator.id,
            "entry-method": "documents",
            "entry-note": "протоколи",
        },
    )
    post(
        f"{root}/{planned}/schedule",
        {"schedule-title": "Анкетування батьків", "schedule-responsible": "психолог"},
    )
    response = post(
        f"{root}/{planned}/members",
        {"member-name": "Олена, батьківський комітет", "member-group_role": "member"},
        expected=200,
        headers=HX,
    )
    assert "<html" not in response.get_data(as_text=True)
    assert "Олена, батьківський комітет" in response.get_data(as_text=True)

    # Evidence: the interview's protocol and another file.
    interview = f"{root}/evidence/{open_ids['interview']}"
    post(
        f"{interview}/protocol",
        {
            "protocol-respondents_informed": "y",
            "protocol-recording_method": "протокол",
            "protocol-body": "Відповіді педагогів",
        },
    )
    post(f"{interview}/files", {"files": [(io.BytesIO(tiny_png()), "схема.png")]})
    page = client.get(interview).get_data(as_text=True)
    assert "Відповіді педагогів" in page and "схема.png" in page

    # A need found by the world's observation; discussions; a decision and its progress.
    post(
        f"{root}/evidence/{ids['evidence']}/needs",
        {"need-teacher_id": world.a.users[Role.TEACHER], "need-need": "Наставництво"},
    )
    rating_cycle = f"{root}/{ids['cycle']}"
    post(
        f"{rating_cycle}/discussion/other",
        {
            "other-kind": "experts",
            "other-held_on": TODAY.isoformat(),
            "other-participants": "експерт з дошкільної освіти",
            "other-remarks": "Рекомендує посилити роботу з батьками",
        },
    )
    post(f"{rating_cycle}/discussion/link", {"link-meeting_id": ids["meeting"]})
    post(
        f"{rating_cycle}/decisions",
        {
            "kind": "annual_plan",
            "what": "Доповнити розділ плану",
            "responsible": "методист",
            "due_on": (TODAY + timedelta(days=30)).isoformat(),
            "section_id": section.id,
        },
    )
    with scoped(app, world.a):
        decision = db.session.scalar(
            select(ManagementDecision).where(ManagementDecision.what == "Доповнити розділ плану")
        )
        decision_id, decision_version = decision.id, decision.version
    response = post(
        f"{root}/decisions/{decision_id}/status",
        {"status": "in_progress", "version": decision_version},
        expected=200,
        headers=HX,
    )
    assert "виконується" in response.get_data(as_text=True)
    post(
        f"{rating_cycle}/founder-requests",
        {"request-topic": "resources", "request-subject": "Проєктор", "request-text": "Потрібен"},
    )
    with scoped(app, world.a):
        request_id = db.session.scalar(
            select(FounderRequest.id).where(FounderRequest.subject == "Проєктор")
        )
    post(f"{root}/founder-requests/{request_id}/send", {})
    component = ids["component"]
    with scoped(app, world.a):
        review_version = db.session.scalar(
            select(ProcedureReview.version).where(
                ProcedureReview.cycle_id == ids["cycle"], ProcedureReview.component_id == component
            )
        )
    post(
        f"{rating_cycle}/system-review/{component}",
        {
            f"c{component}-verdict": "effective",
            f"c{component}-finding": "Працює",
            f"c{component}-version": review_version,
        },
    )
    # Sheets: a new one, a copy, an edit, the seeds restored.
    post(
        f"{root}/checklists/new",
        {"title": "Спостереження за прогулянкою", "kind": "observation_other", "items": "А\nБ"},
    )
    copied = post(f"{root}/checklists/{ids['template']}/copy", {})
    edit_url = copied.headers["Location"]
    post(edit_url, {"title": "Моя копія", "items": "Перший\nДругий", "version": "1"})
    post(f"{root}/checklists/restore", {})

    with scoped(app, world.a):
        assert db.session.scalar(
            select(func.count(CycleScopeEntry.id)).where(CycleScopeEntry.cycle_id == planned)
        )
        assert (
            db.session.scalar(
                select(MethodPlanEntry.note).where(MethodPlanEntry.cycle_id == planned)
            )
            == "протоколи"
        )
        assert db.session.scalar(
            select(func.count(DevelopmentNeed.id)).where(DevelopmentNeed.need == "Наставництво")
        )
        kinds = set(
            db.session.scalars(
                select(CycleDiscussion.kind).where(CycleDiscussion.cycle_id == ids["cycle"])
            )
        )
        assert {kind.value for kind in kinds} == {"council", "experts"}
        assert db.session.get(FounderRequest, request_id).sent_at is not None
        assert (
            db.session.scalar(
                select(ProcedureReview.finding).where(ProcedureReview.component_id == component)
            )
            == "Працює"
        )
        titles = set(db.session.scalars(select(ChecklistTemplate.title)))
        assert {"Спостереження за прогулянкою", "Моя копія"} <= titles
