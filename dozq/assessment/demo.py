"""Demo content of self-assessment for the first institution: last school year's
comprehensive cycle, closed, and this year's cycle by the sections of the annual
plan («блокова система») at the rating step — with evidence of every kind,
photos, ratings, findings, a council meeting, decisions, a request to the founder,
a teacher's development need and a review of the quality system's procedures.
Idempotent, like the rest of the demo."""

import io
from datetime import date, datetime, time, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from dozq.assessment import queries, services
from dozq.assessment.models import (
    AssessmentCycle,
    CycleStatus,
    CycleTemplate,
    CycleTransition,
    DecisionStatus,
    ScopeKind,
)
from dozq.auth.models import User
from dozq.catalog.models import CatalogItem
from dozq.db import db
from dozq.quality_system.models import (
    AnnualPlan,
    DevelopmentProgramme,
    ModelKind,
    QualityComponent,
)
from dozq.quality_system.services import current_school_year
from dozq.tenancy.models import Role
from dozq.tenancy.scope import Scope, tenant_scope
from dozq.web.filters import KYIV

#: Scores given in turn to the indicators, so the levels vary like a real report's.
SCORES = ("3.8", "3.5", "3.2", "3.6", "2.9", "3.4", "2.4", "3.7", "3.0", "3.3")
PREVIOUS_SCORES = ("3.5", "3.2", "3.0", "3.4", "2.5", "3.1", "2.2", "3.6", "2.8", "3.0")

#: Sections of the annual plan (quality_system.demo) and the requirement each covers.
BLOCKS = {
    "Аналіз роботи за минулий навчальний рік": "4.1",
    "Методична робота з кадрами": "3.С3",
    "Організаційно-педагогічна робота": "2.С1",
    "Взаємодія з родинами вихованців": "1.С3",
    "Адміністративно-господарська діяльність": "1.С1",
}


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _photo(label: str, colour: tuple[int, int, int]) -> FileStorage:
    image = Image.new("RGB", (640, 480), colour)
    ImageDraw.Draw(image).rectangle((40, 40, 600, 440), outline=(255, 255, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return FileStorage(io.BytesIO(buffer.getvalue()), filename=f"{label}.jpg")


_photos = iter(range(1, 1000))


def _numbered(label: str) -> str:
    """Phone-like names with a number: «фото-3»."""
    return f"{label}-{next(_photos)}"


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10, 0), tzinfo=KYIV)


def load_assessment_demo(founder, emails: dict[str, str]) -> None:
    """For the founder's first institution; ``emails``: role value → e-mail there."""
    from dozq.tenancy.services import all_institutions

    institutions = [i for i in all_institutions() if i.founder_id == founder.id]
    if not institutions:
        return
    institution = min(institutions, key=lambda found: found.id)
    people = {role: _user(emails.get(role.value, "")) for role in Role}
    if people[Role.FOUNDER_ADMIN] is not None:
        _founder_template(founder, institutions, people[Role.FOUNDER_ADMIN])
    if any(people[role] is None for role in (Role.DIRECTOR, Role.METHODOLOGIST, Role.TEACHER)):
        return
    with tenant_scope(db.session, Scope.for_institution(institution)):
        if db.session.scalar(select(AssessmentCycle.id).limit(1)) is not None:
            return
        if services.active_catalog() is None:
            return
        year = current_school_year()
        previous = _previous_cycle(people, year - 1)
        _current_cycle(people, year, previous)
        db.session.flush()


def _founder_template(founder, institutions, founder_admin) -> None:
    """A targeted self-assessment the founder has prepared for next school year and
    not launched yet: the founder's page shows how it is offered."""
    ids = [institution.id for institution in institutions]
    with tenant_scope(db.session, Scope.for_founder(founder.id, ids)):
        if db.session.scalar(select(CycleTemplate.id).limit(1)) is not None:
            return
        year = current_school_year() + 1
        services.create_cycle_template(
            founder_admin,
            {
                "title": f"Самооцінювання освітнього середовища та освітнього процесу, "
                f"{year}/{year + 1}",
                "model_kind": ModelKind.ANNUAL_TARGETED.value,
                "school_year": year,
                "starts_on": date(year, 10, 1),
                "ends_on": date(year + 1, 4, 30),
                "scope_kind": "items",
                "direction_codes": ["1", "3"],
                "note": "Просимо включити до річного плану роботи та оприлюднити результати "
                "до 31 травня.",
            },
        )


