"""Shared helpers of the questionnaire tests (no tests here): a questionnaire with a
question of every kind in a tenant of the test world, and answers generated for it."""

import random
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from dozq.auth.models import User
from dozq.db import db
from dozq.surveys import services
from dozq.surveys.models import (
    Channel,
    QuestionKind,
    SurveyAudience,
    SurveyGroup,
    SurveyQuestion,
    SurveyResponse,
)
from dozq.surveys.ratelimit import limiter
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope


@contextmanager
def in_tenant(app, tenant):
    """An app context working in ``tenant``'s institution scope."""
    with app.app_context():
        institution = db.session.get(
            Institution, tenant.institution_id, execution_options={"all_tenants": True}
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            yield institution


def director(tenant) -> User:
    return db.session.get(User, tenant.users[Role.DIRECTOR])


@dataclass
class Built:
    """Ids of a questionnaire built for a test (usable across sessions)."""

    questionnaire_id: int
    token: str | None
    #: kind → question id
    questions: dict[str, int] = field(default_factory=dict)
    #: question id → option ids in order
    options: dict[int, list[int]] = field(default_factory=dict)
    groups: list[int] = field(default_factory=list)
    group_tokens: dict[int, str] = field(default_factory=dict)


KINDS = ("scale", "yes_partly_no", "single", "multiple", "semi_closed", "open")


def build_questionnaire(
    app,
    tenant,
    *,
    title: str = "Анкета для перевірки",
    publish: bool = True,
    groups: int = 0,
    opens: date | None = None,
    closes: date | None = None,
    min_group_size: int = 5,
) -> Built:
    """A questionnaire with one question of every kind (the open one optional)."""
    with in_tenant(app, tenant):
        actor = director(tenant)
        questionnaire = services.create_questionnaire(
            actor, {"title": title, "audience": "parents", "introduction": "Вступ"}
        )
        questionnaire.min_group_size = min_group_size
        section = questionnaire.sections[0]
        specs = {
            "scale": services.QuestionSpec(
                QuestionKind.SCALE,
                "Наскільки вам подобається заклад?",
                scale_points=4,
                scale_labels=services.DEFAULT_SCALE_LABELS[4],
            ),
            "yes_partly_no": services.QuestionSpec(
                QuestionKind.YES_PARTLY_NO, "Чи знаєте ви правила закладу?"
            ),
            "single": services.QuestionSpec(
                QuestionKind.SINGLE,
                "Як часто ви спілкуєтеся з вихователем?",
                options=["Щодня", "Щотижня", "Рідко"],
                positive={"Щодня", "Щотижня"},
            ),
            "multiple": services.QuestionSpec(
                QuestionKind.MULTIPLE,
                "Що вам подобається?",
                options=["Харчування", "Прогулянки", "Заняття", "Свята"],
                positive={"Заняття"},
            ),
            "semi_closed": services.QuestionSpec(
                QuestionKind.SEMI_CLOSED,
                "Звідки ви дізнаєтеся новини закладу?",
                options=["Сайт", "Месенджер"],
                allow_many=False,
            ),
            "open": services.QuestionSpec(QuestionKind.OPEN, "Що варто змінити?", required=False),
        }
        built = Built(questionnaire.id, None)
        for kind in KINDS:
            question = services.add_question(actor, questionnaire, section, specs[kind])
            built.questions[kind] = question.id
            built.options[question.id] = [option.id for option in question.options]
        for number in range(groups):
            group = services.save_group(
                actor, None, {"name": f"Тестова група {number + 1}", "expected_respondents": 20}
            )
            built.groups.append(group.id)
        if publish:
            today = services.today()
            link = services.publish(
                actor,
                questionnaire,
                opens or today - timedelta(days=1),
                closes or today + timedelta(days=30),
            )
            built.token = link.token
            for group_id in built.groups:
                group = db.session.get(SurveyGroup, group_id)
                built.group_tokens[group_id] = services.add_link(
                    actor, questionnaire, group, SurveyAudience.PARENTS
                ).token
        db.session.commit()
    return built


def valid_form(built: Built, rng: random.Random | None = None, key: str | None = None) -> dict:
    """A complete, valid submission (random answers when ``rng`` is given)."""
    rng = rng or random.Random(0)
    form = {}
    for kind in KINDS:
        question_id = built.questions[kind]
        options = built.options[question_id]
        name = f"q{question_id}"
        if kind == "open":
            form[name] = rng.choice(["", "Більше прогулянок", "Усе добре"])
        elif kind == "multiple":
            form[name] = [str(option) for option in rng.sample(options, rng.randint(1, 3))]
        elif kind == "semi_closed":
            choice = rng.choice(options)
            form[name] = str(choice)
            if choice == options[-1]:
                form[f"{name}_other"] = "Від сусідів"
        else:
            form[name] = str(rng.choice(options))
    if key:
        form["_key"] = key
    return form


def response_count(app, tenant) -> int:
    with in_tenant(app, tenant):
        return db.session.scalar(select(func.count(SurveyResponse.id)))


def generate_answers(app, tenant, built: Built, count: int, seed: int = 1, years=(0,)) -> list:
    """``count`` responses stored through the service (the tally follows), spread over
    groups and school years; returns what each respondent chose, to count by hand."""
    rng = random.Random(seed)
    generated = []
    with in_tenant(app, tenant):
        structure = {
            question.id: question for question in services.load_structure(built.questionnaire_id)
        }
        questionnaire = structure[built.questions["scale"]].questionnaire
        today = services.today()
        for _ in range(count):
            group_id = rng.choice([None, *built.groups]) if built.groups else None
            day = today - timedelta(days=365 * rng.choice(years))
            answers, record = [], {}
            for kind in KINDS:
                question = structure[built.questions[kind]]
                options = question.options
                if kind == "open":
                    if rng.random() < 0.5:
                        text = rng.choice(["Більше прогулянок", "ДОДАТИ гуртки", "усе добре"])
                        answers.append(services.Answer(question, text=text))
                        record[kind] = text
                    continue
                if kind == "multiple":
                    chosen = rng.sample(options, rng.randint(1, 3))
                elif rng.random() < 0.1 and not question.required:
                    continue
                else:
                    chosen = [rng.choice(options)]
                other = "Інше джерело" if any(option.is_other for option in chosen) else None
                answers.append(services.Answer(question, options=chosen, other_text=other))
                record[kind] = [option.id for option in chosen]
            services.store_response(
                questionnaire,
                answers,
                channel=Channel.ONLINE,
                audience=SurveyAudience.PARENTS,
                group_id=group_id,
                on=day,
            )
            generated.append(
                {"group": group_id or 0, "year": services.school_year_of(day), "answers": record}
            )
        db.session.commit()
    return generated


def reset_limits():
    limiter.reset()


def questions_of(app, tenant, built: Built) -> dict[int, SurveyQuestion]:
    with in_tenant(app, tenant):
        return {
            question.id: question for question in services.load_structure(built.questionnaire_id)
        }
