"""A self-assessment cycle through its service functions: plan, collect, rate,
discuss, decide; the rules of its statuses; concurrent edits; decisions carried on."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from dozq.assessment import queries, services
from dozq.assessment.models import (
    CycleStatus,
    CycleTransition,
    DecisionStatus,
    EvidenceKind,
    ItemAssessment,
    ManagementDecision,
)
from dozq.audit.models import AuditEntry
from dozq.catalog import services as catalog_services
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.files.models import StoredFile
from dozq.files.storage import storage
from dozq.regulation.models import EditionStatus, RegulationEdition
from dozq.tenancy.models import Role
from dozq.web.errors import ConflictError, DomainError
from tests.factories import approve_regulation
from tests.test_assessment_support import (
    TODAY,
    advance,
    indicators,
    items_of,
    jpeg_with_gps,
    new_cycle,
    observe,
    person,
    scoped,
    started,
)


def test_a_whole_cycle_from_plan_to_decisions(app, world):
    with scoped(app, world.a):
        director = person(world.a, Role.DIRECTOR)
        methodologist = person(world.a, Role.METHODOLOGIST)
        teacher = person(world.a, Role.TEACHER)

        # Plan: model, period, scope, working group, methods, schedule.
        cycle = new_cycle(world.a, title="Самооцінювання 2025/2026")
        assert cycle.status == CycleStatus.PLANNED
        # The world's regulation is approved by order: no warning.
        assert services.regulation_warning(cycle) is None
        direction = items_of(cycle, ItemKind.DIRECTION)[0]
        services.add_member(
            director,
            cycle,
            {"group_role": "head", "responsibility": "Освітнє середовище"},
            teacher,
            direction,
        )
        services.add_member(
            director, cycle, {"name": "Ірина Батьківна, голова батьківського комітету"}
        )
        result = queries.results(cycle, with_previous=False)
        planned = services.fill_method_plan(director, cycle, result.indicators)
        assert planned == sum(len(node.methods) for node in result.indicators) > 0
        plan = queries.plan(cycle)
        assert {entry.member.display_name for entry in plan.entries} == {teacher.full_name}
        assert len(plan.schedule) == len(services.SCHEDULE_STEPS)

        # The director starts it.
        services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)

        # Collect: an observation with a photo from a phone (EXIF dropped). (The test
        # world links its first indicator to a questionnaire; this one has none.)
        indicator = indicators(cycle)[1]
        photo = FileStorage(io.BytesIO(jpeg_with_gps()), filename="IMG_0001.JPG")
        observation = observe(world.a, cycle, indicator, [3, 2, 3, 2, None, 2], uploads=[photo])
        assert observation.kind == EvidenceKind.OBSERVATION
        assert len(observation.files) == 1
        stored = db.session.get(StoredFile, observation.files[0].stored_file_id)
        assert stored.original_name == "IMG_0001.jpg"
        with Image.open(io.BytesIO(storage().read(stored.storage_key))) as image:
            assert not image.getexif().get(0x8825)

        # Generalise and rate: the scale is pinned when rating starts.
        advance(world.a, cycle, CycleStatus.GENERALISING, CycleStatus.RATING)
        assert cycle.scale_id is not None
        page = queries.with_proposal(
            queries.indicator_page(cycle, queries.item_or_404(cycle, indicator.id))
        )
        # Marks 12 of 15 (80 %) on the 1–4 scale: 1 + 0.8 × 3 = 3.40.
        assert page.proposal.score == Decimal("3.40")
        rating = services.rate_indicator(
            methodologist,
            cycle,
            indicator,
            {
                "score": "3,5",
                "narrative": "Спостереження в групі «Бджілка»: середовище доступне.",
                "justification": "Фото й аркуш спостереження підтверджують.",
            },
            0,
            page.proposal.score,
        )
        assert rating.score == Decimal("3.50")
        assert rating.proposed_score == Decimal("3.40")

        # Findings, and a level set by a person with the reason.
        requirement = items_of(cycle, ItemKind.REQUIREMENT)[0]
        top = cycle.scale.levels[0]
        services.save_conclusion(
            methodologist,
            cycle,
            requirement,
            {
                "achievements": "Безпечне середовище",
                "difficulties": "Бракує цифрових засобів",
                "trends": "Покращення",
                "override_reason": "Підтверджено зовнішнім моніторингом",
            },
            0,
            top,
        )
        result = queries.results(cycle, with_previous=False)
        node = result.node(requirement.id)
        assert node.is_overridden and node.level.name == top.name
        assert node.override_reason == "Підтверджено зовнішнім моніторингом"

        # Discuss: not without the council.
        with pytest.raises(DomainError, match="педагогічної ради"):
            advance(world.a, cycle, CycleStatus.DISCUSSED)
        discussion = services.record_council_discussion(
            director,
            cycle,
            {"held_on": TODAY, "protocol_number": "№ 3", "decisions": "Схвалити результати"},
        )
        assert discussion.council_meeting.label == f"протокол № 3 від {TODAY:%d.%m.%Y}"
        advance(world.a, cycle, CycleStatus.DISCUSSED)

        # Act.
        decision = services.add_decision(
            director,
            cycle,
            {
                "kind": "action",
                "what": "Придбати інтерактивну панель для старшої групи",
                "responsible": "завгосп",
                "due_on": TODAY + timedelta(days=90),
            },
            requirement,
        )
        services.transition(
            director,
            Role.DIRECTOR,
            cycle,
            CycleStatus.PUBLISHED,
            publication_url="https://sonechko.example.com/samootsiniuvannia",
        )
        services.transition(director, Role.DIRECTOR, cycle, CycleStatus.CLOSED)
        db.session.commit()

        steps = db.session.scalars(
            select(CycleTransition)
            .where(CycleTransition.cycle_id == cycle.id)
            .order_by(CycleTransition.id)
        ).all()
        assert [step.to_status for step in steps] == list(CycleStatus)
        assert all(step.actor_id == director.id for step in steps)
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {
            "assessment.cycle_created",
            "assessment.member_added",
            "assessment.methods_filled",
            "assessment.cycle_moved",
            "assessment.observation_recorded",
            "assessment.indicator_rated",
            "assessment.conclusion_saved",
            "council.meeting_recorded",
            "assessment.discussed",
            "assessment.decision_added",
        } <= actions

        # The open decision is carried into the next cycle's plan; the next cycle is
        # compared with this one.
        following = new_cycle(world.a, title="Самооцінювання 2026/2027", school_year=2026)
        assert following.previous_cycle_id == cycle.id
        assert db.session.get(ManagementDecision, decision.id).carried_to_cycle_id == following.id
        assert decision in queries.plan(following).carried


def test_only_allowed_transitions_and_only_the_director_starts_and_closes(app, world):
    with scoped(app, world.a):
        director = person(world.a, Role.DIRECTOR)
        methodologist = person(world.a, Role.METHODOLOGIST)
        cycle = new_cycle(world.a)
        with pytest.raises(DomainError, match="робочу групу"):
            services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
        services.add_member(director, cycle, {"name": "Представник батьків"})
        with pytest.raises(DomainError, match="не можна перевести"):
            services.transition(director, Role.DIRECTOR, cycle, CycleStatus.RATING)
        with pytest.raises(DomainError, match="лише керівник"):
            services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.COLLECTING)
        assert cycle.status == CycleStatus.PLANNED
        services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
        services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.GENERALISING)
        with pytest.raises(DomainError, match="зазначте причину"):
            services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.COLLECTING)
        services.transition(
            methodologist, Role.METHODOLOGIST, cycle, CycleStatus.COLLECTING, "Бракує анкет"
        )
        assert cycle.status == CycleStatus.COLLECTING
        for target in (CycleStatus.GENERALISING, CycleStatus.RATING):
            services.transition(methodologist, Role.METHODOLOGIST, cycle, target)
        indicator = indicators(cycle)[0]
        with pytest.raises(DomainError, match="Жодному індикатору"):
            services.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
        services.rate_indicator(
            director, cycle, indicator, {"score": "3", "narrative": "н", "justification": "о"}, 0
        )
        services.record_council_discussion(
            director, cycle, {"held_on": TODAY, "protocol_number": "7"}
        )
        for target in (CycleStatus.DISCUSSED, CycleStatus.PUBLISHED):
            services.transition(methodologist, Role.METHODOLOGIST, cycle, target)
        with pytest.raises(DomainError, match="Завершити цикл може лише керівник"):
            services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.CLOSED)
        services.transition(director, Role.DIRECTOR, cycle, CycleStatus.CLOSED)
        with pytest.raises(DomainError, match="не можна перевести"):
            services.transition(director, Role.DIRECTOR, cycle, CycleStatus.PUBLISHED)


def unapprove_regulations() -> None:
    """The current institution's editions back to discussion, as before any approval."""
    db.session.execute(update(RegulationEdition).values(status=EditionStatus.DISCUSSION))


