"""The quality system's pages: who sees and edits what, htmx fragments, refused input,
concurrent saves, the audit trail and the overview's cost."""

import re
from contextlib import contextmanager
from html import unescape

import pytest
from sqlalchemy import func, select

from dozq.audit.models import AuditEntry
from dozq.auth.models import User
from dozq.db import db
from dozq.quality_system import services
from dozq.quality_system.models import (
    AnnualPlan,
    AnnualPlanSection,
    DevelopmentProgramme,
    InstitutionFeatures,
    LevelScale,
    QualityComponent,
    QualityMeasure,
    QualityOrientation,
    QualityPolicy,
    ScaleLevel,
    SelfAssessmentModel,
    SelfAssessmentPlanEntry,
)
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from tests.factories import sign_in_as

BASE = "/i/zdo-a/quality-system"
HX = {"HX-Request": "true"}
QUALITY_TABLES = [
    model.__table__
    for model in (
        AnnualPlan,
        AnnualPlanSection,
        DevelopmentProgramme,
        InstitutionFeatures,
        LevelScale,
        QualityComponent,
        QualityMeasure,
        QualityOrientation,
        QualityPolicy,
        ScaleLevel,
        SelfAssessmentModel,
        SelfAssessmentPlanEntry,
        AuditEntry,
    )
]


@contextmanager
def tenant_a(app, world):
    """Tenant A's scope with its director, for arranging and checking data."""
    with app.app_context():
        institution = db.session.get(
            Institution, world.a.institution_id, execution_options={"all_tenants": True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            yield db.session.get(User, world.a.users[Role.DIRECTOR])


def snapshot(app) -> dict:
    """Every row of the quality system's tables and of the audit log."""
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: connection.execute(
                table.select().order_by(*table.primary_key.columns)
            ).all()
            for table in QUALITY_TABLES
        }


def audit_since(app, count: int) -> list[str]:
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(
            select(AuditEntry.action).order_by(AuditEntry.id).offset(count)
        ).all()
    return [row.action for row in rows]


def audit_count(app) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.execute(select(func.count(AuditEntry.id))).scalar()


def error_beside(body: str, field_id: str) -> str:
    """The message shown under a field (the _forms.html field macro)."""
    found = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">([^<]*)</p>', body)
    assert found, f"no error beside {field_id}"
    return unescape(found.group(1))


def first(app, world, model, *criteria):
    with tenant_a(app, world):
        row = db.session.scalars(select(model).where(*criteria).order_by(model.id).limit(1)).one()
        return row.id, getattr(row, "version", None)


def own_component(app, world):
    return first(app, world, QualityComponent, QualityComponent.statutory_key.is_(None))


def statutory_component(app, world):
    return first(app, world, QualityComponent, QualityComponent.statutory_key.is_not(None))


# Reading


def test_the_overview_shows_every_part_and_what_to_do_next(app, client, world):
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    response = client.get(BASE + "/")
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert 'href="/i/zdo-a/quality-system/"' in body and "Внутрішня система</a>" in body
    for title in (
        "Компоненти внутрішньої системи",
        "Стратегія (політика) забезпечення якості освіти",
        "Особливості закладу",
        "Рівні оцінювання",
        "Модель і план самооцінювання",
        "План роботи і програма розвитку",
    ):
        assert title in body
    assert '<a href="/i/zdo-a/quality-system/features">Не вказано кількість груп</a>' in body
    assert "без опису, політик і процедур" in body
    assert "перший (високий)" in body and 'class="level-1"' in body
    assert "Додати типові налаштування" not in body  # everything is set up


def test_the_overview_runs_a_bounded_number_of_statements(app, client, world, count_queries):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    client.get(BASE + "/")
    with count_queries() as counter:
        response = client.get(BASE + "/")
    assert response.status_code == 200
    assert len(counter) <= 10, "\n".join(counter.statements)


READ_PAGES = [
    "/",
    "/components",
    "/components/{component}",
    "/policy",
    "/features",
    "/levels",
    "/levels/{scale}",
    "/model",
    "/plans",
    "/plans/annual/{plan}",
]
EDIT_CONTROLS = (
    "Редагувати",
    "Додати",
    "Вилучити",
    "Вище",
    "Нижче",
    "Змінити",
    "Заповнити за моделлю",
    "hx-post",
    'type="checkbox"',
)


def page_urls(app, world):
    component, _ = own_component(app, world)
    scale, _ = first(app, world, LevelScale)
    plan, _ = first(app, world, AnnualPlan)
    return [BASE + path.format(component=component, scale=scale, plan=plan) for path in READ_PAGES]


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STAFF], ids=str)
def test_other_staff_read_everything_without_edit_controls(app, client, world, role):
    urls = page_urls(app, world)
    sign_in_as(app, client, world.a.users[role])
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        main = body[body.index("<main") :]
        for control in EDIT_CONTROLS:
            assert control not in main, f"{url} shows «{control}» to a {role}"


