"""The arithmetic of results, without the database.

Catalog rows become a tree (directions → requirements → criteria → indicators),
limited to enabled items in the cycle's scope. Indicator scores average up the
tree (``mean_score`` of the quality system: criteria, then requirements, then
directions), thresholds turn a score into a level, and a person's level set
instead of the derived one wins, visibly. Results are compared with the
previous cycle by item code.

dozq proposes an indicator's score from numeric evidence (``Signal``s): the
checklist marks of observations and document studies, and the share of
positive answers in questionnaires (``dozq.surveys``). Each method counts once,
whatever the number of records: the proposal is the mean of the methods'
shares (0–1) placed on the scale, ``min + share × (max − min)``. Qualitative
evidence (notes, interviews, monitoring reports) is listed but not counted.
A person decides; the proposal only explains itself.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from dozq.catalog.models import ItemKind, Method
from dozq.quality_system.models import to_score
from dozq.quality_system.services import format_score, level_for


def hundredths(value: Decimal | None) -> int | None:
    """3,56 → 356 (scores have two places: ``quality_system.models.to_score``)."""
    return None if value is None else int(to_score(value) * 100)


def from_hundredths(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value).scaleb(-2)


def mean_of_hundredths(values: list[int]) -> int | None:
    """``mean_score`` in hundredths: the arithmetic mean rounded half up (scores are
    never negative)."""
    if not values:
        return None
    return (2 * sum(values) + len(values)) // (2 * len(values))


def score_text(value: Decimal | None) -> str:
    """3,56 — decimal comma; «—» for none."""
    return format_score(value)


def percent(share: float | Decimal | None) -> str:
    if share is None:
        return "—"
    return f"{round(float(share) * 100)} %"


@dataclass(frozen=True)
class LevelView:
    """A level of one scale version, as pages show it."""

    id: int
    rank: int
    name: str
    css: str
    min_score: Decimal


@dataclass
class ScaleView:
    """What ``level_for`` needs from a scale version: bounds and levels."""

    id: int
    title: str
    number: int
    min_score: Decimal
    max_score: Decimal
    levels: list[LevelView]

    @classmethod
    def of(cls, scale) -> "ScaleView | None":
        if scale is None:
            return None
        return cls(
            scale.id,
            scale.title,
            scale.number,
            scale.min_score,
            scale.max_score,
            [
                LevelView(level.id, level.rank, level.name, level.colour.value, level.min_score)
                for level in sorted(scale.levels, key=lambda level: level.rank)
            ],
        )

    def level(self, score: Decimal | None) -> LevelView | None:
        """The quality system's ``level_for``; None for no score or one off the scale."""
        try:
            return level_for(self, score)
        except ValueError:
            return None

    def level_of_hundredths(self, value: int | None) -> LevelView | None:
        """``level`` for a score given in hundredths (356 for 3,56): the same rule as
        ``level_for`` in integer arithmetic, for roll-ups of many items (a test checks
        both agree on every score of the scale)."""
        if value is None or not self._low <= value <= self._high:
            return None
        for level, threshold in self._thresholds:
            if value >= threshold:
                return level
        return self._thresholds[-1][0]

    def __post_init__(self):
        self.levels = sorted(self.levels, key=lambda level: level.rank)
        self._low = hundredths(self.min_score)
        self._high = hundredths(self.max_score)
        self._thresholds = [(level, hundredths(level.min_score)) for level in self.levels]

    def by_id(self, level_id: int | None) -> LevelView | None:
        return next((level for level in self.levels if level.id == level_id), None)

    @property
    def range_text(self) -> str:
        return f"{score_text(self.min_score)}–{score_text(self.max_score)}"