def test_a_targeted_cycle_is_not_warned_about_the_regulation(app, world):
    with scoped(app, world.a):
        unapprove_regulations()
        cycle = new_cycle(world.a, model_kind="annual_targeted", scope_kind="items")
        direction = items_of(cycle, ItemKind.DIRECTION)[0]
        services.set_scope(person(world.a, Role.DIRECTOR), cycle, "items", [direction.id])
        assert services.regulation_warning(cycle) is None
        comprehensive = new_cycle(world.a, model_kind="programme_comprehensive")
        assert services.regulation_warning(comprehensive) == services.REGULATION_NOT_APPROVED


def test_the_warning_goes_once_the_own_regulation_is_approved_by_order(app, world):
    with scoped(app, world.a):
        unapprove_regulations()
        cycle = new_cycle(world.a)
        # B's regulation stays approved, and it is not A's.
        assert services.regulation_warning(cycle) == services.REGULATION_NOT_APPROVED
        edition = approve_regulation(world.a)
        assert edition.status == EditionStatus.ORDER_APPROVED
        assert services.regulation_warning(cycle) is None


def test_a_concurrent_rating_edit_is_refused_not_lost(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        advance(world.a, cycle, CycleStatus.GENERALISING, CycleStatus.RATING)
        indicator = indicators(cycle)[0]
        director = person(world.a, Role.DIRECTOR)
        methodologist = person(world.a, Role.METHODOLOGIST)
        first = {"score": "3,0", "narrative": "Перша", "justification": "Перше"}
        services.rate_indicator(director, cycle, indicator, first, 0)
        db.session.commit()
        rating = db.session.scalar(
            select(ItemAssessment).where(
                ItemAssessment.item_id == indicator.id, ItemAssessment.cycle_id == cycle.id
            )
        )
        opened_at = rating.version
        # Someone else saves first …
        services.rate_indicator(
            methodologist,
            cycle,
            indicator,
            {"score": "2,5", "narrative": "Друга", "justification": "Друге"},
            opened_at,
        )
        db.session.commit()
        # … so the save based on the old version is refused, and theirs stays.
        with pytest.raises(ConflictError):
            services.rate_indicator(director, cycle, indicator, first, opened_at)
        db.session.rollback()
        # A second "first rating" of the same indicator is a conflict too.
        with pytest.raises(ConflictError):
            services.rate_indicator(director, cycle, indicator, first, 0)
        db.session.rollback()
        kept = db.session.get(ItemAssessment, rating.id)
        assert kept.score == Decimal("2.50") and kept.narrative == "Друга"


def test_rating_is_checked_against_the_pinned_scale(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        indicator = indicators(cycle)[0]
        director = person(world.a, Role.DIRECTOR)
        values = {"score": "3", "narrative": "н", "justification": "о"}
        with pytest.raises(DomainError, match="визначення рівнів"):
            services.rate_indicator(director, cycle, indicator, values, 0)
        advance(world.a, cycle, CycleStatus.GENERALISING, CycleStatus.RATING)
        for score, message in (("5", "в межах шкали"), ("3,555", "двох знаків"), ("три", "число")):
            with pytest.raises(DomainError, match=message):
                services.rate_indicator(director, cycle, indicator, {**values, "score": score}, 0)
        with pytest.raises(DomainError, match="Обґрунтуйте"):
            services.rate_indicator(director, cycle, indicator, {**values, "justification": " "}, 0)


def test_interviews_need_respondents_informed_before_answers(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        db.session.commit()
        indicator = indicators(cycle)[0]
        teacher = person(world.a, Role.TEACHER)
        base = {
            "interview_kind": "focus_group",
            "title": "Адаптація дітей",
            "occurred_on": TODAY,
            "participants_count": 4,
            "questions": "1. Що допомагає дитині звикнути до групи?",
            "indicator_ids": [indicator.id],
        }
        with pytest.raises(DomainError, match="повідомлено"):
            services.record_interview(teacher, cycle, {**base, "body": "Відповіді …"})
        db.session.rollback()
        evidence, warning = services.record_interview(teacher, cycle, base)
        assert "від 6 до 12" in warning and evidence.body == ""
        with pytest.raises(DomainError, match="повідомлено"):
            services.record_protocol(teacher, evidence, cycle, {"body": "Відповіді"})
        services.record_protocol(
            teacher,
            evidence,
            cycle,
            {"body": "Відповіді", "respondents_informed": True, "recording_method": "протокол"},
        )
        assert evidence.has_protocol
        _evidence, warning = services.record_interview(
            teacher, cycle, {**base, "participants_count": 8}
        )
        assert warning is None


def test_evidence_kinds_and_their_rules(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        indicator = indicators(cycle)[0]
        staff = person(world.a, Role.STAFF)
        with pytest.raises(DomainError, match="індикатор"):
            services.record_staff_evidence(staff, cycle, {"occurred_on": TODAY, "body": "Фото"})
        note = services.record_staff_evidence(
            staff,
            cycle,
            {"occurred_on": TODAY, "body": "Новий куточок", "indicator_ids": [indicator.id]},
        )
        assert note.kind == EvidenceKind.STAFF_NOTE and note.title == "Новий куточок"
        with pytest.raises(DomainError, match="майбутньому"):
            services.record_staff_evidence(
                staff,
                cycle,
                {
                    "occurred_on": TODAY + timedelta(days=5),
                    "body": "х",
                    "indicator_ids": [indicator.id],
                },
            )
        monitoring = services.record_monitoring(
            staff,
            cycle,
            {
                "monitoring_source": "authority",
                "source_name": "Управління освіти",
                "occurred_on": TODAY,
                "body": "Умови відповідають вимогам",
                "indicator_ids": [indicator.id],
            },
        )
        assert monitoring.monitoring_source.label == "органи управління у сфері освіти"
        document = services.record_document_study(
            person(world.a, Role.METHODOLOGIST),
            cycle,
            db.session.scalar(
                select(services.ChecklistTemplate).where(
                    services.ChecklistTemplate.source_key == "teacher_plans"
                )
            ),
            {
                "occurred_on": TODAY,
                "document_title": "План роботи групи «Бджілка» на жовтень",
                "marks": [(2, "Послідовно")] + [(None, "")] * 6,
                "indicator_ids": [indicator.id],
            },
        )
        assert document.answers[0].comment == "Послідовно"
        # Staff may delete their own evidence, not someone else's.
        with pytest.raises(DomainError, match="автор"):
            services.delete_evidence(staff, Role.STAFF, document, cycle)
        services.delete_evidence(staff, Role.STAFF, note, cycle)


def test_checklist_templates_are_the_seeds_and_institutions_edit_copies(app, world):
    with scoped(app, world.a):
        kinds = {source.key: source for source in services.template_sources()}
        assert set(kinds) == {
            "environment",
            "organised_forms",
            "independent_activity",
            "teacher_plans",
            "council_protocols",
        }
        environment = queries.templates()
        assert any(t.source_key == "environment" and t.items for t in environment)
        tpl = next(t for t in environment if t.source_key == "environment")
        assert all(item.seed_quote for item in tpl.items)
        director = person(world.a, Role.DIRECTOR)
        services.update_template(
            director,
            tpl,
            {"title": tpl.title, "items": "Новий пункт\n" + tpl.items[0].text, "is_active": True},
            tpl.version,
        )
        assert [item.text for item in tpl.items][:1] == ["Новий пункт"]
        assert tpl.items[1].seed_quote  # kept for a line that stayed
        copy = services.create_template(director, {"title": "Копія"}, copy_of=tpl)
        assert [i.text for i in copy.items] == [i.text for i in tpl.items]
        assert services.ensure_checklist_templates(director) == []


def test_founder_requests_are_drafts_until_sent(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        advance(world.a, cycle, CycleStatus.GENERALISING)
        director = person(world.a, Role.DIRECTOR)
        request = services.add_founder_request(
            director, cycle, {"topic": "repairs", "subject": "Дах", "text": "Відремонтувати"}
        )
        assert request.state_label == "чернетка"
        services.send_founder_request(director, request)
        assert request.state_label == "надіслано засновнику"
        with pytest.raises(DomainError, match="вже надіслано"):
            services.send_founder_request(director, request)


def test_decision_rules(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        director = person(world.a, Role.DIRECTOR)
        with pytest.raises(DomainError, match="за результатами узагальнення"):
            services.add_decision(
                director, cycle, {"what": "Щось", "responsible": "я", "due_on": TODAY}
            )
        advance(world.a, cycle, CycleStatus.GENERALISING)
        with pytest.raises(DomainError, match="оберіть напрям"):
            services.add_decision(director, cycle, {"kind": "priority", "what": "Пріоритет"})
        direction = items_of(cycle, ItemKind.DIRECTION)[0]
        priority = services.add_decision(
            director, cycle, {"kind": "priority", "what": "Пріоритет"}, direction
        )
        assert priority.item_id == direction.id
        with pytest.raises(DomainError, match="розділ плану"):
            services.add_decision(
                director,
                cycle,
                {
                    "kind": "annual_plan",
                    "what": "Доповнити план",
                    "responsible": "методист",
                    "due_on": TODAY,
                },
            )
        with pytest.raises(DomainError, match="Опишіть, що зроблено"):
            services.update_decision(director, priority, {"status": "done"}, priority.version)
        services.update_decision(
            director, priority, {"status": "done", "outcome": "Зроблено"}, priority.version
        )
        assert priority.status == DecisionStatus.DONE
        with pytest.raises(ConflictError):
            services.update_decision(director, priority, {"status": "planned"}, 0)


def test_procedure_reviews_only_when_the_cycle_includes_them(app, world):
    with scoped(app, world.a):
        from dozq.quality_system.models import QualityComponent

        component = db.session.scalar(select(QualityComponent).order_by(QualityComponent.id))
        director = person(world.a, Role.DIRECTOR)
        plain = new_cycle(world.a)
        with pytest.raises(DomainError, match="не передбачає"):
            services.save_procedure_review(
                director, plain, component, {"verdict": "effective", "finding": "х"}, 0
            )
        cycle = new_cycle(world.a, includes_system_review=True)
        review = services.save_procedure_review(
            director, cycle, component, {"verdict": "partly", "finding": "Не всі знають"}, 0
        )
        assert review.verdict.label == "частково дієва"
        assert queries.procedure_reviews(cycle)[component.id] is review


def test_evidence_is_only_collected_while_the_cycle_collects(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        indicator = indicators(cycle)[0]
        advance(world.a, cycle, CycleStatus.GENERALISING, CycleStatus.RATING)
        with pytest.raises(DomainError, match="вже не додають"):
            observe(world.a, cycle, indicator, [3])
        count = db.session.scalar(select(func.count()).select_from(services.Evidence))
        assert count == 1  # the test world's own observation


def test_an_own_indicator_with_evidence_is_kept_not_deleted(app, world):
    with scoped(app, world.a):
        cycle = started(world.a)
        own = next(item for item in indicators(cycle) if item.is_own)
        methodologist = person(world.a, Role.METHODOLOGIST)
        criterion = db.session.get(CatalogItem, own.parent_id)
        unused = catalog_services.add_item(methodologist, criterion, "1.1.1.10", "Без доказів")
        observe(world.a, cycle, own, [3])
        with pytest.raises(DomainError, match="вимкніть його"):
            catalog_services.delete_own_item(methodologist, own)
        # Nor may its criterion take it along.
        criterion_ids = catalog_services.subtree_ids(criterion)
        assert own.id in criterion_ids and catalog_services.items_in_use(criterion_ids)
        catalog_services.delete_own_item(methodologist, unused)
        db.session.commit()
        assert db.session.get(CatalogItem, own.id) is not None
        assert db.session.get(CatalogItem, unused.id) is None
