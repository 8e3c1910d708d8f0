"""A questionnaire printed for those who answer on paper: the institution's own
questionnaire, or (before it has one) the first of dozq's ready questionnaires."""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dozq.db import db
from dozq.documents.common import institution_context

#: How a respondent answers each kind of question, in words printed under it.
HINTS = {
    "single": "оберіть одну відповідь",
    "multiple": "можна обрати кілька відповідей",
    "scale": "оберіть одну відповідь",
    "yes_partly_no": "оберіть одну відповідь",
    "open": "дайте відповідь своїми словами",
    "semi_closed": "оберіть відповідь або допишіть свою",
}
OPEN_LINES = 3


def default_questionnaire():
    from dozq.surveys.models import Questionnaire

    return db.session.scalar(
        select(Questionnaire).order_by(Questionnaire.created_at.desc(), Questionnaire.id.desc())
    )


def _question(number: int, kind: str, text: str, hint: str, options: list[str]) -> dict:
    open_lines = kind in ("open", "semi_closed")
    return {
        "number": number,
        "text": " ".join(text.split()),
        "hint": " ".join((hint or "").split()) or HINTS.get(kind, ""),
        "options": options,
        "lines": list(range(OPEN_LINES if kind == "open" else 1)) if open_lines else [],
    }


def _from_model(questionnaire) -> dict:
    from dozq.surveys.models import SurveyQuestion, SurveySection

    sections = db.session.scalars(
        select(SurveySection)
        .where(SurveySection.questionnaire_id == questionnaire.id)
        .order_by(SurveySection.position, SurveySection.id)
        .options(selectinload(SurveySection.questions).selectinload(SurveyQuestion.options))
    ).all()
    number = 0
    result = []
    for section in sections:
        questions = []
        for question in sorted(section.questions, key=lambda q: (q.position, q.id)):
            number += 1
            options = [
                o.label
                for o in sorted(question.options, key=lambda o: (o.position, o.id))
                if not o.is_other
            ]
            if any(o.is_other for o in question.options):
                options.append("інше: ______________________")
            questions.append(
                _question(number, question.kind.value, question.text, question.hint, options)
            )
        result.append({"title": section.title, "questions": questions})
    return {
        "title": questionnaire.title,
        "introduction": " ".join((questionnaire.introduction or "").split()),
        "sections": result,
    }


def _from_library() -> dict:
    from dozq.surveys.library import library

    definition = next(iter(library().values()))
    number = 0
    sections = []
    for section in definition["sections"]:
        questions = []
        for question in section["questions"]:
            number += 1
            kind = question["kind"]
            if kind == "scale":
                options = list(question.get("scale", {}).get("labels", []))
            elif kind == "yes_partly_no":
                options = ["так", "частково", "ні"]
            else:
                options = list(question.get("options", []))
            questions.append(
                _question(number, kind, question["text"], question.get("hint", ""), options)
            )
        sections.append({"title": section["title"], "questions": questions})
    return {
        "title": definition["title"],
        "introduction": " ".join(definition.get("introduction", "").split()),
        "sections": sections,
    }


def build_questionnaire_context(institution, questionnaire=None) -> dict:
    questionnaire = questionnaire if questionnaire is not None else default_questionnaire()
    return {
        "institution": institution_context(institution),
        "questionnaire": _from_model(questionnaire)
        if questionnaire is not None
        else _from_library(),
    }