@dataclass(slots=True)
class Node:
    """An item of the cycle's catalog with what the cycle found about it."""

    id: int
    kind: ItemKind
    code: str
    text: str
    parent_id: int | None
    position: int
    methods: list[str] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    #: Parent, grandparent …: the criterion, requirement and direction of an indicator.
    ancestor_ids: tuple[int, ...] = ()
    evidence_count: int = 0
    #: The score in hundredths (356 for 3,56); ``score`` gives it as a Decimal.
    points: int | None = None
    derived_level: LevelView | None = None
    level: LevelView | None = None
    override_reason: str = ""
    rated: int = 0
    indicators: int = 0
    previous_points: int | None = None
    previous_level: LevelView | None = None
    has_findings: bool = False

    @property
    def score(self) -> Decimal | None:
        return from_hundredths(self.points)

    @property
    def previous_score(self) -> Decimal | None:
        return from_hundredths(self.previous_points)

    @property
    def is_overridden(self) -> bool:
        return self.level is not None and self.level != self.derived_level

    @property
    def css(self) -> str:
        return self.level.css if self.level else "level-none"

    @property
    def level_text(self) -> str:
        return self.level.name if self.level else "рівень не визначено"

    @property
    def score_text(self) -> str:
        return score_text(self.score)

    @property
    def result_text(self) -> str:
        """«3,56 — другий (достатній)», or why there is none."""
        if self.score is None and self.level is None:
            return "не оцінено"
        return f"{score_text(self.score)} — {self.level_text}"

    @property
    def delta(self) -> Decimal | None:
        if self.points is None or self.previous_points is None:
            return None
        return from_hundredths(self.points - self.previous_points)

    @property
    def trend(self) -> tuple[str, str]:
        """(arrow, words) for the comparison with the previous cycle."""
        delta = self.delta
        if delta is None:
            if self.previous_points is None:
                return "", "немає даних попереднього циклу"
            return "", "у цьому циклі ще не оцінено"
        if delta > 0:
            return "↑", f"+{score_text(delta)}: краще, ніж у попередньому циклі"
        if delta < 0:
            return "↓", f"−{score_text(-delta)}: гірше, ніж у попередньому циклі"
        return "→", "без змін порівняно з попереднім циклом"

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


class ItemRow(NamedTuple):
    """One catalog item as the queries read it."""

    id: int
    catalog_id: int
    parent_id: int | None
    kind: ItemKind
    code: str
    text: str
    enabled: bool
    position: int
    methods: tuple = ()
    evidence_count: int = 0
    in_scope: bool = False


def build_tree(rows: Iterable[ItemRow], scope_limited: bool) -> list[Node]:
    """Enabled directions with their enabled subtrees; with ``scope_limited``, only
    the items in scope (marked ``in_scope``), their subtrees and their ancestors."""
    rows = list(rows)
    nodes = {
        row.id: Node(
            row.id,
            row.kind if isinstance(row.kind, ItemKind) else ItemKind(row.kind),
            row.code,
            row.text,
            row.parent_id,
            row.position,
            list(row.methods or ()),
            evidence_count=row.evidence_count,
        )
        for row in rows
        if row.enabled
    }
    roots = []
    for row in rows:
        node = nodes.get(row.id)
        if node is None:
            continue
        if row.parent_id is None:
            if node.kind == ItemKind.DIRECTION:
                roots.append(node)
        elif row.parent_id in nodes:
            nodes[row.parent_id].children.append(node)
    for node in nodes.values():
        node.children.sort(key=lambda child: (child.position, child.code))
    roots.sort(key=lambda node: (node.position, node.code))
    if scope_limited:
        chosen = {row.id for row in rows if row.in_scope and row.id in nodes}
        roots = [root for root in (_prune(root, chosen) for root in roots) if root]
    for root in roots:
        _count(root, ())
    return roots


def _prune(node: Node, chosen: set[int]) -> Node | None:
    """Keep ``node`` if it is chosen (with its whole subtree), or if a descendant is
    (then only the way to it)."""
    if node.id in chosen:
        return node
    node.children = [kept for kept in (_prune(c, chosen) for c in node.children) if kept]
    return node if node.children else None


def _count(node: Node, ancestors: tuple[int, ...]) -> None:
    node.ancestor_ids = ancestors
    if node.kind == ItemKind.INDICATOR:
        node.indicators = 1
        return
    for child in node.children:
        _count(child, (node.id, *ancestors))
    node.indicators = sum(child.indicators for child in node.children)
    node.evidence_count = sum(child.evidence_count for child in node.children)


