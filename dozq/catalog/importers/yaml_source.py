"""YAML in the schema of criteria-2020.yaml and starter.yaml (see docs/catalog-formats.md)."""

import yaml

from dozq.catalog.importers.methods import methods_in_text
from dozq.catalog.models import KINDS, ItemKind, Method, Origin, WordingStatus, ordered_methods
from dozq.catalog.tree import ImportFailure, Node, ParsedCatalog

#: The key holding each level's children.
CHILDREN_KEY = {
    ItemKind.DIRECTION: "requirements",
    ItemKind.REQUIREMENT: "criteria",
    ItemKind.CRITERION: "indicators",
}
LEVEL_KEYS = ("directions", "requirements", "criteria", "indicators")
MAX_TEXT = 4000


def parse_yaml_text(source: str) -> ParsedCatalog:
    """Read a catalog from YAML text; ``ImportFailure`` names the YAML path."""
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        place = f"YAML, рядок {mark.line + 1}, позиція {mark.column + 1}" if mark else "YAML"
        problem = getattr(error, "problem", None) or "синтаксична помилка"
        raise ImportFailure(f"файл не є коректним YAML ({problem}).", place) from None
    if not isinstance(document, dict):
        raise ImportFailure("очікується словник з ключем «directions».", "YAML, корінь")
    directions = document.get("directions")
    if not isinstance(directions, list) or not directions:
        raise ImportFailure(
            "потрібен непорожній список напрямів «directions».", "YAML, шлях directions"
        )
    seen: dict[str, str] = {}
    nodes = [
        _node(raw, ItemKind.DIRECTION, f"directions[{index}]", seen)
        for index, raw in enumerate(directions)
    ]
    origin = document.get("origin")
    try:
        origin = Origin(origin) if origin else None
    except ValueError:
        raise ImportFailure(
            f"невідоме походження «{origin}»; можливі: {', '.join(o.value for o in Origin)}.",
            "YAML, шлях origin",
        ) from None
    return ParsedCatalog(
        directions=nodes,
        name=_text(document.get("name"), "name", required=False)[:200],
        edition=_text(document.get("version"), "version", required=False)[:40],
        origin=origin,
        note=_text(document.get("note"), "note", required=False),
        source=_text(document.get("source"), "source", required=False),
    )


def _text(value, path: str, required: bool = True) -> str:
    if value is None:
        if required:
            raise ImportFailure("значення відсутнє.", f"YAML, шлях {path}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ImportFailure("очікується текст.", f"YAML, шлях {path}")
    text = str(value).strip()
    if required and not text:
        raise ImportFailure("значення порожнє.", f"YAML, шлях {path}")
    if len(text) > MAX_TEXT:
        raise ImportFailure(f"текст довший за {MAX_TEXT} символів.", f"YAML, шлях {path}")
    return text


def _code(value, path: str) -> str:
    if isinstance(value, float):
        raise ImportFailure(
            f'код {value} записано як число; візьміть його в лапки, наприклад "{value}".',
            f"YAML, шлях {path}",
        )
    code = _text(value, path)
    if len(code) > 40 or any(char.isspace() for char in code):
        raise ImportFailure(
            f"код «{code}» має бути одним словом до 40 символів.", f"YAML, шлях {path}"
        )
    return code


def _node(raw, kind: ItemKind, path: str, seen: dict[str, str]) -> Node:
    if not isinstance(raw, dict):
        raise ImportFailure("очікується словник з кодом і формулюванням.", f"YAML, шлях {path}")
    code = _code(raw.get("code"), f"{path}.code")
    if code in seen:
        raise ImportFailure(
            f"код «{code}» повторюється (уперше — {seen[code]}).", f"YAML, шлях {path}.code"
        )
    seen[code] = path
    preferred, other = ("text", "title") if kind is ItemKind.INDICATOR else ("title", "text")
    text_key = preferred if preferred in raw or other not in raw else other
    status = raw.get("wording_status") or WordingStatus.IMPORTED.value
    try:
        status = WordingStatus(status)
    except ValueError:
        raise ImportFailure(
            f"невідомий статус формулювання «{status}»; можливі: "
            + ", ".join(s.value for s in WordingStatus)
            + ".",
            f"YAML, шлях {path}.wording_status",
        ) from None
    node = Node(
        kind=kind,
        code=code,
        text=_text(raw.get(text_key), f"{path}.{text_key}"),
        wording_status=status,
        seed_quote=_text(raw.get("seed_quote"), f"{path}.seed_quote", required=False),
        source=_text(raw.get("source"), f"{path}.source", required=False),
        enabled=_flag(raw.get("enabled", True), f"{path}.enabled"),
        is_own=_flag(raw.get("own", False), f"{path}.own"),
        place=f"YAML, шлях {path}",
    )
    if kind is ItemKind.INDICATOR:
        node.methods = _methods(raw.get("methods"), f"{path}.methods")
        return node
    key = CHILDREN_KEY[kind]
    children = raw.get(key) or []
    if not isinstance(children, list):
        raise ImportFailure("очікується список.", f"YAML, шлях {path}.{key}")
    for other in LEVEL_KEYS:
        if other != key and raw.get(other):
            raise ImportFailure(
                f"{kind.label} не може містити «{other}»; тут очікується «{key}».",
                f"YAML, шлях {path}.{other}",
            )
    child_kind = KINDS[kind.depth + 1]
    node.children = [
        _node(child, child_kind, f"{path}.{key}[{index}]", seen)
        for index, child in enumerate(children)
    ]
    return node


def _flag(value, path: str) -> bool:
    if not isinstance(value, bool):
        raise ImportFailure("очікується true або false.", f"YAML, шлях {path}")
    return value


def _methods(value, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportFailure("очікується список методів.", f"YAML, шлях {path}")
    codes = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ImportFailure("очікується назва методу.", f"YAML, шлях {path}[{index}]")
        if item in {method.value for method in Method}:
            codes.append(item)
            continue
        named = methods_in_text(item)
        if not named:
            raise ImportFailure(
                f"невідомий метод «{item}»; можливі: "
                + ", ".join(m.value for m in Method)
                + " або їхні українські назви.",
                f"YAML, шлях {path}[{index}]",
            )
        codes.extend(named)
    return ordered_methods(codes)