def _indicators(cycle) -> list:
    return queries.results(cycle, with_previous=False).indicators


def _item(cycle, code: str) -> CatalogItem | None:
    return db.session.scalar(
        select(CatalogItem).where(
            CatalogItem.catalog_id == cycle.catalog_id, CatalogItem.code == code
        )
    )


def _template(key: str):
    return next(t for t in queries.templates() if t.source_key == key)


def _observe(
    actor,
    cycle,
    key,
    day,
    group,
    indicator_ids,
    marks,
    observers,
    observed=None,
    external="",
    photo=None,
    body="",
):
    template = _template(key)
    marks = (list(marks) + [None] * len(template.items))[: len(template.items)]
    return services.record_observation(
        actor,
        cycle,
        template,
        {
            "occurred_on": day,
            "group_name": group,
            "external_observers": external,
            "marks": [(mark, comment) for mark, comment in marks_with_comments(marks)],
            "body": body,
            "indicator_ids": indicator_ids,
        },
        observers=observers,
        observed_user=observed,
        uploads=[photo] if photo else [],
    )


def marks_with_comments(marks):
    comments = {
        3: "Повністю відповідає.",
        2: "Здебільшого; є окремі зауваження.",
        1: "Частково: потребує уваги.",
        0: "Не виявлено.",
    }
    return [(mark, comments.get(mark, "") if mark is not None else "") for mark in marks]


def _rate_all(actor, cycle, indicators, scores, share=1.0):
    count = int(len(indicators) * share)
    for index, node in enumerate(indicators[:count]):
        services.rate_indicator(
            actor,
            cycle,
            db.session.get(CatalogItem, node.id),
            {
                "score": scores[index % len(scores)],
                "narrative": (
                    "Спостереження та вивчення документації засвідчили стабільну практику; "
                    "анкетування батьків підтверджує."
                ),
                "justification": "Бал відповідає зібраним доказам і опису рівня.",
            },
            0,
        )


def _backdate(cycle, days: list[date]) -> None:
    steps = db.session.scalars(
        select(CycleTransition)
        .where(CycleTransition.cycle_id == cycle.id)
        .order_by(CycleTransition.id)
    ).all()
    for step, day in zip(steps, days, strict=False):
        step.at = _at(day)