def indicators_of(roots: list[Node]) -> list[Node]:
    return [node for root in roots for node in root.walk() if node.kind == ItemKind.INDICATOR]


class Assessed(NamedTuple):
    """What a cycle recorded for an item: a score (in hundredths: 356 for 3,56), or a
    level set by a person."""

    points: int | None = None
    override_level_id: int | None = None
    override_reason: str = ""
    has_findings: bool = False

    @property
    def score(self) -> Decimal | None:
        return from_hundredths(self.points)


def roll_up(roots: list[Node], recorded: dict[int, Assessed], scale: ScaleView | None) -> None:
    """Scores up the tree, levels from the thresholds, a person's level over the
    derived one. Items without rated indicators have neither."""
    for root in roots:
        _roll(root, recorded, scale)


def _roll(node: Node, recorded: dict[int, Assessed], scale: ScaleView | None) -> int | None:
    """Set the node's score and levels; return its score in hundredths."""
    entry = recorded.get(node.id)
    if node.kind == ItemKind.INDICATOR:
        value = entry.points if entry is not None else None
        node.rated = 0 if value is None else 1
    else:
        scores = [
            child_value
            for child in node.children
            if (child_value := _roll(child, recorded, scale)) is not None
        ]
        value = mean_of_hundredths(scores)
        node.rated = sum(child.rated for child in node.children)
    node.points = value
    if entry is not None:
        node.has_findings = entry.has_findings
    if scale is None:
        return value
    node.derived_level = node.level = scale.level_of_hundredths(value)
    overridden = entry is not None and entry.override_level_id is not None
    if overridden and node.kind != ItemKind.INDICATOR:
        override = scale.by_id(entry.override_level_id)
        if override is not None:
            node.level = override
            node.override_reason = entry.override_reason
    return value


@dataclass(frozen=True, slots=True)
class Summary:
    """An item's result in another cycle, for the comparison."""

    kind: ItemKind
    points: int | None
    level: LevelView | None

    @property
    def score(self) -> Decimal | None:
        return from_hundredths(self.points)


def summarise(
    rows: Iterable[ItemRow],
    scope_limited: bool,
    recorded: dict[int, Assessed],
    scale: ScaleView | None,
) -> dict[str, Summary]:
    """code → score and level of every enabled item, as ``roll_up`` would give them
    (indicators outside a limited scope count as not rated), without building a tree:
    the previous cycle's side of the comparison."""
    enabled = {row.id: row for row in rows if row.enabled}
    children: dict[int, list[int]] = {item_id: [] for item_id in enabled}
    for row in enabled.values():
        if row.parent_id in children:
            children[row.parent_id].append(row.id)
    chosen = {row.id for row in enabled.values() if row.in_scope} if scope_limited else None
    found: dict[str, Summary] = {}

    def visit(item_id: int, inside: bool) -> int | None:
        row = enabled[item_id]
        inside = inside or chosen is None or item_id in chosen
        entry = recorded.get(item_id)
        if row.kind == ItemKind.INDICATOR:
            value = entry.points if inside and entry is not None else None
        else:
            value = mean_of_hundredths(
                [v for child in children[item_id] if (v := visit(child, inside)) is not None]
            )
        level = scale.level_of_hundredths(value) if scale is not None else None
        overridden = entry is not None and entry.override_level_id is not None
        if scale is not None and overridden and row.kind != ItemKind.INDICATOR:
            level = scale.by_id(entry.override_level_id) or level
        found[row.code] = Summary(row.kind, value, level)
        return value

    for row in enabled.values():
        if row.parent_id is None and row.kind == ItemKind.DIRECTION:
            visit(row.id, False)
    return found


