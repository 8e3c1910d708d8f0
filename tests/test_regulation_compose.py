"""The regulation's text composed from the configuration: what it reads, how it marks
what is missing, recomposing with a preview; the markup; names in the genitive."""

from datetime import date

import pytest
from sqlalchemy import select

from dozq.auth.models import User
from dozq.catalog import queries as catalog_queries
from dozq.db import db
from dozq.documents.wording import blank, genitive, in_genitive, place_of, signature_name
from dozq.quality_system import services as quality
from dozq.quality_system.models import QualityComponent, QualityPolicy
from dozq.regulation import markup, services
from dozq.regulation.compose import SECTIONS, compose
from dozq.regulation.models import RegulationSection
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, tenant_scope
from tests.factories import make_founder, make_institution, sign_in_as


def scope_of(institution_id: int):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def institution(institution_id):
    return db.session.get(Institution, institution_id, execution_options={BYPASS_OPTION: True})


def test_composition_reads_only_what_exists_and_marks_the_rest(app):
    """An institution whose quality system was never set up: every section is still
    there, and what is missing says «(не визначено)»."""
    with app.app_context():
        founder = make_founder("founder-c")
        bare = make_institution(founder, "zdo-c", "ЗДО «Порожній»")
        with scope_of(bare.id):
            for model in (QualityComponent, QualityPolicy):
                for row in db.session.scalars(select(model)):
                    db.session.delete(row)
            db.session.flush()
            composition = compose(bare, date(2025, 9, 1))
        keys = [section.key for section in composition.sections]
        assert keys == [key for key, _title in SECTIONS if key != "own_components"]
        missing = {s.key for s in composition.sections if markup.UNDEFINED in s.body}
        assert {"goals", "components", "policy", "integrity", "inclusion"} <= missing
        assert (
            "Основна мета внутрішньої системи – (не визначено)" in composition.section("goals").body
        )
        assert composition.annex == []
        assert composition.title.startswith(
            "ПОЛОЖЕННЯ про внутрішню систему забезпечення якості освіти закладу дошкільної освіти"
        )


def test_composition_follows_the_configuration(app, world):
    with app.app_context(), scope_of(world.a.institution_id):
        place = institution(world.a.institution_id)
        composition = compose(place, date(2025, 9, 1))
        policy = composition.section("policy").body
        assert "- недискримінацію, запобігання та протидію булінгу (цькуванню);" in policy
        assert "- власний орієнтир альфа." in policy.lower()
        own = composition.section("own_components")
        assert own is not None and "Компонент «Власний компонент Альфа»." in own.body
        assert "- захід Альфа (відповідальні: вихователь-методист; термін: щороку)." in own.body
        levels = composition.section("levels").body
        assert "- перший (високий) – від 3,60 балів" in levels
        catalog = catalog_queries.active_catalog()
        active = [
            row
            for row in catalog_queries.flatten(catalog_queries.catalog_tree(catalog.id))
            if row.active
        ]
        assert [row["code"] for row in composition.annex] == [row.code for row in active]
        assert any("Власний індикатор Альфа" in row["text"] for row in composition.annex)


def test_recomposing_shows_the_difference_first_and_changes_only_what_is_chosen(app, world):
    with app.app_context(), scope_of(world.a.institution_id):
        place = institution(world.a.institution_id)
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        edition = services.edition_in_progress()
        services.start_revision(director, edition)  # editable again
        policy = quality.policy()
        quality.update_policy(director, policy, {"goal": "Нова мета закладу."}, policy.version)
        goals = next(s for s in services.latest_version(edition).sections if s.key == "goals")
        services.update_section(
            director, edition, goals, goals.body + "\n\nВласний абзац.", goals.version
        )
        plan = services.recomposition(edition, place)
        changed = {change.key: change for change in plan.changes if change.changed}
        assert {"goals", "policy"} <= set(changed)
        assert changed["goals"].edited and not changed["policy"].edited
        assert any(
            row.right is not None and "<ins>" in row.right and "нова" in row.right
            for row in changed["policy"].rows
        )
        # Nothing changed yet: the preview only showed it.
        assert "Нова мета закладу" not in next(
            s.body for s in services.latest_version(edition).sections if s.key == "policy"
        )
        applied = services.apply_recomposition(director, edition, place, ["policy"])
        assert applied == [changed["policy"].title]
        sections = {
            s.key: s
            for s in db.session.scalars(
                select(RegulationSection).where(
                    RegulationSection.version_id == services.latest_version(edition).id
                )
            )
        }
        assert "нова мета закладу" in sections["policy"].body
        assert "Власний абзац." in sections["goals"].body


