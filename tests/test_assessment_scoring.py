"""The arithmetic of results: roll-ups, levels, overrides, comparisons, proposals."""

from dataclasses import dataclass
from decimal import Decimal

from dozq.assessment.scoring import (
    Assessed,
    ChecklistStats,
    ItemRow,
    LevelView,
    ScaleView,
    build_tree,
    checklist_signal,
    compare,
    indicators_of,
    propose,
    roll_up,
    shallow_tree,
    summarise,
    survey_signal,
)
from dozq.catalog.models import ItemKind

D, R, C, IND = ItemKind.DIRECTION, ItemKind.REQUIREMENT, ItemKind.CRITERION, ItemKind.INDICATOR

#: The default four levels on the 1–4 scale (quality_system.models.DEFAULT_LEVELS).
SCALE = ScaleView(
    1,
    "Чотири рівні",
    1,
    Decimal("1.00"),
    Decimal("4.00"),
    [
        LevelView(11, 1, "перший (високий)", "level-1", Decimal("3.60")),
        LevelView(12, 2, "другий (достатній)", "level-2", Decimal("2.60")),
        LevelView(13, 3, "третій (вимагає покращення)", "level-3", Decimal("1.60")),
        LevelView(14, 4, "четвертий (низький)", "level-4", Decimal("1.00")),
    ],
)


def row(item_id, parent, kind, code, enabled=True, in_scope=False, methods=(), evidence=0):
    return ItemRow(
        item_id,
        1,
        parent,
        kind,
        code,
        f"Текст {code}",
        enabled,
        item_id,
        methods,
        evidence,
        in_scope,
    )


def catalog():
    """1 → 1.1 → (1.1.1 → 1.1.1.1, 1.1.1.2; 1.1.2 → 1.1.2.1); 1 → 1.2 → 1.2.1 → 1.2.1.1;
    2 → 2.1 → 2.1.1 → 2.1.1.1 (switched off with its criterion)."""
    return [
        row(1, None, D, "1"),
        row(2, 1, R, "1.1"),
        row(3, 2, C, "1.1.1"),
        row(4, 3, IND, "1.1.1.1", methods=("observation",), evidence=3),
        row(5, 3, IND, "1.1.1.2", evidence=1),
        row(6, 2, C, "1.1.2"),
        row(7, 6, IND, "1.1.2.1"),
        row(8, 1, R, "1.2"),
        row(9, 8, C, "1.2.1"),
        row(10, 9, IND, "1.2.1.1"),
        row(11, None, D, "2"),
        row(12, 11, R, "2.1"),
        row(13, 12, C, "2.1.1", enabled=False),
        row(14, 13, IND, "2.1.1.1"),
    ]


def test_the_tree_keeps_enabled_items_and_counts_evidence():
    roots = build_tree(catalog(), scope_limited=False)
    assert [root.code for root in roots] == ["1", "2"]
    assert [node.code for node in indicators_of(roots)] == [
        "1.1.1.1",
        "1.1.1.2",
        "1.1.2.1",
        "1.2.1.1",
    ]
    assert roots[0].evidence_count == 4 and roots[0].indicators == 4
    assert roots[1].children[0].children == []  # the switched-off criterion is gone
    indicator = indicators_of(roots)[0]
    assert indicator.ancestor_ids == (3, 2, 1)


def test_the_scope_keeps_chosen_items_their_subtrees_and_the_way_to_them():
    rows = [r if r.id != 8 else row(8, 1, R, "1.2", in_scope=True) for r in catalog()]
    roots = build_tree(rows, scope_limited=True)
    assert [root.code for root in roots] == ["1"]
    assert [child.code for child in roots[0].children] == ["1.2"]
    assert [node.code for node in indicators_of(roots)] == ["1.2.1.1"]


def test_scores_average_up_and_thresholds_give_levels():
    roots = build_tree(catalog(), scope_limited=False)
    recorded = {
        4: Assessed(400),
        5: Assessed(300),
        7: Assessed(362),
        10: Assessed(350),
    }
    roll_up(roots, recorded, SCALE)
    direction = roots[0]
    first, second = direction.children
    # Criteria 3,50 and 3,62 → requirement 3,56; with 3,50 → direction 3,53.
    assert first.score == Decimal("3.56")
    assert first.result_text == "3,56 — другий (достатній)"
    assert first.css == "level-2"
    assert second.score == Decimal("3.50")
    assert direction.score == Decimal("3.53")
    assert direction.rated == 4 and direction.indicators == 4
    unrated = roots[1]
    assert unrated.score is None and unrated.result_text == "не оцінено"
    assert unrated.css == "level-none"


def test_a_person_sets_a_level_with_a_reason_and_it_shows():
    roots = build_tree(catalog(), scope_limited=False)
    recorded = {
        4: Assessed(300),
        2: Assessed(override_level_id=11, override_reason="Зовнішній моніторинг"),
    }
    roll_up(roots, recorded, SCALE)
    requirement = roots[0].children[0]
    assert requirement.derived_level.name == "другий (достатній)"
    assert requirement.level.name == "перший (високий)"
    assert requirement.is_overridden and requirement.override_reason == "Зовнішній моніторинг"
    # The score is what the indicators say; only the level is set by a person.
    assert requirement.score == Decimal("3.00")


