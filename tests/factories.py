"""One-line builders of test data, and the two-tenant world."""

import io
from dataclasses import dataclass, field
from functools import cache

from flask import current_app
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dozq.auth.models import User
from dozq.auth.passwords import hash_password
from dozq.auth.services import invite, start_session
from dozq.catalog import queries as catalog_queries
from dozq.catalog import services as catalog_services
from dozq.catalog.generate import generated_catalog
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.files.services import store_upload
from dozq.quality_system import services as quality_system
from dozq.tenancy.models import (
    Founder,
    FounderAdmin,
    Institution,
    InstitutionKind,
    Membership,
    Role,
)
from dozq.tenancy.scope import Scope, tenant_scope

TEST_PASSWORD = "правильний-пароль-123"
CANARY = "КАНАРКА-Б"


@cache
def test_password_hash() -> str:
    return hash_password(TEST_PASSWORD)


def make_user(email: str, full_name: str = "Тестовий Користувач", **values) -> User:
    user = User(email=email, full_name=full_name, password_hash=test_password_hash(), **values)
    db.session.add(user)
    db.session.flush()
    return user


def make_founder(slug: str, name: str = "Відділ освіти Тестової міської ради") -> Founder:
    founder = Founder(slug=slug, name=name, short_name=name[:100])
    db.session.add(founder)
    db.session.flush()
    return founder


def make_institution(founder: Founder, slug: str, short_name: str, **values) -> Institution:
    with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
        institution = Institution(
            founder_id=founder.id,
            slug=slug,
            full_name=values.pop("full_name", f"Заклад дошкільної освіти {short_name}"),
            short_name=short_name,
            kind=values.pop("kind", InstitutionKind.NURSERY_KINDERGARTEN),
            director_name=values.pop("director_name", f"Директор {short_name}"),
            **values,
        )
        db.session.add(institution)
        db.session.flush()
    with tenant_scope(db.session, Scope.for_institution(institution)):
        quality_system.set_up_quality_system(institution)
    return institution


def add_member(institution: Institution, user: User, role: Role, position: str = "") -> Membership:
    with tenant_scope(db.session, Scope.for_institution(institution)):
        membership = Membership(user_id=user.id, role=role, position=position)
        db.session.add(membership)
        db.session.flush()
    return membership


def make_founder_admin(founder: Founder, user: User) -> FounderAdmin:
    with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
        admin = FounderAdmin(user_id=user.id)
        db.session.add(admin)
        db.session.flush()
    return admin


def sign_in(client, user: User) -> None:
    """Sign ``user`` in on ``client`` without the cost of a password check."""
    user_session = start_session(user)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = user_session.token
        session["_fresh"] = True
        session.permanent = True


def sign_in_as(app, client, user_id: int) -> None:
    with app.app_context():
        sign_in(client, db.session.get(User, user_id))