def _previous_cycle(people, year: int) -> AssessmentCycle:
    director, methodologist = people[Role.DIRECTOR], people[Role.METHODOLOGIST]
    teacher, staff = people[Role.TEACHER], people[Role.STAFF]
    cycle = services.create_cycle(
        director,
        {
            "title": f"Комплексне самооцінювання {year}/{year + 1}",
            "school_year": year,
            "starts_on": date(year, 10, 1),
            "ends_on": date(year + 1, 5, 31),
            "model_kind": "annual_comprehensive",
            "scope_kind": "all",
            "order_number": "№ 58-о/д",
            "order_date": date(year, 9, 25),
        },
    )
    directions = {item.code: item for item in queries.directions_and_requirements(cycle)}
    services.add_member(director, cycle, {"group_role": "head"}, methodologist)
    services.add_member(
        director, cycle, {"responsibility": "Освітнє середовище"}, teacher, directions.get("1")
    )
    if staff is not None:
        services.add_member(
            director, cycle, {"responsibility": "Анкетування батьків"}, staff, directions.get("2")
        )
    services.fill_method_plan(director, cycle, _indicators(cycle))
    services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
    indicators = _indicators(cycle)
    first_ids = [node.id for node in indicators[:3]]
    _observe(
        methodologist,
        cycle,
        "environment",
        date(year, 11, 12),
        "«Сонечко» (старша)",
        first_ids,
        [3, 2, 3, 3, 2, 3],
        [methodologist, director],
        external="Ганна Мельник, голова батьківського комітету",
        photo=_photo(_numbered("середовище-минулий-рік"), (70, 140, 90)),
    )
    services.record_staff_evidence(
        teacher,
        cycle,
        {
            "occurred_on": date(year, 12, 3),
            "body": "Новий куточок експериментування в групі «Бджілка».",
            "indicator_ids": [indicators[5].id],
        },
        [_photo(_numbered("куточок"), (200, 150, 60))],
    )
    services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.GENERALISING)
    services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.RATING)
    _rate_all(methodologist, cycle, indicators, PREVIOUS_SCORES)
    for code in ("1", "2", "3", "4"):
        if directions.get(code):
            services.save_conclusion(
                methodologist,
                cycle,
                directions[code],
                {
                    "achievements": "Стабільна практика, підтверджена спостереженнями.",
                    "difficulties": "Недостатньо цифрових засобів навчання.",
                    "trends": "Позитивна динаміка порівняно з попередніми роками.",
                },
                0,
            )
    services.record_council_discussion(
        director,
        cycle,
        {
            "held_on": date(year + 1, 5, 27),
            "protocol_number": "№ 4",
            "attendance": "18 з 19 педагогічних працівників",
            "agenda": "1. Про результати самооцінювання освітніх і управлінських процесів.",
            "decisions": "1. Схвалити результати самооцінювання. 2. Визначити пріоритетом "
            "цифрові засоби навчання.",
        },
    )
    services.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
    done = services.add_decision(
        director,
        cycle,
        {
            "kind": "action",
            "what": "Провести семінар-практикум з використання цифрових технологій",
            "responsible": "вихователь-методист",
            "due_on": date(year + 1, 10, 30),
        },
    )
    services.update_decision(
        director, done, {"status": DecisionStatus.DONE, "outcome": "Проведено 15.10."}, done.version
    )
    services.add_decision(
        director,
        cycle,
        {
            "kind": "action",
            "what": "Облаштувати сенсорну кімнату для дітей з особливими освітніми потребами",
            "responsible": "директор, завгосп",
            "due_on": date(year + 2, 3, 1),
        },
    )
    request = services.add_founder_request(
        director,
        cycle,
        {
            "topic": "repairs",
            "subject": "Ремонт покрівлі над музичною залою",
            "text": "Просимо передбачити в бюджеті ремонт покрівлі: під час дощів протікає.",
            "justification": "Вимога 1.С1: безпечні умови перебування дітей.",
        },
    )
    services.send_founder_request(director, request)
    founder_admin = people.get(Role.FOUNDER_ADMIN)
    if founder_admin is not None:
        services.answer_founder_request(
            founder_admin,
            request,
            {"answer": "Ремонт покрівлі включено до плану капітальних ремонтів на літо."},
            request.version,
        )
    services.transition(
        director,
        Role.DIRECTOR,
        cycle,
        CycleStatus.PUBLISHED,
        publication_url="https://sonechko.example.com/samootsiniuvannia",
    )
    services.transition(director, Role.DIRECTOR, cycle, CycleStatus.CLOSED)
    _backdate(
        cycle,
        [
            date(year, 9, 25),
            date(year, 10, 1),
            date(year + 1, 4, 1),
            date(year + 1, 4, 20),
            date(year + 1, 5, 27),
            date(year + 1, 6, 5),
            date(year + 1, 6, 30),
        ],
    )
    return cycle