def shallow_tree(
    rows: Iterable[ItemRow],
    scope_limited: bool,
    recorded: dict[int, Assessed],
    scale: ScaleView | None,
) -> list[Node]:
    """Directions with their requirements only — what the overview matrix shows —
    scored exactly as ``build_tree`` and ``roll_up`` score them (a test checks), but
    without a node for each criterion and indicator."""
    rows = list(rows)
    enabled = {row.id: row for row in rows if row.enabled}
    children: dict[int, list[ItemRow]] = {item_id: [] for item_id in enabled}
    for row in rows:
        if row.enabled and row.parent_id in children:
            children[row.parent_id].append(row)
    for siblings in children.values():
        siblings.sort(key=lambda child: (child.position, child.code))
    chosen = {row.id for row in enabled.values() if row.in_scope} if scope_limited else None

    def visit(row: ItemRow, inside: bool) -> tuple[int | None, int, int, bool]:
        """(points, rated, indicators, kept) of a criterion's or indicator's subtree."""
        inside = inside or chosen is None or row.id in chosen
        if row.kind == ItemKind.INDICATOR:
            if not inside:
                return None, 0, 0, False
            entry = recorded.get(row.id)
            points = entry.points if entry is not None else None
            return points, int(points is not None), 1, True
        parts = [visit(child, inside) for child in children[row.id]]
        kept = [part for part in parts if part[3]]
        if not kept and not inside:
            return None, 0, 0, False
        points = mean_of_hundredths([part[0] for part in kept if part[0] is not None])
        return points, sum(part[1] for part in kept), sum(part[2] for part in kept), True

    def node_for(row: ItemRow, parts: list) -> Node:
        kept = [part for part in parts if part[3]]
        node = Node(
            row.id,
            row.kind if isinstance(row.kind, ItemKind) else ItemKind(row.kind),
            row.code,
            row.text,
            row.parent_id,
            row.position,
        )
        node.points = mean_of_hundredths([part[0] for part in kept if part[0] is not None])
        node.rated = sum(part[1] for part in kept)
        node.indicators = sum(part[2] for part in kept)
        entry = recorded.get(row.id)
        if entry is not None:
            node.has_findings = entry.has_findings
        if scale is not None:
            node.derived_level = node.level = scale.level_of_hundredths(node.points)
            if entry is not None and entry.override_level_id is not None:
                override = scale.by_id(entry.override_level_id)
                if override is not None:
                    node.level = override
                    node.override_reason = entry.override_reason
        return node

    roots = []
    directions = sorted(
        (
            row
            for row in enabled.values()
            if row.parent_id is None and row.kind == ItemKind.DIRECTION
        ),
        key=lambda row: (row.position, row.code),
    )
    for direction in directions:
        inside_direction = chosen is None or direction.id in chosen
        requirements, parts = [], []
        for requirement in children[direction.id]:
            inside = inside_direction or requirement.id in chosen
            below = [visit(child, inside) for child in children[requirement.id]]
            if not any(part[3] for part in below) and not inside:
                continue
            node = node_for(requirement, below)
            node.ancestor_ids = (direction.id,)
            requirements.append(node)
            parts.append((node.points, node.rated, node.indicators, True))
        if not requirements and not inside_direction:
            continue
        root = node_for(direction, parts)
        root.children = requirements
        roots.append(root)
    return roots


def compare(roots: list[Node], previous: dict[str, Summary]) -> None:
    """Put the previous cycle's score and level beside each item of the same code."""
    for root in roots:
        for node in root.walk():
            before = previous.get(node.code)
            if before is not None and before.kind == node.kind:
                node.previous_points = before.points
                node.previous_level = before.level


# Proposals.


@dataclass(frozen=True)
class Signal:
    """One method's numeric evidence for an indicator, as a share of the best."""

    method: str
    label: str
    share: Decimal
    records: int
    detail: str


@dataclass
class Proposal:
    score: Decimal | None
    share: Decimal | None
    signals: list[Signal]
    qualitative: int
    lines: list[str]

    @property
    def score_text(self) -> str:
        return score_text(self.score)


@dataclass(frozen=True)
class ChecklistStats:
    """The marks of one method's checklists linked to an indicator."""

    method: str
    records: int
    marks_total: int
    marks_count: int