def login(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


@dataclass
class Tenant:
    """One institution with a person in every role (ids only: usable across sessions)."""

    founder_id: int
    founder_slug: str
    institution_id: int
    slug: str
    users: dict[Role, int] = field(default_factory=dict)
    founder_admin_id: int = 0


@dataclass
class World:
    a: Tenant
    a2: Tenant
    b: Tenant
    b2: Tenant
    platform_admin_id: int


def _tenant(founder: Founder, founder_admin: User, key: str, label: str) -> Tenant:
    institution = make_institution(founder, f"zdo-{key}", f"ЗДО «{label}»")
    tenant = Tenant(founder.id, founder.slug, institution.id, institution.slug)
    tenant.founder_admin_id = founder_admin.id
    for role in (Role.DIRECTOR, Role.METHODOLOGIST, Role.TEACHER, Role.STAFF):
        user = make_user(f"{role.value}.{key}@test.example.com", f"{role.label} {label}")
        add_member(institution, user, role, position=role.label)
        tenant.users[role] = user.id
    with tenant_scope(db.session, Scope.for_institution(institution)):
        invite(
            founder_admin,
            email=f"invited.{key}@test.example.com",
            full_name=f"Запрошена особа {label}",
            role=Role.TEACHER,
            where=institution,
        )
        upload_file(f"фото {label}.png", tiny_png(), founder_admin)
        make_quality_items(founder_admin, label)
        make_catalog_items(founder_admin, label)
        make_assessment_items(tenant, label)
        make_regulation_items(tenant, label)
        make_survey_items(tenant, label)
        make_publication_items(tenant, label)
    make_founder_cycle_template(tenant, founder_admin, label)
    return tenant


def make_quality_items(actor, label: str) -> None:
    """A row in every quality-system table the defaults leave empty (in the current scope)."""
    component = quality_system.create_component(
        actor, {"title": f"Власний компонент {label}", "description": f"Опис {label}"}
    )
    quality_system.add_measure(
        actor,
        component,
        {"action": f"Захід {label}", "responsible_role": "methodologist", "timing": "щороку"},
    )
    quality_system.add_orientation(actor, {"text": f"Власний орієнтир {label}"})
    plan = quality_system.create_annual_plan(
        actor, {"school_year": quality_system.current_school_year(), "title": f"План {label}"}
    )
    quality_system.add_section(actor, plan, {"title": f"Розділ {label}"})
    year = quality_system.current_year()
    quality_system.create_programme(
        actor,
        {"title": f"Програма розвитку {label}", "start_year": year, "end_year": year + 2},
    )


def make_publication_items(tenant: "Tenant", label: str) -> None:
    """In the current institution's scope: a published monitoring programme and, newest,
    a draft one, each with an indicator of the institution's catalog."""
    from datetime import date

    from dozq.publication import services as publication

    director = db.session.get(User, tenant.users[Role.DIRECTOR])
    indicator = db.session.scalar(
        select(CatalogItem.id).where(CatalogItem.kind == ItemKind.INDICATOR).limit(1)
    )
    published = publication.create_programme(
        director, {"subject": f"Оприлюднена програма {label}"}, [indicator]
    )
    publication.publish_programme(director, published, "order", "12-о/д", date.today())
    publication.create_programme(director, {"subject": f"Чернетка програми {label}"}, [indicator])
    publication.save_settings(director, share_drafts=False)
    from dozq.publication.notifications import notify

    notify([director], f"Сповіщення {label}", "", key="world")


def make_founder_cycle_template(tenant: "Tenant", founder_admin: User, label: str):
    """In the founder's scope: a self-assessment prepared for all institutions (not
    launched, so the world's cycles stay as they are)."""
    from datetime import date

    from dozq.assessment import services as assessment

    year = quality_system.current_school_year()
    with tenant_scope(db.session, Scope.for_founder(tenant.founder_id, (tenant.institution_id,))):
        template = assessment.create_cycle_template(
            founder_admin,
            {
                "title": f"Самооцінювання засновника {label}",
                "school_year": year,
                "starts_on": date(year + 1, 1, 15),
                "ends_on": date(year + 1, 5, 31),
                "model_kind": "annual_targeted",
                "scope_kind": "items",
                "direction_codes": ["1", "3"],
                "note": f"Примітка засновника {label}",
            },
        )
        db.session.flush()
    return template


WORLD_CATALOG = "Каталог тестового світу"


def world_catalog_template():
    """A small platform template every tenant of the test world adopts."""
    template = catalog_queries.latest_template(WORLD_CATALOG)
    if template is None:
        template, _created = catalog_services.save_template(
            None, generated_catalog((1, 1, 1, 2)), WORLD_CATALOG
        )
    return template


def make_catalog_items(actor, label: str) -> None:
    """In the current institution's scope: its founder offers the world's template, the
    institution adopts it and adds an own indicator and, last, an own criterion."""
    template = world_catalog_template()
    if not catalog_queries.current_offers():
        catalog_services.offer(actor, template, f"Пропозиція {label}")
    catalog = catalog_services.adopt(actor, template)
    items = {
        item.kind: item
        for item in db.session.scalars(
            select(CatalogItem)
            .where(CatalogItem.catalog_id == catalog.id)
            .order_by(CatalogItem.id.desc())
        )
    }
    criterion, requirement = items[ItemKind.CRITERION], items[ItemKind.REQUIREMENT]
    catalog_services.add_item(
        actor, criterion, f"{criterion.code}.9", f"Власний індикатор {label}", ["survey"]
    )
    catalog_services.add_item(
        actor, requirement, f"{requirement.code}.9", f"Власний критерій {label}"
    )


def make_assessment_items(tenant: "Tenant", label: str) -> None:
    """In the current institution's scope: a self-assessment cycle at the rating step
    with a row in every table of dozq.assessment (see tests/test_isolation.py)."""
    from datetime import date, timedelta

    from dozq.assessment import services as assessment
    from dozq.assessment.models import CycleStatus
    from dozq.quality_system.models import QualityComponent

    director = db.session.get(User, tenant.users[Role.DIRECTOR])
    teacher = db.session.get(User, tenant.users[Role.TEACHER])
    today = date.today()
    cycle = assessment.create_cycle(
        director,
        {
            "title": f"Самооцінювання {label}",
            "school_year": quality_system.current_school_year(),
            "starts_on": today - timedelta(days=30),
            "ends_on": today + timedelta(days=90),
            "model_kind": "annual_comprehensive",
            "scope_kind": "all",
            "includes_system_review": True,
        },
    )
    direction = db.session.scalar(
        select(CatalogItem).where(
            CatalogItem.catalog_id == cycle.catalog_id, CatalogItem.kind == ItemKind.DIRECTION
        )
    )
    assessment.set_scope(director, cycle, "items", [direction.id])
    assessment.add_member(
        director,
        cycle,
        {"group_role": "head", "responsibility": f"Напрям {label}"},
        teacher,
        direction,
    )
    assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
    indicators = db.session.scalars(
        select(CatalogItem)
        .where(CatalogItem.catalog_id == cycle.catalog_id, CatalogItem.kind == ItemKind.INDICATOR)
        .order_by(CatalogItem.id)
    ).all()
    from dozq.assessment.scoring import Node

    assessment.fill_method_plan(
        director,
        cycle,
        [
            Node(item.id, item.kind, item.code, item.text, item.parent_id, 0, list(item.methods))
            for item in indicators
        ],
    )
    template = _templates()[0]
    observation = assessment.record_observation(
        director,
        cycle,
        template,
        {
            "occurred_on": today,
            "title": f"Спостереження {label}",
            "group_name": f"Група {label}",
            "marks": [(3, f"Коментар {label}")] + [(2, "")] * (len(template.items) - 1),
            "indicator_ids": [indicators[0].id],
        },
        observers=[director],
        observed_user=teacher,
        uploads=[FileStorage(io.BytesIO(tiny_png()), filename=f"фото {label}.png")],
    )
    assessment.add_development_need(
        director, observation, cycle, teacher, {"need": f"Потреба {label}"}
    )
    assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.GENERALISING)
    assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.RATING)
    assessment.rate_indicator(
        director,
        cycle,
        indicators[0],
        {"score": "3,5", "narrative": f"Опис {label}", "justification": f"Чому {label}"},
        0,
    )
    criterion = db.session.get(CatalogItem, indicators[0].parent_id)
    requirement = db.session.get(CatalogItem, criterion.parent_id)
    assessment.save_conclusion(
        director, cycle, requirement, {"achievements": f"Досягнення {label}"}, 0
    )
    assessment.record_council_discussion(
        director,
        cycle,
        {"held_on": today, "protocol_number": "№ 3", "agenda": f"Порядок {label}"},
    )
    assessment.add_decision(
        director,
        cycle,
        {"what": f"Рішення {label}", "responsible": "методист", "due_on": today},
    )
    request = assessment.add_founder_request(
        director, cycle, {"topic": "repairs", "subject": f"Ремонт {label}", "text": "Просимо"}
    )
    assessment.send_founder_request(director, request)
    component = db.session.scalar(select(QualityComponent).order_by(QualityComponent.id))
    assessment.save_procedure_review(
        director, cycle, component, {"verdict": "partly", "finding": f"Висновок {label}"}, 0
    )


