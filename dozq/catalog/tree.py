"""The catalog as plain data: what importers produce, exporters read and services save.

``Node`` is one item with its children; ``ParsedCatalog`` a whole file. Nothing
here touches the database.
"""

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from dozq.catalog.models import KINDS, ItemKind, Origin, WordingStatus, ordered_methods
from dozq.web.errors import DomainError

STARTER_PATH = Path(__file__).parent / "data" / "starter.yaml"
STARTER_NAME = "Стартовий каталог dozq"


class ImportFailure(DomainError):
    """A file that cannot be read as a catalog; the message names the place."""

    def __init__(self, message: str, place: str = ""):
        self.place = place
        self.reason = message
        super().__init__(f"{place}: {message}" if place else message)


@dataclass
class Node:
    kind: ItemKind
    code: str
    text: str
    wording_status: WordingStatus = WordingStatus.IMPORTED
    seed_quote: str = ""
    source: str = ""
    methods: list[str] = field(default_factory=list)
    enabled: bool = True
    is_own: bool = False
    #: Where in the file the node was read (for messages), not saved.
    place: str = ""
    children: list["Node"] = field(default_factory=list)

    def walk(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def content(self) -> dict:
        """What makes two nodes the same (the place in the file does not)."""
        return {
            "kind": self.kind.value,
            "code": self.code,
            "text": self.text,
            "wording_status": self.wording_status.value,
            "seed_quote": self.seed_quote,
            "source": self.source,
            "methods": ordered_methods(self.methods),
            "enabled": self.enabled,
            "is_own": self.is_own,
            "children": [child.content() for child in self.children],
        }


@dataclass
class ParsedCatalog:
    directions: list[Node]
    name: str = ""
    edition: str = ""
    origin: Origin | None = None
    note: str = ""
    source: str = ""
    warnings: list[str] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        for direction in self.directions:
            yield from direction.walk()

    def counts(self) -> dict[ItemKind, int]:
        counts = dict.fromkeys(KINDS, 0)
        for node in self.walk():
            counts[node.kind] += 1
        return counts

    def content_hash(self) -> str:
        payload = json.dumps(
            [direction.content() for direction in self.directions],
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def counts_text(counts: dict[ItemKind, int]) -> str:
    """«4 напрями, 14 вимог, 38 критеріїв, 73 індикатори»."""
    forms = {
        ItemKind.DIRECTION: ("напрям", "напрями", "напрямів"),
        ItemKind.REQUIREMENT: ("вимога", "вимоги", "вимог"),
        ItemKind.CRITERION: ("критерій", "критерії", "критеріїв"),
        ItemKind.INDICATOR: ("індикатор", "індикатори", "індикаторів"),
    }
    return ", ".join(f"{counts[kind]} {plural(counts[kind], *forms[kind])}" for kind in KINDS)


def plural(number: int, one: str, few: str, many: str) -> str:
    if number % 10 == 1 and number % 100 != 11:
        return one
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return few
    return many


def normalise_text(value: str) -> str:
    """One space between words: how wording is compared."""
    return re.sub(r"\s+", " ", value or "").strip()


@cache
def known_wording() -> dict[str, tuple[WordingStatus, str]]:
    """Code → (status, wording) of every item whose wording dozq can vouch for.

    These are the items of the starter catalog: our own starter wording and the
    few official items confirmed in the reference (direction titles, 4.1, 4.1.1,
    4.1.1.1). A file may claim any status; only these claims are believed.
    """
    from dozq.catalog.importers.yaml_source import parse_yaml_text

    starter = parse_yaml_text(STARTER_PATH.read_text(encoding="utf-8"))
    return {node.code: (node.wording_status, normalise_text(node.text)) for node in starter.walk()}


#: Statuses a file cannot claim without matching the known wording.
VOUCHED_STATUSES = (
    WordingStatus.OFFICIAL_TEXT,
    WordingStatus.QUOTED_BY_ZDO,
    WordingStatus.DOZQ_STARTER,
)


def verify_statuses(catalog: ParsedCatalog) -> int:
    """Downgrade every claimed official or starter status dozq cannot confirm
    to «imported»; returns how many were downgraded."""
    known = known_wording()
    downgraded = 0
    for node in catalog.walk():
        if node.wording_status not in VOUCHED_STATUSES:
            continue
        if known.get(node.code) != (node.wording_status, normalise_text(node.text)):
            node.wording_status = WordingStatus.IMPORTED
            downgraded += 1
    if downgraded:
        catalog.warnings.append(
            f"{downgraded} елемент(и) позначено у файлі як офіційні або стартові "
            "формулювання, але dozq не може цього підтвердити: їх позначено як "
            "«імпортовано з файлу»."
        )
    return downgraded