def test_the_previous_cycle_is_compared_by_code_with_words_and_arrows():
    now = build_tree(catalog(), scope_limited=False)
    roll_up(now, {4: Assessed(350), 10: Assessed(200)}, SCALE)
    recorded = {4: Assessed(300), 10: Assessed(200)}
    compare(now, summarise(catalog(), False, recorded, SCALE))
    better, same = now[0].children
    assert better.trend == ("↑", "+0,50: краще, ніж у попередньому циклі")
    assert same.trend == ("→", "без змін порівняно з попереднім циклом")
    assert now[1].trend == ("", "немає даних попереднього циклу")


def test_the_proposal_explains_itself_method_by_method():
    observation = checklist_signal(ChecklistStats("observation", 2, 12, 5), 3)
    documents = checklist_signal(ChecklistStats("documents", 1, 3, 3), 3)
    proposal = propose([observation, documents], SCALE, qualitative=2)
    # Observation 80 %, documents 33 %: the mean 56,67 % → 1 + 0.5667 × 3 = 2.70.
    assert proposal.score == Decimal("2.70")
    assert proposal.lines[0].startswith("Спостереження: 2 аркуші спостереження")
    assert "80 %" in proposal.lines[0]
    assert any("Якісні докази (2 записи" in line for line in proposal.lines)
    assert proposal.lines[-1].endswith("= 2,70 (другий (достатній))")


@dataclass
class FakeSurvey:
    """The shape dozq.surveys answers with (SurveyEvidence)."""

    questionnaire_title: str
    respondents: int
    share_positive: float | None


def test_survey_evidence_plugs_into_the_proposal_weighted_by_respondents():
    signal = survey_signal(
        [
            FakeSurvey("Анкета для батьків", 30, 0.9),
            FakeSurvey("Анкета для батьків", 10, 0.5),
            FakeSurvey("Відкрите питання", 12, None),
        ]
    )
    assert signal.share == Decimal("0.8")
    assert "Анкета для батьків" in signal.detail and "40 респондентів" in signal.detail
    observation = checklist_signal(ChecklistStats("observation", 1, 6, 3), 3)
    proposal = propose([observation, signal], SCALE)
    # (66,7 % + 80 %) / 2 = 73,3 % → 3.20.
    assert proposal.score == Decimal("3.20")
    assert survey_signal([FakeSurvey("Замало відповідей", 3, None)]) is None


def test_no_numbers_no_proposal():
    proposal = propose([], SCALE, qualitative=1)
    assert proposal.score is None
    assert "бал визначає робоча група" in proposal.lines[-1]
    assert (
        propose([checklist_signal(ChecklistStats("observation", 1, 3, 1), 3)], None).score is None
    )


def test_the_fast_roll_up_agrees_with_the_quality_system_on_every_score():
    from dozq.assessment.scoring import hundredths, mean_of_hundredths
    from dozq.quality_system.models import to_score
    from dozq.quality_system.services import level_for, mean_score

    for value in range(100, 401):
        score = to_score(Decimal(value) / 100)
        assert SCALE.level_of_hundredths(value) == level_for(SCALE, score)
    assert SCALE.level_of_hundredths(99) is None and SCALE.level_of_hundredths(401) is None
    samples = [[356, 300], [101, 102, 102], [399, 400, 400, 101], [250], [333, 334, 335]]
    for values in samples:
        expected = mean_score(Decimal(v) / 100 for v in values)
        assert mean_of_hundredths(values) == hundredths(expected)


def test_the_summary_of_another_cycle_agrees_with_its_tree():
    rows = [r if r.id != 8 else row(8, 1, R, "1.2", in_scope=True) for r in catalog()]
    recorded = {
        4: Assessed(400),
        10: Assessed(237),
        8: Assessed(override_level_id=11, override_reason="х"),
    }
    for limited in (False, True):
        tree = build_tree(rows, limited)
        roll_up(tree, recorded, SCALE)
        summary = summarise(rows, limited, recorded, SCALE)
        for node in (node for root in tree for node in root.walk()):
            assert (summary[node.code].score, summary[node.code].level) == (
                node.score,
                node.level,
            ), node.code


def test_the_shallow_tree_of_the_matrix_agrees_with_the_full_tree():
    scopes = {
        "all": catalog(),
        "a requirement": [
            r if r.id != 8 else row(8, 1, R, "1.2", in_scope=True) for r in catalog()
        ],
        "a criterion": [
            r if r.id != 6 else row(6, 2, C, "1.1.2", in_scope=True) for r in catalog()
        ],
    }
    recorded = {
        4: Assessed(400),
        5: Assessed(263),
        7: Assessed(318),
        10: Assessed(237),
        2: Assessed(override_level_id=14, override_reason="х", has_findings=True),
    }
    for name, rows in scopes.items():
        limited = name != "all"
        full = build_tree(rows, limited)
        roll_up(full, recorded, SCALE)
        shallow = shallow_tree(rows, limited, recorded, SCALE)

        def shape(roots):
            return [
                (n.code, n.points, n.level, n.derived_level, n.rated, n.indicators, n.has_findings)
                for root in roots
                for n in [root, *root.children]
            ]

        assert shape(shallow) == shape(full), name
