"""Recognising methods of information collection in table headers and cells."""

import re

from dozq.catalog.models import Method, ordered_methods

#: Marks that tick a method column (and case-insensitive variants).
TICKS = {"+", "✓", "✔", "☑", "х", "x", "v", "так", "1"}
#: Marks that leave it unticked.
BLANKS = {"", "-", "–", "—", "0", "ні"}


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").lower().replace("’", "'").replace("ʼ", "'")).strip()


def methods_in_text(text: str) -> list[str]:
    """Methods a cell names: «опитування (анкетування), спостереження» → survey, observation.

    Interview and focus group are kinds of опитування: «опитування (інтерв'ю)»
    is an interview only; анкетування is always the survey itself.
    """
    folded = _fold(text)
    found = {code for code in Method if code.value in re.split(r"[\s,;/]+", folded)}
    if "інтерв" in folded:
        found.add(Method.SURVEY_INTERVIEW)
    if "фокус" in folded:
        found.add(Method.SURVEY_FOCUS_GROUP)
    if "анкет" in folded or (
        "опитув" in folded and not found & {Method.SURVEY_INTERVIEW, Method.SURVEY_FOCUS_GROUP}
    ):
        found.add(Method.SURVEY)
    if "спостереж" in folded:
        found.add(Method.OBSERVATION)
    if "документ" in folded:
        found.add(Method.DOCUMENTS)
    return ordered_methods(found)


def method_for_header(text: str) -> str | None:
    """The one method a tick column's header names, or None."""
    folded = _fold(text)
    if "інтерв" in folded:
        return Method.SURVEY_INTERVIEW.value
    if "фокус" in folded:
        return Method.SURVEY_FOCUS_GROUP.value
    if "опитув" in folded or "анкет" in folded:
        return Method.SURVEY.value
    if "спостереж" in folded:
        return Method.OBSERVATION.value
    if "документ" in folded:
        return Method.DOCUMENTS.value
    return None


def tick(value: str) -> bool | None:
    """True for a tick, False for an empty mark, None for anything else."""
    folded = _fold(value)
    if folded in TICKS:
        return True
    if folded in BLANKS:
        return False
    return None