def approve_regulation(tenant: "Tenant"):
    """In the current institution's scope: the edition in progress (a new one if there
    is none) discussed, approved by the pedagogical council and by the director's order."""
    from datetime import date

    from dozq.regulation import services as regulation

    director = db.session.get(User, tenant.users[Role.DIRECTOR])
    edition = regulation.edition_in_progress()
    if edition is None:
        institution = db.session.get(Institution, tenant.institution_id)
        edition = regulation.start_edition(director, institution)
        regulation.open_discussion(director, edition)
    regulation.start_revision(director, edition, "Доопрацювання")
    regulation.approve_by_council(director, edition, "1", date(2025, 8, 28))
    regulation.approve_by_order(director, edition, "32-о/д", date(2025, 8, 29))
    return edition


def make_regulation_items(tenant: "Tenant", label: str) -> None:
    """In the current institution's scope: edition 1 of the regulation in force with a
    parent's comment and an acknowledgement, edition 2 under discussion with a staff
    comment; a generated document and an own template (rows only: no rendering)."""
    from datetime import date

    from dozq.documents import services as documents
    from dozq.documents.models import DocumentKind, DocumentTemplate, GeneratedDocument
    from dozq.files.checks import DOCX
    from dozq.regulation import services as regulation

    director = db.session.get(User, tenant.users[Role.DIRECTOR])
    teacher = db.session.get(User, tenant.users[Role.TEACHER])
    institution = db.session.get(Institution, tenant.institution_id)
    first = regulation.start_edition(director, institution)
    regulation.open_discussion(director, first)
    section = regulation.latest_version(first).sections[0]
    comment = regulation.add_comment(
        first, section, f"Пропозиція батьків {label}", author_name=f"Мама {label}", from_parent=True
    )
    regulation.decide_comment(director, comment, True, f"Враховано {label}")
    regulation.start_revision(director, first, f"Доопрацювання {label}")
    regulation.approve_by_council(director, first, "1", date(2025, 8, 28))
    regulation.approve_by_order(director, first, "32-о/д", date(2025, 8, 29))
    regulation.publish(director, first, institution)
    regulation.acknowledge(teacher, first)
    second = regulation.start_edition(director, institution)
    regulation.open_discussion(director, second)
    section = regulation.latest_version(second).sections[0]
    regulation.add_comment(second, section, f"Пропозиція {label}", author=teacher)
    default = documents.default_template(DocumentKind.REGULATION_ORDER).read_bytes()
    stored = documents._store(default, f"шаблон {label}.docx", DOCX.content_type, ".docx", director)
    db.session.add(
        DocumentTemplate(kind=DocumentKind.REGULATION_ORDER, file_id=stored.id, variables=[])
    )
    db.session.add(
        GeneratedDocument(
            kind=DocumentKind.REGULATION,
            subject_type="regulation_edition",
            subject_id=first.id,
            number=1,
            title=f"Положення {label}",
            file_id=stored.id,
            sha256=stored.sha256,
            created_by_id=director.id,
        )
    )
    db.session.flush()