def test_recompose_page_preselects_only_sections_not_edited_by_hand(app, client, world):
    with app.app_context(), scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        edition = services.edition_in_progress()
        services.start_revision(director, edition)
        policy = quality.policy()
        quality.update_policy(director, policy, {"goal": "Інша мета."}, policy.version)
        edition_id = edition.id
        db.session.commit()
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    page = client.get(f"/i/{world.a.slug}/regulation/{edition_id}/recompose").get_data(True)
    assert 'name="keys" value="policy" checked' in page
    assert "<ins>" in page
    response = client.post(
        f"/i/{world.a.slug}/regulation/{edition_id}/recompose", data={"keys": ["policy"]}
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "Заклад дошкільної освіти (ясла-садок) № 1 «Сонечко» Сонячненської міської ради",
            "закладу дошкільної освіти (ясла-садок) № 1 «Сонечко» Сонячненської міської ради",
        ),
        ("Комунальний заклад дошкільної освіти № 3", "комунального закладу дошкільної освіти № 3"),
        (
            "Дошкільний навчальний заклад № 5 «Вишенька»",
            "дошкільного навчального закладу № 5 «Вишенька»",
        ),
        ("Ясла-садок № 2 «Веселка»", "ясел-садка № 2 «Веселка»"),
        ("Дитячий садок «Калинка»", "дитячого садка «Калинка»"),
        ("ЗДО № 1 «Сонечко»", "ЗДО № 1 «Сонечко»"),
    ],
)
def test_institution_names_in_the_genitive(name, expected):
    assert genitive(name) == expected
    assert in_genitive(name) == expected


def test_a_name_we_cannot_inflect_follows_у():
    assert genitive("Сонечко & Ко") is None
    assert in_genitive("Сонечко & Ко") == "у Сонечко & Ко"


def test_signatures_places_and_blanks():
    assert signature_name("Олена Петрівна Коваленко") == "Олена КОВАЛЕНКО"
    assert signature_name("Коваленко Олена Петрівна") == "Олена КОВАЛЕНКО"
    assert place_of("вул. Квіткова, 5, м. Сонячне, 01002") == "м. Сонячне"
    assert place_of("с. Вишневе, вул. Миру, 1") == "с. Вишневе"
    assert place_of("") == ""
    assert blank("") == "______" and blank("___") == "______" and blank("32-о/д") == "32-о/д"


def test_markup_round_trips_and_diffs_by_words():
    text = "Вступ\nпродовження\n- один\n-   два\nПісля\n\n\nЩе абзац"
    assert markup.normalise(text) == "Вступ продовження\n- один\n- два\n\nПісля\n\nЩе абзац"
    assert markup.normalise(markup.normalise(text)) == markup.normalise(text)
    groups = markup.groups(markup.normalise(text), 3)
    assert [(g.kind, g.number) for g in groups] == [
        ("p", "3.1."),
        ("ul", ""),
        ("p", "3.2."),
        ("p", "3.3."),
    ]
    rows = markup.diff_texts("Перший абзац <тут>.", "Перший абзац там.")
    assert str(rows[0].left) == "Перший абзац <del>&lt;тут&gt;</del>."
    assert str(rows[0].right) == "Перший абзац <ins>там</ins>."
