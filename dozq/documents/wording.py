"""Words official documents need: an institution's name in the genitive, a signature
name («Олена КОВАЛЕНКО»), the place an order is issued in, blanks to fill by hand."""

import re

#: Leading words of institution names and their genitive. The name is inflected up
#: to its head noun; what follows the head («дошкільної освіти», «№ 5 «Сонечко»»)
#: is already in the genitive or does not change.
_ADJECTIVES = {
    "комунальний": "комунального",
    "комунальна": "комунальної",
    "дошкільний": "дошкільного",
    "дошкільна": "дошкільної",
    "навчальний": "навчального",
    "навчально-виховний": "навчально-виховного",
    "приватний": "приватного",
    "приватна": "приватної",
    "державний": "державного",
    "дитячий": "дитячого",
    "спеціальний": "спеціального",
    "спеціалізований": "спеціалізованого",
    "міський": "міського",
    "сільський": "сільського",
    "селищний": "селищного",
    "опорний": "опорного",
}
_HEADS = {
    "заклад": "закладу",
    "садок": "садка",
    "ясла-садок": "ясел-садка",
    "ясла": "ясел",
    "центр": "центру",
    "комплекс": "комплексу",
    "установа": "установи",
}
#: Abbreviations that do not change: «ЗДО № 1» is its own genitive.
_INDECLINABLE = {"здо", "днз", "кз", "кздо", "нвк", "кп", "кнз", "дз"}


def genitive(name: str) -> str | None:
    """«Заклад дошкільної освіти № 1 «Сонечко»» → «закладу дошкільної освіти № 1
    «Сонечко»»; None when the name does not start in a way we can inflect."""
    words = (name or "").split()
    if not words:
        return None
    first = words[0]
    if first.strip(".").lower() in _INDECLINABLE:
        return " ".join(words)
    result = []
    for index, word in enumerate(words):
        lower = word.lower()
        if lower in _ADJECTIVES:
            result.append(_ADJECTIVES[lower])
            continue
        if lower in _HEADS:
            result.append(_HEADS[lower])
            return " ".join([*result, *words[index + 1 :]])
        return None
    return None


def in_genitive(name: str) -> str:
    """The genitive where we can make it, else «у <name>» (grammatical either way
    after «… якості освіти»)."""
    return genitive(name) or f"у {name}"


PATRONYMIC = re.compile(r"(ович|евич|йович|ївна|івна|овна|евна|ична|інічна)$", re.IGNORECASE)


def signature_name(full_name: str) -> str:
    """«Олена Петрівна Коваленко» or «Коваленко Олена Петрівна» → «Олена КОВАЛЕНКО»,
    as Ukrainian documents sign; other shapes are kept as written."""
    words = (full_name or "").split()
    if len(words) == 3 and PATRONYMIC.search(words[2]):
        return f"{words[1]} {words[0].upper()}"
    if len(words) == 3 and PATRONYMIC.search(words[1]):
        return f"{words[0]} {words[2].upper()}"
    if len(words) == 2:
        return f"{words[0]} {words[1].upper()}"
    return " ".join(words)


PLACE = re.compile(r"(?:^|,\s*)((?:м\.|смт\.?|с\.|сел\.|село|селище|місто)\s*[^,\d]+?)\s*(?:,|$)")


def place_of(address: str) -> str:
    """«вул. Квіткова, 5, м. Сонячне, 01002» → «м. Сонячне»; "" when none is named."""
    found = PLACE.search(address or "")
    return found.group(1).strip() if found else ""


def bare_number(value) -> str:
    """«№ 32-о/д» → «32-о/д»: documents print the «№» themselves."""
    return str(value or "").strip().removeprefix("№").strip()


def blank(value, width: int = 6) -> str:
    """The value (a number without its «№»), or a line to write on by hand when it is
    empty or only a blank."""
    text = bare_number(value)
    if not text or set(text) <= set("_ .-№"):
        return "_" * width
    return text


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
