"""Synthetic catalogs of a given shape, for tests and benchmarks (never shown as official)."""

from dozq.catalog.models import ItemKind, Method, WordingStatus
from dozq.catalog.tree import Node, ParsedCatalog

#: The official annex of 2020: 4 directions, 14 requirements, 38 criteria, 73 indicators.
OFFICIAL_SHAPE = (4, 14, 38, 73)

_METHOD_SETS = (
    [Method.SURVEY.value],
    [Method.OBSERVATION.value, Method.DOCUMENTS.value],
    [Method.DOCUMENTS.value],
    [Method.SURVEY_INTERVIEW.value, Method.OBSERVATION.value],
    [Method.SURVEY_FOCUS_GROUP.value],
)


def _spread(total: int, parents: int) -> list[int]:
    """``total`` children over ``parents`` as evenly as possible, at least one each."""
    base, extra = divmod(total, parents)
    return [base + (1 if index < extra else 0) for index in range(parents)]


def generated_catalog(
    shape: tuple[int, int, int, int] = OFFICIAL_SHAPE, label: str = ""
) -> ParsedCatalog:
    """A catalog with ``shape`` = (directions, requirements, criteria, indicators)."""
    directions, requirements, criteria, indicators = shape
    per_direction = _spread(requirements, directions)
    per_requirement = _spread(criteria, requirements)
    per_criterion = _spread(indicators, criteria)
    roots, r_index, c_index, i_index = [], 0, 0, 0
    suffix = f" {label}" if label else ""
    for d in range(directions):
        direction = Node(ItemKind.DIRECTION, f"{d + 1}", f"Напрям {d + 1}{suffix}")
        for r in range(per_direction[d]):
            requirement = Node(
                ItemKind.REQUIREMENT,
                f"{d + 1}.{r + 1}",
                f"Вимога {d + 1}.{r + 1}: організація освітніх і управлінських процесів{suffix}",
            )
            for c in range(per_requirement[r_index]):
                criterion = Node(
                    ItemKind.CRITERION,
                    f"{requirement.code}.{c + 1}",
                    f"Критерій {requirement.code}.{c + 1}: підстава для оцінювання{suffix}",
                )
                for i in range(per_criterion[c_index]):
                    criterion.children.append(
                        Node(
                            ItemKind.INDICATOR,
                            f"{criterion.code}.{i + 1}",
                            f"Індикатор {criterion.code}.{i + 1}: спостережуваний показник "
                            f"якості освітнього процесу закладу{suffix}",
                            WordingStatus.IMPORTED,
                            methods=list(_METHOD_SETS[i_index % len(_METHOD_SETS)]),
                        )
                    )
                    i_index += 1
                requirement.children.append(criterion)
                c_index += 1
            direction.children.append(requirement)
            r_index += 1
        roots.append(direction)
    return ParsedCatalog(directions=roots, name=f"Згенерований каталог{suffix}")
