"""The library of ready questionnaires (data/library.yaml), read once and checked.

A definition is a plain dict (the YAML as written), so a founder's offer can
keep the very definition it offered (``SurveyOffer.definition``) and copies are
made from it by the same code.
"""

from functools import cache
from pathlib import Path

import yaml

from dozq.surveys.models import QuestionKind, SurveyAudience

LIBRARY_PATH = Path(__file__).resolve().parent / "data" / "library.yaml"

MIN_SCALE_POINTS = 3
MAX_SCALE_POINTS = 5


class LibraryError(ValueError):
    """The library file does not follow its schema (a packaging mistake)."""


@cache
def library() -> dict[str, dict]:
    """key → definition, in the file's order."""
    document = yaml.safe_load(LIBRARY_PATH.read_text(encoding="utf-8"))
    found = {}
    for definition in document["questionnaires"]:
        check_definition(definition)
        found[definition["key"]] = definition
    return found


def definition(key: str) -> dict | None:
    return library().get(key)


def question_key(library_key: str, section_index: int, question_index: int) -> str:
    """«parents_satisfaction:2.1»: section 2, question 1."""
    return f"{library_key}:{section_index + 1}.{question_index + 1}"


def is_other_label(label: str) -> bool:
    return label.strip().lower().startswith("інше")


def check_definition(definition: dict) -> None:
    for name in ("key", "title", "audience", "sections"):
        if name not in definition:
            raise LibraryError(f"анкета без «{name}»")
    SurveyAudience(definition["audience"])
    for section in definition["sections"]:
        if not section.get("title") or not section.get("questions"):
            raise LibraryError(f"{definition['key']}: розділ без назви або питань")
        for question in section["questions"]:
            kind = QuestionKind(question["kind"])
            if not question.get("text"):
                raise LibraryError(f"{definition['key']}: питання без тексту")
            if kind is QuestionKind.SCALE:
                scale = question.get("scale") or {}
                points = scale.get("points")
                labels = scale.get("labels") or []
                if not (MIN_SCALE_POINTS <= int(points or 0) <= MAX_SCALE_POINTS):
                    raise LibraryError(f"{definition['key']}: шкала має 3–5 балів")
                if len(labels) != points:
                    raise LibraryError(f"{definition['key']}: підписів шкали не {points}")
            elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SEMI_CLOSED):
                options = question.get("options") or []
                if len(options) < 2:
                    raise LibraryError(f"{definition['key']}: менше двох варіантів")
                unknown = set(question.get("positive") or ()) - set(options)
                if unknown:
                    raise LibraryError(f"{definition['key']}: невідомі позитивні {unknown}")