def test_managers_see_the_edit_controls(app, client, world):
    urls = page_urls(app, world)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    bodies = {url: client.get(url).get_data(as_text=True) for url in urls}
    assert "Редагувати опис" in bodies[urls[2]] and "Додати захід" in bodies[urls[2]]
    assert "Вище" in bodies[urls[3]] and "Додати орієнтир" in bodies[urls[3]]
    assert 'name="plan-cells"' in bodies[urls[7]]


EDIT_ENDPOINTS = [
    ("GET", "/components/new"),
    ("POST", "/components/new"),
    ("GET", "/components/{component}/edit"),
    ("POST", "/components/{component}/edit"),
    ("POST", "/components/{component}/delete"),
    ("POST", "/components/{component}/measures/new"),
    ("POST", "/measures/{measure}/edit"),
    ("POST", "/measures/{measure}/move"),
    ("POST", "/measures/{measure}/delete"),
    ("POST", "/policy/edit"),
    ("POST", "/policy/orientations/new"),
    ("POST", "/orientations/{orientation}/edit"),
    ("POST", "/features/edit"),
    ("GET", "/levels/new"),
    ("POST", "/levels/new"),
    ("POST", "/model/edit"),
    ("POST", "/model/plan"),
    ("POST", "/model/plan/reset"),
    ("POST", "/plans/annual/new"),
    ("POST", "/plan-sections/{section}/edit"),
    ("POST", "/plans/programmes/{programme}/edit"),
    ("POST", "/set-up"),
]


def test_a_teacher_may_not_edit(app, client, world):
    ids = {
        "component": own_component(app, world)[0],
        "measure": first(app, world, QualityMeasure)[0],
        "orientation": first(app, world, QualityOrientation)[0],
        "section": first(app, world, AnnualPlanSection)[0],
        "programme": first(app, world, DevelopmentProgramme)[0],
    }
    sign_in_as(app, client, world.a.users[Role.TEACHER])
    before = snapshot(app)
    for method, path in EDIT_ENDPOINTS:
        url = BASE + path.format(**ids)
        data = {"component-title": "Зламано", "direction": "up", "version": "1"}
        response = client.open(url, method=method, data=data, headers=HX)
        assert response.status_code == 403, f"{method} {url}"
        assert "Ваша роль не дозволяє цю дію." in response.get_data(as_text=True)
    assert snapshot(app) == before