def _current_cycle(people, year: int, previous) -> AssessmentCycle:
    director, methodologist = people[Role.DIRECTOR], people[Role.METHODOLOGIST]
    teacher, staff = people[Role.TEACHER], people[Role.STAFF]
    today = datetime.now(KYIV).date()
    start = date(year, 10, 1)
    cycle = services.create_cycle(
        director,
        {
            "title": f"Самооцінювання {year}/{year + 1} за розділами плану роботи",
            "school_year": year,
            "starts_on": start,
            "ends_on": date(year + 1, 5, 31),
            "model_kind": "annual_targeted",
            "scope_kind": "plan_sections",
            "includes_system_review": True,
            "order_number": "№ 61-о/д",
            "order_date": date(year, 9, 26),
        },
    )
    plan = db.session.scalar(select(AnnualPlan).where(AnnualPlan.school_year == year))
    if plan is not None:
        links = [
            (section, _item(cycle, BLOCKS[section.title]))
            for section in plan.sections
            if section.title in BLOCKS and _item(cycle, BLOCKS[section.title]) is not None
        ]
        services.set_scope(director, cycle, ScopeKind.PLAN_SECTIONS, (), links)
    else:
        services.set_scope(
            director, cycle, ScopeKind.ITEMS, [_item(cycle, code).id for code in ("1.С1", "3.С3")]
        )
    services.add_member(
        director, cycle, {"group_role": "head", "responsibility": "Координація"}, methodologist
    )
    services.add_member(
        director,
        cycle,
        {"responsibility": "Спостереження за освітнім середовищем"},
        teacher,
        _item(cycle, "1.С1"),
    )
    services.add_member(
        director,
        cycle,
        {
            "name": "Ганна Мельник, голова батьківського комітету",
            "responsibility": "Спостереження за освітнім середовищем",
        },
    )
    services.fill_method_plan(director, cycle, _indicators(cycle))
    services.transition(director, Role.DIRECTOR, cycle, CycleStatus.COLLECTING)
    indicators = _indicators(cycle)
    ids = [node.id for node in indicators]
    day = min(start + timedelta(days=20), today)
    _observe(
        teacher,
        cycle,
        "environment",
        day,
        "«Бджілка» (середня)",
        ids[:2],
        [3, 3, 2, 3, 2, 3],
        [teacher, methodologist],
        external="Ганна Мельник, голова батьківського комітету",
        photo=_photo(_numbered("освітнє-середовище"), (60, 120, 180)),
        body="Приміщення світлі, обладнання безпечне; бракує маркування для дітей "
        "з порушеннями зору.",
    )
    observation = _observe(
        methodologist,
        cycle,
        "organised_forms",
        day,
        "«Сонечко» (старша)",
        ids[2:4],
        [3, 2, 1, 2, 3, None],
        [methodologist],
        observed=teacher,
        body="Заняття з ознайомлення з природою: діти активні; цифрові засоби "
        "майже не використано.",
    )
    _observe(
        methodologist,
        cycle,
        "independent_activity",
        day,
        "«Зайчики» (молодша)",
        ids[4:5],
        [2, 3, 3, 2, 2, 3],
        [methodologist, director],
    )
    services.add_development_need(
        methodologist,
        observation,
        cycle,
        teacher,
        {
            "need": "Використання цифрових технологій під час занять з дітьми старшого віку.",
            "support": "Взаємовідвідування занять колеги; вебінар у листопаді.",
        },
    )
    services.record_document_study(
        methodologist,
        cycle,
        _template("teacher_plans"),
        {
            "occurred_on": day,
            "document_title": "План освітньої роботи групи «Сонечко» на жовтень",
            "marks": marks_with_comments([3, 3, 2, 3, 2, None, 1]),
            "indicator_ids": ids[2:4],
        },
    )
    services.record_document_study(
        methodologist,
        cycle,
        _template("council_protocols"),
        {
            "occurred_on": day,
            "document_title": "Протоколи засідань педагогічної ради за минулий навчальний рік",
            "marks": marks_with_comments([3, 2, 3, 2, 2, 3, 3]),
            "indicator_ids": ids[-2:],
        },
    )
    services.record_interview(
        methodologist,
        cycle,
        {
            "interview_kind": "focus_group",
            "title": "Взаємодія з родинами",
            "occurred_on": day,
            "respondents": "батьки вихованців середньої та старшої груп",
            "participants_count": 8,
            "questions": "1. Як ви дізнаєтеся про життя групи?\n2. Що варто змінити?",
            "respondents_informed": True,
            "recording_method": "протокол, який веде секретар робочої групи",
            "body": "Батьки цінують щоденні фото в чаті групи; пропонують частіше "
            "проводити спільні свята.",
            "indicator_ids": ids[-3:],
        },
    )
    services.record_monitoring(
        methodologist,
        cycle,
        {
            "monitoring_source": "authority",
            "source_name": "Відділ освіти Сонячненської міської ради",
            "occurred_on": day,
            "title": "Моніторинг безпечності освітнього середовища",
            "body": "Порушень не виявлено; рекомендовано оновити інструкції з безпеки.",
            "indicator_ids": ids[:1],
        },
    )
    for colour, text in (
        ((220, 120, 60), "Осінній ярмарок разом з батьками."),
        ((90, 170, 110), "Оновлений майданчик для рухливих ігор."),
    ):
        services.record_staff_evidence(
            staff or teacher,
            cycle,
            {"occurred_on": day, "body": text, "indicator_ids": ids[:1]},
            [_photo(_numbered("доказ"), colour)],
        )
    services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.GENERALISING)
    services.transition(methodologist, Role.METHODOLOGIST, cycle, CycleStatus.RATING)
    _rate_all(methodologist, cycle, indicators, SCORES, share=0.7)
    scale = cycle.scale
    for code, override in (("1.С1", False), ("3.С3", True)):
        item = _item(cycle, code)
        if item is None:
            continue
        services.save_conclusion(
            methodologist,
            cycle,
            item,
            {
                "achievements": "Безпечні умови; активна участь батьків у житті закладу.",
                "difficulties": "Цифрові засоби навчання використовують не всі педагоги.",
                "trends": "Позитивна динаміка порівняно з минулим роком.",
                "override_reason": (
                    "Робоча група врахувала результати зовнішнього моніторингу." if override else ""
                ),
            },
            0,
            scale.levels[1] if override and scale else None,
        )
    services.record_council_discussion(
        director,
        cycle,
        {
            "held_on": today,
            "protocol_number": "№ 2",
            "attendance": "17 з 19 педагогічних працівників",
            "agenda": "1. Про попередні результати самооцінювання за розділами плану роботи.",
            "decisions": "1. Взяти до відома попередні результати. 2. Завершити визначення "
            "рівнів до кінця місяця.",
            "remarks": "Запропоновано залучити батьків до обговорення результатів.",
        },
    )
    services.add_discussion(
        director,
        cycle,
        {
            "kind": "parents",
            "held_on": today,
            "participants": "батьківський комітет (7 осіб)",
            "remarks": "Підтримують облаштування сенсорної кімнати; просять інформувати "
            "про результати на сайті.",
        },
    )
    direction = _item(cycle, "1")
    if direction is not None:
        services.add_decision(
            director,
            cycle,
            {"kind": "priority", "what": "Цифрові засоби навчання в освітньому середовищі"},
            direction,
        )
    section = plan.sections[1] if plan is not None and len(plan.sections) > 1 else None
    if section is not None:
        services.add_decision(
            director,
            cycle,
            {
                "kind": "annual_plan",
                "what": "Додати до розділу «Методична робота з кадрами» майстер-клас із "
                "цифрових технологій",
                "responsible": "вихователь-методист",
                "due_on": today + timedelta(days=60),
            },
            section=section,
        )
    programme = db.session.scalar(select(DevelopmentProgramme))
    if programme is not None:
        services.add_decision(
            director,
            cycle,
            {
                "kind": "programme",
                "what": "Доповнити програму розвитку заходами з інклюзивного середовища",
                "responsible": "директор",
                "due_on": today + timedelta(days=120),
            },
            programme=programme,
        )
    request = services.add_founder_request(
        director,
        cycle,
        {
            "topic": "resources",
            "subject": "Інтерактивна панель для старшої групи",
            "text": "Просимо забезпечити заклад інтерактивною панеллю.",
            "justification": "Вимога 3.С3: педагоги потребують цифрових засобів навчання.",
        },
    )
    services.send_founder_request(director, request)
    for component in db.session.scalars(
        select(QualityComponent).order_by(QualityComponent.position).limit(2)
    ):
        services.save_procedure_review(
            director,
            cycle,
            component,
            {
                "verdict": "partly" if component.position == 1 else "effective",
                "finding": "Процедуру описано; не всі заходи виконано вчасно.",
                "proposal": "Визначити відповідальних за кожен захід.",
            },
            0,
        )
    _backdate(cycle, [date(year, 9, 26), start, day, day])
    return cycle