def make_survey_items(tenant: "Tenant", label: str) -> None:
    """In the current institution's scope: a group, a published questionnaire with a
    question of every kind (linked to an indicator), links, codes and one response;
    and (in the founder's scope) an offered questionnaire: a row in every table of
    dozq.surveys, the newest one of each usable by the isolation walker."""
    from datetime import timedelta

    from dozq.surveys import services as surveys
    from dozq.surveys.models import QuestionKind, SurveyAudience, SurveyOffer

    director = db.session.get(User, tenant.users[Role.DIRECTOR])
    institution = db.session.get(Institution, tenant.institution_id)
    group = surveys.save_group(
        director, None, {"name": f"Група {label}", "expected_respondents": 20}
    )
    questionnaire = surveys.create_questionnaire(
        director,
        {"title": f"Анкета {label}", "audience": "parents", "introduction": f"Вступ {label}"},
    )
    section = questionnaire.sections[0]
    specs = [
        surveys.QuestionSpec(
            QuestionKind.SCALE,
            f"Шкала {label}",
            scale_points=4,
            scale_labels=surveys.DEFAULT_SCALE_LABELS[4],
        ),
        surveys.QuestionSpec(QuestionKind.YES_PARTLY_NO, f"Так чи ні {label}"),
        surveys.QuestionSpec(
            QuestionKind.SINGLE, f"Один {label}", options=["Перший", "Другий"], positive={"Перший"}
        ),
        surveys.QuestionSpec(QuestionKind.MULTIPLE, f"Кілька {label}", options=["А", "Б", "В"]),
        surveys.QuestionSpec(QuestionKind.SEMI_CLOSED, f"Напівзакрите {label}", options=["Так"]),
        surveys.QuestionSpec(QuestionKind.OPEN, f"Відкрите {label}", required=False),
    ]
    questions = [surveys.add_question(director, questionnaire, section, spec) for spec in specs]
    indicator = db.session.scalar(
        select(CatalogItem).where(CatalogItem.kind == ItemKind.INDICATOR).order_by(CatalogItem.id)
    )
    surveys.set_question_indicators(director, questions[0], [indicator.id])
    surveys.link_option_indicator(director, questions[2].options[0], indicator)
    today = surveys.today()
    surveys.publish(director, questionnaire, today - timedelta(days=1), today + timedelta(days=30))
    surveys.add_link(director, questionnaire, group, SurveyAudience.PARENTS)
    surveys.generate_codes(director, questionnaire, 2, group)
    answers = [
        surveys.Answer(questions[0], options=[questions[0].options[3]]),
        surveys.Answer(questions[1], options=[questions[1].options[0]]),
        surveys.Answer(questions[2], options=[questions[2].options[0]]),
        surveys.Answer(questions[3], options=questions[3].options[:2]),
        surveys.Answer(
            questions[4], options=[questions[4].options[-1]], other_text=f"Інше {label}"
        ),
        surveys.Answer(questions[5], text=f"Відповідь {label}"),
    ]
    surveys.store_response(
        questionnaire,
        answers,
        channel=surveys.Channel.ONLINE,
        audience=SurveyAudience.PARENTS,
        group_id=group.id,
    )
    if db.session.scalar(select(SurveyOffer.id)) is None:
        with tenant_scope(db.session, Scope.for_founder(institution.founder_id, (institution.id,))):
            surveys.offer_to_institutions(director, "parents_satisfaction", f"Пропозиція {label}")
    db.session.flush()