# htmx fragments


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/components/{component}/edit", 'id="component"'),
        ("/components/{component}/measures/new", 'id="measure-new"'),
        ("/measures/{measure}/edit", 'id="measures"'),
        ("/policy/edit", 'id="policy-goal"'),
        ("/policy/orientations/new", 'id="orientation-new"'),
        ("/orientations/{orientation}/edit", 'id="orientations"'),
        ("/features/edit", 'id="features-form"'),
        ("/model/edit", 'id="model-form"'),
        ("/plans/annual/{plan}/sections/new", 'id="section-new"'),
        ("/plan-sections/{section}/edit", 'id="sections"'),
    ],
)
def test_edit_forms_come_as_a_page_or_as_a_fragment(app, client, world, path, marker):
    url = BASE + path.format(
        component=own_component(app, world)[0],
        measure=first(app, world, QualityMeasure)[0],
        orientation=first(app, world, QualityOrientation)[0],
        plan=first(app, world, AnnualPlan)[0],
        section=first(app, world, AnnualPlanSection)[0],
    )
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    page = client.get(url)
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)
    fragment = client.get(url, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in body and marker in body and "<form" in body
    assert "HX-Request" in fragment.headers["Vary"]


# Procedures: measures added, edited, moved and deleted with htmx or plain forms


def measure_data(**changes):
    data = {
        "measure-action": "Анкетування батьків щодо якості освітніх послуг",
        "measure-responsible_role": "methodologist",
        "measure-responsible_person": "",
        "measure-timing": "щороку у квітні",
        "measure-document": "аналітична довідка",
    }
    return data | changes


def test_a_procedure_is_built_with_htmx(app, client, world):
    component_id, _ = statutory_component(app, world)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"{BASE}/components/{component_id}"
    count = audit_count(app)

    added = []
    for action in ("Перший захід", "Другий захід"):
        response = client.post(
            url + "/measures/new", data=measure_data(**{"measure-action": action}), headers=HX
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" not in body
        assert 'id="measures"' in body and action in body and "Захід додано." in body
    with tenant_a(app, world):
        added = [
            (m.id, m.version)
            for m in services.measures_of(db.session.get(QualityComponent, component_id))
        ]
    assert audit_since(app, count) == ["quality_system.measure_created"] * 2

    second_id, _ = added[1]
    response = client.post(
        f"{BASE}/measures/{second_id}/move", data={"direction": "up"}, headers=HX
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.index("Другий захід") < body.index("Перший захід")

    # The same buttons work as plain forms, answering with a redirect.
    response = client.post(f"{BASE}/measures/{second_id}/move", data={"direction": "down"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/components/{component_id}#measures")
    body = client.get(url).get_data(as_text=True)
    assert body.index("Перший захід") < body.index("Другий захід")

    first_id, first_version = added[0]
    response = client.post(
        f"{BASE}/measures/{first_id}/edit",
        data=measure_data(
            **{
                "measure-action": "Перший захід, уточнений",
                "measure-responsible_role": "",
                "measure-responsible_person": "Шевченко Т. М.",
                "measure-version": str(first_version),
            }
        ),
        headers=HX,
    )
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "Перший захід, уточнений" in body
    assert "Шевченко Т. М." in body and "Захід збережено." in body

    with tenant_a(app, world):
        version = db.session.get(QualityMeasure, second_id).version
    response = client.post(
        f"{BASE}/measures/{second_id}/delete", data={"version": version}, headers=HX
    )
    assert response.status_code == 200 and "Другий захід" not in response.get_data(as_text=True)
    assert audit_since(app, count) == [
        "quality_system.measure_created",
        "quality_system.measure_created",
        "quality_system.measure_moved",
        "quality_system.measure_moved",
        "quality_system.measure_updated",
        "quality_system.measure_deleted",
    ]


def test_orientations_and_plan_sections_reorder_with_htmx(app, client, world):
    orientation_id, _ = first(
        app, world, QualityOrientation, QualityOrientation.is_default.is_(False)
    )
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    response = client.post(
        f"{BASE}/orientations/{orientation_id}/move", data={"direction": "up"}, headers=HX
    )
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and 'id="orientations"' in body
    assert body.index("Власний орієнтир Альфа") < body.index("Забезпечення академічної свободи")

    plan_id, _ = first(app, world, AnnualPlan)
    response = client.post(
        f"{BASE}/plans/annual/{plan_id}/sections/new",
        data={"section-title": "Методична робота"},
        headers=HX,
    )
    assert response.status_code == 200
    section_id, _ = first(
        app, world, AnnualPlanSection, AnnualPlanSection.title == "Методична робота"
    )
    response = client.post(
        f"{BASE}/plan-sections/{section_id}/move", data={"direction": "up"}, headers=HX
    )
    body = response.get_data(as_text=True)
    assert body.index("Методична робота") < body.index("Розділ Альфа")


def test_a_statutory_component_cannot_be_deleted(app, client, world):
    component_id, version = statutory_component(app, world)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    before = snapshot(app)
    response = client.post(f"{BASE}/components/{component_id}/delete", data={"version": version})
    assert response.status_code == 422
    assert "не можна вилучити" in unescape(response.get_data(as_text=True))
    assert snapshot(app) == before
    body = client.get(f"{BASE}/components/{component_id}").get_data(as_text=True)
    assert "Вилучити компонент" not in body


def test_an_own_component_is_added_described_and_deleted(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    count = audit_count(app)
    response = client.post(
        BASE + "/components/new",
        data={"component-title": "Харчування дітей", "component-description": "Опис"},
    )
    assert response.status_code == 303
    component_id = int(re.search(r"/components/(\d+)$", response.headers["Location"]).group(1))
    response = client.post(
        f"{BASE}/components/{component_id}/edit",
        data={
            "component-title": "Організація харчування",
            "component-description": "Опис",
            "component-policies": "Збалансоване меню",
            "component-version": "1",
        },
        headers=HX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Збалансоване меню" in body
    response = client.post(f"{BASE}/components/{component_id}/delete", data={"version": "2"})
    assert response.status_code == 303
    assert audit_since(app, count) == [
        "quality_system.component_created",
        "quality_system.component_updated",
        "quality_system.component_deleted",
    ]


# Refused input: messages beside the fields, nothing saved


def bad_inputs(app, world):
    component_id, component_version = own_component(app, world)
    measure_id, measure_version = first(app, world, QualityMeasure)
    orientation_id, orientation_version = first(app, world, QualityOrientation)
    plan_id, plan_version = first(app, world, AnnualPlan)
    section_id, section_version = first(app, world, AnnualPlanSection)
    programme_id, programme_version = first(app, world, DevelopmentProgramme)
    _, features_version = first(app, world, InstitutionFeatures)
    _, policy_version = first(app, world, QualityPolicy)
    model_id, model_version = first(app, world, SelfAssessmentModel)
    year = services.current_school_year()
    level = {
        "levels-0-name": "високий",
        "levels-0-colour": "level-1",
        "levels-0-min_score": "3,6",
        "levels-1-name": "низький",
        "levels-1-colour": "level-4",
        "levels-1-min_score": "",
    }
    return [
        (
            "/components/new",
            {"component-title": " "},
            {"component-title": "Вкажіть назву компонента."},
        ),
        (
            f"/components/{component_id}/edit",
            {"component-title": "", "component-version": component_version},
            {"component-title": "Вкажіть назву компонента."},
        ),
        (
            f"/components/{component_id}/measures/new",
            {"measure-action": "", "measure-timing": "", "measure-responsible_role": ""},
            {
                "measure-action": "Опишіть, що робиться.",
                "measure-timing": "Вкажіть, коли або як часто виконується захід.",
                "measure-responsible_person": "Вкажіть роль або особу, відповідальну за захід.",
            },
        ),
        (
            f"/measures/{measure_id}/edit",
            measure_data(
                **{"measure-responsible_role": "космонавт", "measure-version": measure_version}
            ),
            {"measure-responsible_role": "Недійсний варіант."},
        ),
        (
            "/policy/edit",
            {"policy-goal": "  ", "policy-version": policy_version},
            {"policy-goal": "Сформулюйте основну мету політики."},
        ),
        (
            "/policy/orientations/new",
            {"orientation-text": ""},
            {"orientation-text": "Сформулюйте орієнтир."},
        ),
        (
            f"/orientations/{orientation_id}/edit",
            {"orientation-text": "", "orientation-version": orientation_version},
            {"orientation-text": "Сформулюйте орієнтир."},
        ),
        (
            "/features/edit",
            {
                "settlement_type": "мегаполіс",
                "group_count": "-2",
                "child_count": "багато",
                "teacher_count": "2,5",
                "version": features_version,
            },
            {
                "settlement_type": "Недійсний варіант.",
                "group_count": "Введіть ціле число від 0 до 100.",
                "child_count": "Введіть ціле число, наприклад 6.",
                "teacher_count": "Введіть ціле число, наприклад 6.",
            },
        ),
        (
            "/levels/new",
            {"title": "Шкала", "min_score": "1", "max_score": "4", "version": "1"}
            | level
            | {"levels-1-min_score": "2", "levels-0-min_score": "4,5"},
            {
                "levels-0-min_score": "Поріг має бути більшим за 1,00 і не більшим за 4,00.",
                "levels-1-min_score": (
                    "Найнижчий рівень починається з мінімального бала шкали (1,00)."
                ),
            },
        ),
        (
            "/levels/new",
            {"title": "", "min_score": "4", "max_score": "один", "version": "1"} | level,
            {
                "title": "Вкажіть назву шкали.",
                "max_score": "Введіть число, наприклад 3,5.",
            },
        ),
        (
            "/levels/new",
            {"title": "Шкала", "min_score": "1", "max_score": "4", "version": "1"}
            | level
            | {
                "levels-2-name": "середній",
                "levels-2-min_score": "3,7",
                "levels-2-colour": "level-3",
            },
            {"levels-1-min_score": "Вкажіть поріг: найменший бал, з якого починається цей рівень."},
        ),
        (
            "/model/edit",
            {
                "model-kind": "own",
                "model-description": "",
                "model-comprehensive_every": "1",
                "model-plan_start_year": str(year),
                "model-plan_years": "0",
                "model-version": model_version,
            },
            {
                "model-description": "Опишіть власну модель самооцінювання.",
                "model-comprehensive_every": "Введіть ціле число від 2 до 10.",
                "model-plan_years": "Введіть ціле число від 1 до 10.",
            },
        ),
        (
            "/model/plan",
            {"plan-cells": ["1999-9"], "plan-version": model_version},
            {"plan-cells": None},
        ),
        (
            "/plans/annual/new",
            {"school_year": str(year), "title": "Дубль"},
            {"school_year": f"План роботи на {year}/{year + 1} навчальний рік уже є."},
        ),
        (
            f"/plans/annual/{plan_id}/edit",
            {"school_year": "1900", "version": plan_version},
            {"school_year": "Недійсний варіант."},
        ),
        (
            f"/plans/annual/{plan_id}/sections/new",
            {"section-title": ""},
            {"section-title": "Вкажіть назву розділу."},
        ),
        (
            f"/plan-sections/{section_id}/edit",
            {"section-title": "", "section-version": section_version},
            {"section-title": "Вкажіть назву розділу."},
        ),
        (
            "/plans/programmes/new",
            {"title": "", "start_year": "2027", "end_year": "2025"},
            {
                "title": "Вкажіть назву програми розвитку.",
                "end_year": "Рік завершення не може бути раніше за рік початку.",
            },
        ),
        (
            f"/plans/programmes/{programme_id}/edit",
            {"title": "П", "start_year": "2020", "end_year": "2035", "version": programme_version},
            {"end_year": "Програма розвитку триває не довше 10 років (як правило, 3–5)."},
        ),
    ], model_id


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "htmx"])
def test_bad_input_is_refused_beside_the_fields(app, client, world, fragment):
    cases, _ = bad_inputs(app, world)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    before = snapshot(app)
    for path, data, expected in cases:
        response = client.post(BASE + path, data=data, headers=HX if fragment else {})
        body = response.get_data(as_text=True)
        assert response.status_code == 422, path
        assert "Форму не збережено: виправте позначені поля." in body, path
        for field_id, message in expected.items():
            shown = error_beside(body, field_id)
            if message is not None:
                assert shown == message, f"{path} {field_id}: {shown}"
        # What the person typed stays in the form.
        for name, value in data.items():
            if (
                name.endswith(("title", "text", "action"))
                and isinstance(value, str)
                and value.strip()
            ):
                assert unescape(value) in unescape(body), f"{path} lost {name}"
    assert snapshot(app) == before


# Concurrent edits: the second save is refused and keeps its text


def concurrent_cases(app, world):
    component_id, component_version = statutory_component(app, world)
    measure_id, measure_version = first(app, world, QualityMeasure)
    orientation_id, orientation_version = first(app, world, QualityOrientation)
    plan_id, plan_version = first(app, world, AnnualPlan)
    section_id, section_version = first(app, world, AnnualPlanSection)
    programme_id, programme_version = first(app, world, DevelopmentProgramme)
    _, features_version = first(app, world, InstitutionFeatures)
    _, policy_version = first(app, world, QualityPolicy)
    _, model_version = first(app, world, SelfAssessmentModel)
    year = services.current_school_year()

    def model(text):
        return {
            "model-kind": "own",
            "model-description": text,
            "model-comprehensive_every": "5",
            "model-plan_start_year": str(year),
            "model-plan_years": "5",
            "model-version": model_version,
        }

    def scale(text):
        return {
            "title": text,
            "min_score": "1",
            "max_score": "4",
            "version": "1",
            "levels-0-name": "високий",
            "levels-0-colour": "level-1",
            "levels-0-min_score": "3",
            "levels-1-name": "низький",
            "levels-1-colour": "level-4",
        }

    return [
        (
            f"/components/{component_id}/edit",
            lambda text: {"component-description": text, "component-version": component_version},
        ),
        (
            f"/measures/{measure_id}/edit",
            lambda text: measure_data(
                **{"measure-action": text, "measure-version": measure_version}
            ),
        ),
        ("/policy/edit", lambda text: {"policy-goal": text, "policy-version": policy_version}),
        (
            f"/orientations/{orientation_id}/edit",
            lambda text: {"orientation-text": text, "orientation-version": orientation_version},
        ),
        ("/features/edit", lambda text: {"staff_features": text, "version": features_version}),
        ("/model/edit", model),
        (
            "/model/plan",
            lambda text: {
                "plan-cells": [f"{year}-1"] if "перш" in text else [f"{year}-2"],
                "plan-version": model_version,
            },
        ),
        ("/levels/new", scale),
        (
            f"/plans/annual/{plan_id}/edit",
            lambda text: {"school_year": str(year), "title": text, "version": plan_version},
        ),
        (
            f"/plan-sections/{section_id}/edit",
            lambda text: {"section-title": text, "section-version": section_version},
        ),
        (
            f"/plans/programmes/{programme_id}/edit",
            lambda text: {
                "title": text,
                "start_year": "2026",
                "end_year": "2028",
                "version": programme_version,
            },
        ),
    ]


@pytest.mark.parametrize("case", range(11))
def test_a_concurrent_edit_is_refused_and_keeps_the_text(app, world, case):
    path, data = concurrent_cases(app, world)[case]
    director, methodologist = app.test_client(), app.test_client()
    sign_in_as(app, director, world.a.users[Role.DIRECTOR])
    sign_in_as(app, methodologist, world.a.users[Role.METHODOLOGIST])
    # Both opened the same version; the director saves first.
    first_save = director.post(BASE + path, data=data("Текст першого збереження"), headers=HX)
    # In-place editors answer htmx with the fragment; full-page forms redirect.
    assert first_save.status_code in (200, 303), first_save.get_data(as_text=True)[:2000]
    after_first = snapshot(app)
    second = methodologist.post(BASE + path, data=data("Текст другого збереження"), headers=HX)
    body = unescape(second.get_data(as_text=True))
    assert second.status_code == 409
    assert "змінив інший користувач" in body or "зберіг версію" in body
    if "plan" not in path or "annual" in path:
        assert "Текст другого збереження" in body
    assert snapshot(app) == after_first
    # Without htmx the page is shown again, with the same answer.
    page = methodologist.post(BASE + path, data=data("Текст другого збереження"))
    assert page.status_code == 409 and "<html" in page.get_data(as_text=True)


def test_a_stale_delete_is_a_conflict(app, client, world):
    measure_id, version = first(app, world, QualityMeasure)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    client.post(
        f"{BASE}/measures/{measure_id}/edit",
        data=measure_data(**{"measure-version": version}),
        headers=HX,
    )
    response = client.post(f"{BASE}/measures/{measure_id}/delete", data={"version": version})
    assert response.status_code == 409
    assert "змінив інший користувач" in unescape(response.get_data(as_text=True))


# Features, levels, the model


def test_features_are_saved_in_place_and_audited(app, client, world):
    _, version = first(app, world, InstitutionFeatures)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    count = audit_count(app)
    response = client.post(
        BASE + "/features/edit",
        data={
            "settlement_type": "village",
            "group_count": "4",
            "child_count": "0",
            "teacher_count": "",
            "education_language": "українська",
            "version": version,
        },
        headers=HX,
    )
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "<html" not in body
    assert "Особливості закладу збережено." in body and "село" in body
    with tenant_a(app, world):
        features = services.features()
        assert (features.group_count, features.child_count, features.teacher_count) == (4, 0, None)
    assert audit_since(app, count) == ["quality_system.features_updated"]
    overview = unescape(client.get(BASE + "/").get_data(as_text=True))
    assert "Не вказано кількість груп" not in overview
    assert "Не вказано кількість дітей" not in overview
    assert "Не вказано кількість педагогічних працівників" in overview


def test_a_new_scale_version_from_the_form(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    form = client.get(BASE + "/levels/new").get_data(as_text=True)
    assert 'value="перший (високий)"' in form and 'value="3,60"' in form
    count = audit_count(app)
    response = client.post(
        BASE + "/levels/new",
        data={
            "title": "Три рівні",
            "min_score": "0",
            "max_score": "100",
            "version": "1",
            "levels-0-name": "високий",
            "levels-0-colour": "level-1",
            "levels-0-min_score": "75",
            "levels-1-name": "середній",
            "levels-1-colour": "level-3",
            "levels-1-min_score": "40,5",
            "levels-2-name": "низький",
            "levels-2-colour": "level-4",
            "levels-2-min_score": "",
            "levels-3-colour": "level-1",
        },
    )
    assert response.status_code == 303
    assert audit_since(app, count) == ["quality_system.scale_created"]
    page = unescape(client.get(BASE + "/levels").get_data(as_text=True))
    assert "Чинна шкала: «Три рівні»" in page and "40,50 – 74,99" in page
    assert "Версія 1: «Чотири рівні" in page
    with tenant_a(app, world):
        old_id = db.session.scalar(select(LevelScale.id).where(LevelScale.number == 1))
    old = unescape(client.get(f"{BASE}/levels/{old_id}").get_data(as_text=True))
    assert "попередня" in old and "3,60 – 4,00" in old
    default = client.get(BASE + "/levels/new?from=default").get_data(as_text=True)
    assert (
        'value="перший (високий)"' in default
        and 'name="version" type="hidden" value="2"' in default
    )


def test_changing_the_model_refills_the_plan_grid(app, client, world):
    _, version = first(app, world, SelfAssessmentModel)
    year = services.current_school_year()
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    count = audit_count(app)
    response = client.post(
        BASE + "/model/edit",
        data={
            "model-kind": "annual_targeted",
            "model-comprehensive_every": "5",
            "model-plan_start_year": str(year),
            "model-plan_years": "5",
            "model-version": version,
        },
        headers=HX,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="model-plan"' in body
    checked = set(re.findall(r'value="(\d{4}-\d)" checked', body))
    assert checked == {f"{year}-1", f"{year + 1}-2", f"{year + 2}-3", f"{year + 3}-4"} | {
        f"{year + 4}-{d}" for d in (1, 2, 3, 4)
    }
    response = client.post(
        BASE + "/model/plan",
        data={"plan-cells": [f"{year}-3", f"{year}-4"], "plan-version": str(version + 1)},
    )
    assert response.status_code == 303
    overview = unescape(client.get(BASE + "/").get_data(as_text=True))
    assert f"У {year}/{year + 1} н. р.: напрями 3, 4." in overview
    assert audit_since(app, count) == [
        "quality_system.model_updated",
        "quality_system.plan_updated",
    ]


def test_missing_defaults_can_be_added_from_the_overview(app, client, world):
    with tenant_a(app, world):
        db.session.delete(services.features())
        db.session.commit()
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    body = client.get(BASE + "/").get_data(as_text=True)
    assert "Додати типові налаштування" in body
    assert client.get(BASE + "/features").status_code == 404
    response = client.post(BASE + "/set-up")
    assert response.status_code == 303
    assert client.get(BASE + "/features").status_code == 200