def checklist_signal(stats: ChecklistStats, max_mark: int) -> Signal | None:
    if stats.marks_count == 0:
        return None
    share = Decimal(stats.marks_total) / Decimal(stats.marks_count * max_mark)
    average = Decimal(stats.marks_total) / Decimal(stats.marks_count)
    label = Method(stats.method).label
    records = _records_word(stats.records, stats.method)
    return Signal(
        stats.method,
        label,
        share,
        stats.records,
        f"{label.capitalize()}: {records}, {stats.marks_count} "
        f"{_plural(stats.marks_count, 'оцінений пункт', 'оцінені пункти', 'оцінених пунктів')}, "
        f"середня позначка {score_text(average)} з {max_mark} ({percent(share)})",
    )


def _plural(number: int, one: str, few: str, many: str) -> str:
    from dozq.catalog.tree import plural

    return plural(number, one, few, many)


def _records_word(count: int, method: str) -> str:
    from dozq.catalog.tree import plural

    if method == Method.OBSERVATION:
        return f"{count} {plural(count, 'аркуш', 'аркуші', 'аркушів')} спостереження"
    return f"{count} {plural(count, 'документ', 'документи', 'документів')}"


def survey_signal(evidence: Iterable) -> Signal | None:
    """Questionnaires (``dozq.surveys`` SurveyEvidence: respondents, share_positive 0–1),
    weighted by their respondents."""
    evidence = [
        item
        for item in evidence
        if (getattr(item, "respondents", 0) or 0) > 0
        and getattr(item, "share_positive", None) is not None
    ]
    if not evidence:
        return None
    respondents = sum(item.respondents for item in evidence)
    share = sum(
        Decimal(str(item.share_positive)) * item.respondents for item in evidence
    ) / Decimal(respondents)
    from dozq.catalog.tree import plural

    titles = list(
        dict.fromkeys(
            title
            for item in evidence
            if (title := getattr(item, "questionnaire_title", "") or getattr(item, "title", ""))
        )
    )
    named = f" ({'; '.join(titles)})" if titles else ""
    label = Method.SURVEY.label
    return Signal(
        Method.SURVEY.value,
        label,
        share,
        len(evidence),
        f"{label.capitalize()}: {len(evidence)} "
        f"{plural(len(evidence), 'анкета', 'анкети', 'анкет')}{named}, {respondents} "
        f"{plural(respondents, 'респондент', 'респонденти', 'респондентів')}, "
        f"{percent(share)} позитивних відповідей",
    )


def propose(signals: list[Signal], scale: ScaleView | None, qualitative: int = 0) -> Proposal:
    """The score the numeric evidence points to, and how it was reached."""
    signals = [signal for signal in signals if signal is not None]
    lines = [signal.detail for signal in signals]
    if qualitative:
        from dozq.catalog.tree import plural

        lines.append(
            f"Якісні докази ({qualitative} {plural(qualitative, 'запис', 'записи', 'записів')}: "
            "нотатки, інтерв’ю, результати моніторингу) у пропозиції не враховано — "
            "їх оцінює людина."
        )
    if not signals or scale is None:
        if not signals:
            lines.append("Числових даних для пропозиції немає: бал визначає робоча група.")
        else:
            lines.append(
                "Шкалу рівнів закріплюють за циклом на етапі визначення рівнів; "
                "тоді з’явиться і запропонований бал."
            )
        return Proposal(None, None, signals, qualitative, lines)
    share = sum(signal.share for signal in signals) / len(signals)
    span = scale.max_score - scale.min_score
    score = to_score(scale.min_score + share * span)
    methods = "середнє за методами" if len(signals) > 1 else "частка"
    lines.append(
        f"Пропозиція: {methods} {percent(share)} → {score_text(scale.min_score)} + "
        f"{score_text(to_score(share))} × ({score_text(scale.max_score)} − "
        f"{score_text(scale.min_score)}) = {score_text(score)}"
    )
    level = scale.level(score)
    if level is not None:
        lines[-1] += f" ({level.name})"
    return Proposal(score, to_score(share), signals, qualitative, lines)