def _templates():
    from dozq.assessment.models import ChecklistTemplate

    return db.session.scalars(
        select(ChecklistTemplate).where(ChecklistTemplate.source_key == "environment")
    ).all()


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def upload_file(name: str, data: bytes, actor: User):
    """Store a file as if a person uploaded it (inside an institution's scope)."""
    return store_upload(FileStorage(io.BytesIO(data), filename=name), actor)


def build_world() -> World:
    founders = {}
    for key, label in (("a", "Альфа"), ("b", f"Бета {CANARY}")):
        founder = make_founder(f"founder-{key}", f"Відділ освіти {label}")
        admin = make_user(f"founder.{key}@test.example.com", f"Адміністратор {label}")
        make_founder_admin(founder, admin)
        founders[key] = (founder, admin, label)
    tenants = {}
    for key in ("a", "b"):
        founder, admin, label = founders[key]
        tenants[key] = _tenant(founder, admin, key, label)
        tenants[f"{key}2"] = _tenant(founder, admin, f"{key}2", f"{label} друга")
    platform_admin = make_user("admin@test.example.com", "Адміністратор платформи")
    platform_admin.is_platform_admin = True
    db.session.commit()
    # The world's own invitations are not what a test wants to read.
    current_app.extensions.get("dozq.sent_mail", []).clear()
    return World(tenants["a"], tenants["a2"], tenants["b"], tenants["b2"], platform_admin.id)
