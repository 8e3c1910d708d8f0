"""Demo questionnaires of the founder's first institution: the parents' questionnaire
from the library, published, with a few hundred answers over two school years (so
results, small-group hiding and dynamics show), paper ones among them; the
teachers' one as a draft; a sheet of single-use codes. Idempotent."""

import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from dozq.auth.models import User
from dozq.db import db
from dozq.surveys import services
from dozq.surveys.models import (
    Channel,
    QuestionKind,
    Questionnaire,
    SurveyAnswer,
    SurveyAudience,
    SurveyResponse,
)
from dozq.tenancy.models import Role
from dozq.tenancy.scope import Scope, tenant_scope

#: (name, families); the last one is small on purpose: its answers stay hidden.
GROUPS = [
    ("Бджілки (ясельна група)", 18),
    ("Сонечко (молодша група)", 24),
    ("Зірочки (середня група)", 25),
    ("Веселка (старша група)", 26),
    ("Ромашка (група короткотривалого перебування)", 8),
]
#: Answers per group in the previous and the current school year.
ANSWERS = [(14, 15), (20, 22), (19, 23), (21, 24), (1, 2)]
OPEN_ANSWERS = [
    "Більше прогулянок на свіжому повітрі",
    "Хотілося б частіше отримувати фото з занять у групі",
    "Додати гурток англійської мови",
    "Оновити ігровий майданчик",
    "Усе подобається, дякуємо вихователям!",
    "Частіше проводити батьківські збори онлайн",
    "Покращити меню: більше фруктів",
    "Встановити навіс на майданчику від сонця",
]


def load_survey_demo(founder, emails: dict[str, str]) -> None:
    """For the founder's first institution; ``emails``: role value → e-mail there."""
    from dozq.tenancy.services import all_institutions

    institutions = [i for i in all_institutions() if i.founder_id == founder.id]
    if not institutions:
        return
    institution = min(institutions, key=lambda found: found.id)
    methodologist = db.session.scalar(
        select(User).where(User.email == emails.get(Role.METHODOLOGIST.value, ""))
    )
    if methodologist is None:
        return
    with tenant_scope(db.session, Scope.for_institution(institution)):
        if db.session.scalar(select(Questionnaire.id).limit(1)) is not None:
            return
        groups = [
            services.save_group(methodologist, None, {"name": name, "expected_respondents": n})
            for name, n in GROUPS
        ]
        parents = services.copy_library(methodologist, "parents_satisfaction")
        parents.school_year = services.school_year_of(services.today()) - 1
        parents.expected_respondents = sum(n for _name, n in GROUPS)
        today = services.today()
        services.publish(
            methodologist, parents, today - timedelta(days=14), today + timedelta(days=21)
        )
        for group in groups[:4]:
            services.add_link(methodologist, parents, group, SurveyAudience.PARENTS)
        services.generate_codes(methodologist, parents, 12, groups[2])
        rng = random.Random(2026)
        this_year = services.school_year_of(today)
        for group, (before, now) in zip(groups, ANSWERS, strict=True):
            _answers(parents, group, before, date(this_year - 1, 11, 20), rng, 0.0)
            _answers(parents, group, now, today - timedelta(days=3), rng, 0.15)
        services.rebuild_tally(parents)
        services.copy_library(methodologist, "teachers_quality")
        db.session.flush()


def _answers(questionnaire, group, count: int, day: date, rng: random.Random, lift: float):
    """``count`` plausible answers (mostly positive; ``lift`` more so) by bulk insert."""
    generate_responses(
        questionnaire,
        [group],
        count,
        rng,
        days=[day - timedelta(days=rng.randrange(10)) for _ in range(count)],
        lift=lift,
        paper_share=0.2,
        open_texts=OPEN_ANSWERS,
    )


def generate_responses(
    questionnaire,
    groups,
    count: int,
    rng: random.Random,
    *,
    days=None,
    lift: float = 0.0,
    paper_share: float = 0.0,
    open_texts=("Усе добре",),
) -> None:
    """Insert ``count`` responses with answers in two statements; the caller
    recounts the tally (``services.rebuild_tally``) afterwards."""
    structure = services.load_structure(questionnaire.id)
    today = services.today()
    responses, answers = [], []
    for number in range(count):
        # The position in ``responses``: replaced by the real id once inserted.
        response_id = number
        day = days[number] if days else today
        group = rng.choice(groups) if groups else None
        responses.append(
            {
                "institution_id": questionnaire.institution_id,
                "questionnaire_id": questionnaire.id,
                "submitted_on": day,
                "school_year": services.school_year_of(day),
                "channel": Channel.PAPER if rng.random() < paper_share else Channel.ONLINE,
                "audience": SurveyAudience.PARENTS,
                "group_id": group.id if group is not None else None,
                "submission_key": None,
            }
        )
        for question in structure:
            base = {
                "institution_id": questionnaire.institution_id,
                "response_id": response_id,
                "questionnaire_id": questionnaire.id,
                "question_id": question.id,
            }
            if question.kind is QuestionKind.OPEN:
                if rng.random() < 0.35:
                    text = rng.choice(list(open_texts))
                    answers.append(
                        base
                        | {
                            "option_id": None,
                            "value": None,
                            "text": text,
                            "search_text": text.casefold(),
                        }
                    )
                continue
            if not question.required and rng.random() < 0.3:
                continue
            for option in _choose(question, rng, lift):
                other = "Від інших батьків" if option.is_other else None
                answers.append(
                    base
                    | {
                        "option_id": option.id,
                        "value": option.value,
                        "text": other,
                        "search_text": other.casefold() if other else None,
                    }
                )
    if not responses:
        return
    table = SurveyResponse.__table__
    ids = db.session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), responses
    ).all()
    for answer in answers:
        answer["response_id"] = ids[answer["response_id"]]
    if answers:
        db.session.execute(insert(SurveyAnswer.__table__), answers)


def _choose(question, rng: random.Random, lift: float) -> list:
    options = question.options
    if question.kind is QuestionKind.MULTIPLE:
        picked = [option for option in options[:-1] if rng.random() < 0.45 + lift]
        return picked or [options[-1]]
    if question.kind is QuestionKind.SCALE and len(options) == 4:
        # Mostly the upper half of the scale, more so with ``lift``.
        weights = [0.06 - lift / 5, 0.16 - lift / 2, 0.36 - lift / 4, 0.42 + lift]
    elif question.kind is QuestionKind.SCALE:
        weights = [0.05 + 0.3 * index for index in range(len(options))]
    else:
        # Earlier options are the more positive ones in the library's questions.
        weights = [max(0.05, 0.6 + lift - 0.25 * index) for index in range(len(options))]
    return rng.choices(options, weights=weights, k=1)
