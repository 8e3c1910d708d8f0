"""The quality system's services, called directly: defaults, scale versions, the
score → level rule, threshold checks, the plan that follows the model, ordering."""

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from dozq.audit.models import AuditEntry
from dozq.auth.models import User
from dozq.db import db
from dozq.quality_system import services
from dozq.quality_system.models import (
    DEFAULT_ORIENTATIONS,
    STATUTORY_COMPONENT_TITLES,
    Audience,
    ImmutableScaleError,
    InstitutionFeatures,
    LevelColour,
    LevelScale,
    ModelKind,
    QualityComponent,
    QualityMeasure,
    QualityOrientation,
    QualityPolicy,
    ScaleLevel,
    SelfAssessmentModel,
    StatutoryComponent,
)
from dozq.quality_system.services import LevelDraft, level_for, scale_errors
from dozq.tenancy import services as tenancy
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import Scope, tenant_scope
from dozq.web.errors import ConflictError, DomainError

D = Decimal


@contextmanager
def working_in(tenant):
    """The institution's scope and its director, as a request would have them."""
    institution = db.session.get(
        Institution, tenant.institution_id, execution_options={"all_tenants": True}
    )
    with tenant_scope(db.session, Scope.for_institution(institution)):
        yield db.session.get(User, tenant.users[Role.DIRECTOR]), institution


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def default_scale():
    """The default scale as plain objects: level_for needs no database."""
    levels = [
        SimpleNamespace(rank=rank, name=name, min_score=low)
        for rank, (name, _description, _colour, low) in enumerate(services.DEFAULT_LEVELS, start=1)
    ]
    return SimpleNamespace(min_score=D("1.00"), max_score=D("4.00"), levels=levels)


# Defaults


def test_a_new_institution_starts_with_the_statutory_defaults(app, world):
    with app.app_context():
        founder_admin = db.session.get(User, world.a.founder_admin_id)
        with tenant_scope(db.session, Scope.for_founder(world.a.founder_id, ())):
            institution = tenancy.create_institution(
                founder_admin,
                {"full_name": "ЗДО № 9", "short_name": "ЗДО № 9", "kind": "kindergarten"},
            )
            institution_id = institution.id
            db.session.commit()
        institution = db.session.scalar(
            select(Institution)
            .where(Institution.id == institution_id)
            .execution_options(all_tenants=True)
        )
        with tenant_scope(db.session, Scope.for_institution(institution)):
            components = services.components()
            assert [c.statutory_key for c in components] == list(StatutoryComponent)
            assert [c.title for c in components] == list(STATUTORY_COMPONENT_TITLES.values())
            assert components[0].title == (
                "Стратегія (політика) та процедури забезпечення якості освіти"
            )
            policy = services.policy()
            assert policy.goal.startswith("Гарантувати якість дошкільної освіти")
            orientations = services.orientations()
            assert [o.text for o in orientations] == list(DEFAULT_ORIENTATIONS)
            assert all(o.is_default for o in orientations)
            assert orientations[0].text.startswith("Партнерство")
            features = services.features()
            assert features.group_count is None and features.education_language == "українська"
            scale = services.current_scale()
            assert scale.number == 1
            assert (scale.min_score, scale.max_score) == (D("1.00"), D("4.00"))
            assert [(lv.name, lv.colour, lv.min_score) for lv in scale.levels] == [
                ("перший (високий)", LevelColour.GREEN, D("3.60")),
                ("другий (достатній)", LevelColour.TEAL, D("2.60")),
                ("третій (вимагає покращення)", LevelColour.YELLOW, D("1.60")),
                ("четвертий (низький)", LevelColour.RED, D("1.00")),
            ]
            model = services.assessment_model()
            assert model.kind == ModelKind.ANNUAL_COMPREHENSIVE
            assert model.plan_start_year == services.current_school_year()
            assert services.plan_cells() == {
                (year, direction) for year in model.plan_school_years for direction in (1, 2, 3, 4)
            }
            assert audit_actions() == ["quality_system.set_up"]
            # Nothing is missing, so setting up again adds nothing and logs nothing.
            assert services.set_up_quality_system(institution, founder_admin) == []
            assert audit_actions() == ["quality_system.set_up"]


def test_setting_up_completes_only_what_is_missing(app, world):
    with app.app_context(), working_in(world.a) as (director, institution):
        db.session.delete(services.features())
        db.session.flush()
        assert services.set_up_quality_system(institution, director) == ["особливості закладу"]
        assert db.session.scalar(select(func.count(QualityComponent.id))) == 8
        assert db.session.scalar(select(func.count(InstitutionFeatures.id))) == 1


# Components and measures


def test_statutory_components_cannot_be_deleted_and_keep_their_title(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        statutory = services.components()[0]
        with pytest.raises(DomainError, match="не можна вилучити"):
            services.delete_component(director, statutory, statutory.version)
        services.update_component(
            director,
            statutory,
            {"title": "Інша назва", "description": "Опис", "policies": "Політики"},
            statutory.version,
        )
        assert statutory.title == STATUTORY_COMPONENT_TITLES[StatutoryComponent.POLICY]
        assert statutory.description == "Опис"


def test_deleting_an_own_component_removes_its_procedure(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        own = services.create_component(director, {"title": "Харчування"})
        services.add_measure(
            director, own, {"action": "Контроль", "responsible_person": "Іваненко І. І."}
        )
        services.measures_of(own)  # loaded into the session, as a page would
        services.delete_component(director, own, own.version)
        db.session.commit()
        assert db.session.get(QualityComponent, own.id) is None
        assert (
            db.session.scalar(
                select(func.count(QualityMeasure.id)).where(QualityMeasure.component_id == own.id)
            )
            == 0
        )


def test_a_measure_needs_a_role_or_a_person(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        component = services.components()[0]
        with pytest.raises(DomainError, match="роль або особу"):
            services.add_measure(director, component, {"action": "Щось", "timing": "щороку"})
        measure = services.add_measure(
            director, component, {"action": "Щось", "responsible_role": "council"}
        )
        assert measure.responsible == "педагогічна рада"


def test_moving_reorders_without_bumping_versions(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        component = services.components()[1]
        first, second, third = (
            services.add_measure(
                director, component, {"action": f"Захід {n}", "responsible_role": "director"}
            )
            for n in (1, 2, 3)
        )
        versions = [m.version for m in (first, second, third)]
        before = len(audit_actions())
        assert services.move_measure(director, third, "up") is True
        db.session.commit()
        assert [m.action for m in services.measures_of(component)] == [
            "Захід 1",
            "Захід 3",
            "Захід 2",
        ]
        assert [m.version for m in (first, second, third)] == versions
        assert audit_actions()[before:] == ["quality_system.measure_moved"]
        # At the top already: nothing moves and nothing is logged.
        assert services.move_measure(director, first, "up") is False
        assert len(audit_actions()) == before + 1
        # Someone who opened the second measure before the move still saves it.
        services.update_measure(
            director,
            second,
            {"action": "Захід 2 змінено", "responsible_role": "director"},
            versions[1],
        )


def test_a_stale_save_is_a_conflict(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        component = services.components()[0]
        opened_at = component.version
        services.update_component(director, component, {"description": "Перша"}, opened_at)
        db.session.flush()
        with pytest.raises(ConflictError, match="змінив інший користувач"):
            services.update_component(director, component, {"description": "Друга"}, opened_at)


def test_default_orientations_can_be_reworded_but_not_removed(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        default = services.orientations()[0]
        services.update_orientation(
            director, default, {"text": "Партнерство з родинами"}, default.version
        )
        with pytest.raises(DomainError, match="не вилучити"):
            services.delete_orientation(director, default, default.version)
        own = services.add_orientation(director, {"text": "Цифрова грамотність"})
        services.delete_orientation(director, own, own.version)
        db.session.flush()
        assert db.session.scalar(select(func.count(QualityOrientation.id))) == 8


# Features


def test_expected_respondents_come_from_the_features(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        features = services.features()
        assert features.expected_respondents(Audience.PARENTS) is None
        services.update_features(
            director,
            features,
            {"group_count": 6, "child_count": 140, "teacher_count": 15, "other_staff_count": 20},
            features.version,
        )
        assert features.expected_respondents(Audience.PARENTS) == 140
        assert features.expected_respondents(Audience.TEACHERS) == 15
        assert features.expected_respondents(Audience.STAFF) == 20
        assert features.expected_respondents(Audience.ALL_STAFF) == 35
        assert features.expected_respondents(Audience.GROUPS) == 6
        assert services.expected_respondents("parents") == 140
        with pytest.raises(DomainError, match="не меншим за 0"):
            services.update_features(director, features, {"group_count": -1}, features.version)


# Score → level


@pytest.mark.parametrize(
    ("score", "level"),
    [
        ("4.00", "перший (високий)"),
        ("3.60", "перший (високий)"),
        ("3.595", "перший (високий)"),  # shown as 3,60, so rated as 3,60
        ("3.594", "другий (достатній)"),
        ("3.59", "другий (достатній)"),
        ("3.56", "другий (достатній)"),  # «3,56 (достатній рівень)» as reports write it
        ("2.60", "другий (достатній)"),
        ("2.59", "третій (вимагає покращення)"),
        ("1.60", "третій (вимагає покращення)"),
        ("1.59", "четвертий (низький)"),
        ("1.00", "четвертий (низький)"),
        (3, "другий (достатній)"),
        (3.6, "перший (високий)"),
    ],
)
def test_score_to_level_on_the_default_scale(score, level):
    value = D(score) if isinstance(score, str) else score
    assert level_for(default_scale(), value).name == level


def test_score_to_level_outside_the_scale_or_without_a_score():
    scale = default_scale()
    assert level_for(scale, None) is None
    for outside in (D("0.99"), D("4.01"), 5):
        with pytest.raises(ValueError, match="поза межами шкали"):
            level_for(scale, outside)


def test_score_to_level_on_an_own_scale():
    scale = SimpleNamespace(
        min_score=D("0"),
        max_score=D("100"),
        levels=[
            SimpleNamespace(rank=3, name="низький", min_score=D("0")),
            SimpleNamespace(rank=1, name="високий", min_score=D("75")),
            SimpleNamespace(rank=2, name="середній", min_score=D("40")),
        ],
    )
    assert [level_for(scale, D(s)).name for s in ("100", "75", "74.99", "40", "39.99", "0")] == [
        "високий",
        "високий",
        "середній",
        "середній",
        "низький",
        "низький",
    ]


def test_scores_average_up_the_hierarchy():
    assert services.mean_score([D("4"), D("3"), D("3")]) == D("3.33")
    assert services.mean_score([D("3.5"), None, D("3.62")]) == D("3.56")
    assert services.mean_score([None]) is None


# Threshold validation


def drafts(*thresholds, names=None):
    names = names or [f"рівень {n}" for n in range(1, len(thresholds) + 1)]
    return [
        LevelDraft(name, "", LevelColour.GREEN, None if t is None else D(t))
        for name, t in zip(names, thresholds, strict=True)
    ]


def test_thresholds_that_are_ordered_and_within_the_scale_pass():
    levels = drafts("3.6", "2.6", "1.6", None)
    assert scale_errors(D("1"), D("4"), levels) == {}
    assert levels[-1].min_score == D("1")  # the lowest level starts at the minimum


def test_threshold_validation_messages():
    assert scale_errors(D("4"), D("1"), drafts("3", None)) == {
        "max_score": "Максимальний бал має бути більшим за мінімальний."
    }
    assert scale_errors(None, D("4"), drafts("3", None)) == {
        "min_score": "Вкажіть мінімальний бал шкали."
    }
    assert scale_errors(D("1"), D("4"), drafts(None)) == {
        "levels": "Шкала має містити від 2 до 6 рівнів."
    }
    assert scale_errors(D("1"), D("4"), drafts("2", "3", None)) == {
        "levels-1-min_score": "Поріг має бути нижчим, ніж у вищого рівня «рівень 1» (2,00)."
    }
    assert scale_errors(D("1"), D("4"), drafts("2.5", "2.5", None)) == {
        "levels-1-min_score": "Поріг має бути нижчим, ніж у вищого рівня «рівень 1» (2,50)."
    }
    assert scale_errors(D("1"), D("4"), drafts("4.5", None)) == {
        "levels-0-min_score": "Поріг має бути більшим за 1,00 і не більшим за 4,00."
    }
    assert scale_errors(D("1"), D("4"), drafts("1", None)) == {
        "levels-0-min_score": "Поріг має бути більшим за 1,00 і не більшим за 4,00."
    }
    assert scale_errors(D("1"), D("4"), drafts(None, None)) == {
        "levels-0-min_score": "Вкажіть поріг: найменший бал, з якого починається цей рівень."
    }
    assert scale_errors(D("1"), D("4"), drafts("3", "2")) == {
        "levels-1-min_score": "Найнижчий рівень починається з мінімального бала шкали (1,00)."
    }
    assert scale_errors(D("1"), D("4"), drafts("3", None, names=["Високий", "високий"])) == {
        "levels-1-name": "Рівень з такою назвою вже є в шкалі."
    }


def test_scores_are_read_as_ukrainians_write_them():
    assert services.parse_score("3,5") == D("3.50")
    assert services.parse_score(" 2.75 ") == D("2.75")
    with pytest.raises(ValueError, match="наприклад 3,5"):
        services.parse_score("три")
    with pytest.raises(ValueError, match="двох знаків"):
        services.parse_score("3,555")


# Scale versions


def test_a_new_scale_version_never_rewrites_the_old_one(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        first = services.current_scale()
        first_id = first.id
        before = [(lv.id, lv.name, lv.min_score, lv.colour) for lv in first.levels]
        own = [
            LevelDraft("високий", "Усе виконано", LevelColour.GREEN, D("75")),
            LevelDraft("середній", "", LevelColour.YELLOW, D("40")),
            LevelDraft("низький", "", LevelColour.RED, None),
        ]
        second = services.create_scale_version(
            director, "Власна шкала", D("0"), D("100"), own, based_on=first.number
        )
        db.session.commit()
        assert second.number == 2 and second.id != first_id
        db.session.expire_all()
        old = db.session.get(LevelScale, first_id)
        assert [(lv.id, lv.name, lv.min_score, lv.colour) for lv in old.levels] == before
        assert services.current_scale().id == second.id
        assert [lv.name for lv in services.current_scale().levels] == [
            "високий",
            "середній",
            "низький",
        ]
        assert level_for(old, D("3.7")).name == "перший (високий)"
        assert level_for(second, D("80")).name == "високий"
        assert audit_actions()[-1] == "quality_system.scale_created"
        # A saved version cannot be changed, even by mistake.
        old.levels[0].name = "інша назва"
        with pytest.raises(ImmutableScaleError):
            db.session.flush()
        db.session.rollback()


def test_a_scale_saved_from_a_stale_version_is_refused(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        levels = services.drafts_of(None)
        services.create_scale_version(director, "Друга", D("1"), D("4"), levels, based_on=1)
        with pytest.raises(ConflictError, match="версію 2 шкали"):
            services.create_scale_version(
                director, "Третя", D("1"), D("4"), services.drafts_of(None), based_on=1
            )
        assert db.session.scalar(select(func.count(LevelScale.id))) == 2
        assert db.session.scalar(select(func.count(ScaleLevel.id))) == 8


def test_an_invalid_scale_is_not_saved(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        with pytest.raises(DomainError, match="Поріг має бути нижчим"):
            services.create_scale_version(
                director, "Погана", D("1"), D("4"), drafts("2", "3", None), based_on=1
            )
        assert db.session.scalar(select(func.count(LevelScale.id))) == 1


# The model and its plan


def test_the_default_plan_follows_the_model():
    years = range(2025, 2030)
    every = {(y, d) for y in years for d in (1, 2, 3, 4)}
    assert services.default_plan(ModelKind.ANNUAL_COMPREHENSIVE, 2025, 5, 5) == every
    assert services.default_plan(ModelKind.ANNUAL_TARGETED, 2025, 5, 5) == {
        (2025, 1),
        (2026, 2),
        (2027, 3),
        (2028, 4),
        *((2029, d) for d in (1, 2, 3, 4)),
    }
    assert services.default_plan(ModelKind.ANNUAL_TARGETED, 2025, 7, 3) == {
        (2025, 1),
        (2026, 2),
        *((2027, d) for d in (1, 2, 3, 4)),
        (2028, 3),
        (2029, 4),
        *((2030, d) for d in (1, 2, 3, 4)),
        (2031, 1),
    }
    assert services.default_plan(ModelKind.PROGRAMME_COMPREHENSIVE, 2025, 7, 4) == {
        *((2025, d) for d in (1, 2, 3, 4)),
        *((2029, d) for d in (1, 2, 3, 4)),
    }
    assert services.default_plan(ModelKind.OWN, 2025, 5, 5) == set()


def model_data(model, **changes):
    data = {
        "kind": model.kind.value,
        "description": model.description,
        "block_system": model.block_system,
        "comprehensive_every": model.comprehensive_every,
        "plan_start_year": model.plan_start_year,
        "plan_years": model.plan_years,
    }
    return data | changes


def test_a_new_model_refills_the_plan_and_a_new_period_keeps_it(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        model = services.assessment_model()
        start = model.plan_start_year
        services.update_model(
            director, model, model_data(model, kind="annual_targeted"), model.version
        )
        assert services.plan_cells() == services.default_plan(
            ModelKind.ANNUAL_TARGETED, start, 5, 5
        )
        services.save_plan(director, model, {(start, 3), (start + 1, 4)}, model.version)
        services.update_model(
            director,
            model,
            model_data(model, plan_start_year=start + 1, plan_years=6),
            model.version,
        )
        # The year that left the period is gone; the years kept keep their cells; the
        # new years are filled as the model says.
        cells = services.plan_cells()
        assert (start, 3) not in cells and (start + 1, 4) in cells
        assert {cell for cell in cells if cell[0] >= start + 5} == {
            cell
            for cell in services.default_plan(ModelKind.ANNUAL_TARGETED, start + 1, 6, 5)
            if cell[0] >= start + 5
        }
        with pytest.raises(DomainError, match="Опишіть власну модель"):
            services.update_model(director, model, model_data(model, kind="own"), model.version)


def test_saving_the_plan_writes_one_audit_row_and_refuses_a_stale_grid(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        model = services.assessment_model()
        opened_at = model.version
        year = model.plan_start_year
        before = len(audit_actions())
        assert services.save_plan(director, model, {(year, 1), (year + 1, 2)}, opened_at) is True
        assert services.plan_cells() == {(year, 1), (year + 1, 2)}
        assert audit_actions()[before:] == ["quality_system.plan_updated"]
        entry = db.session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert "знято" in entry.summary and "додано" not in entry.summary
        assert model.version == opened_at + 1
        with pytest.raises(ConflictError):
            services.save_plan(director, model, {(year, 4)}, opened_at)
        with pytest.raises(DomainError, match="лише роки плану"):
            services.save_plan(director, model, {(year + 20, 1)}, model.version)
        services.reset_plan(director, model, model.version)
        assert services.plan_cells() == services.default_plan(
            ModelKind.ANNUAL_COMPREHENSIVE, year, 5, 5
        )


# Plans


def test_one_annual_plan_per_school_year_and_ordered_sections(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        year = services.current_school_year()
        with pytest.raises(DomainError, match="уже є"):
            services.create_annual_plan(director, {"school_year": year})
        plan = services.create_annual_plan(director, {"school_year": year + 1})
        assert plan.title == (
            f"План роботи закладу на {year + 1}/{year + 2} навчальний рік "
            "та літній оздоровчий період"
        )
        for title in ("Методична робота", "Робота з батьками", "Літній період"):
            services.add_section(director, plan, {"title": title})
        sections = services.sections_of(plan)
        services.move_section(director, sections[0], "down")
        db.session.flush()
        assert [s.title for s in services.sections_of(plan)] == [
            "Робота з батьками",
            "Методична робота",
            "Літній період",
        ]


def test_a_programme_lasts_one_to_ten_years(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        with pytest.raises(DomainError, match="від 1 до 10 років"):
            services.create_programme(
                director, {"title": "П", "start_year": 2026, "end_year": 2025}
            )
        programme = services.create_programme(
            director, {"title": "П", "start_year": 2026, "end_year": 2030}
        )
        assert programme.period_label == "2026–2030"


def test_the_school_year_starts_in_september():
    assert services.current_school_year(date(2026, 8, 31)) == 2025
    assert services.current_school_year(date(2026, 9, 1)) == 2026
    assert services.current_school_year(date(2027, 1, 15)) == 2026


# The overview


def test_the_overview_lists_what_is_missing(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        overview = services.overview()
        texts = {part.key: [todo.text for todo in part.todos] for part in overview.parts}
        assert "Не вказано кількість груп" in texts["features"]
        assert "Не вказано кількість дітей" in texts["features"]
        assert any(text.endswith("без опису, політик і процедур") for text in texts["components"])
        assert texts["levels"] == [] and texts["policy"] == []
        features = services.features()
        services.update_features(
            director, features, {"group_count": 0, "child_count": 12}, features.version
        )
        db.session.delete(services.policy())
        db.session.flush()
        overview = services.overview()
        texts = {part.key: [todo.text for todo in part.todos] for part in overview.parts}
        assert "Не вказано кількість груп" not in texts["features"]  # 0 is an answer
        assert "Не визначено основну мету політики" in texts["policy"]
        assert not overview.set_up


def test_each_step_writes_one_audit_row(app, world):
    with app.app_context(), working_in(world.a) as (director, _):
        component = services.components()[0]
        steps = [
            lambda: services.update_component(
                director, component, {"description": "Опис"}, component.version
            ),
            lambda: services.add_measure(
                director, component, {"action": "А", "responsible_role": "director"}
            ),
            lambda: services.add_orientation(director, {"text": "Орієнтир"}),
            lambda: services.update_policy(
                director, services.policy(), {"goal": "Мета"}, services.policy().version
            ),
        ]
        for step in steps:
            before = db.session.scalar(select(func.count(AuditEntry.id)))
            step()
            db.session.flush()
            assert db.session.scalar(select(func.count(AuditEntry.id))) == before + 1
        # Saving without a change is no step: nothing is logged.
        before = db.session.scalar(select(func.count(AuditEntry.id)))
        assert (
            services.update_component(
                director, component, {"description": "Опис"}, component.version
            )
            == []
        )
        assert db.session.scalar(select(func.count(AuditEntry.id))) == before


def test_singletons_are_one_per_institution(app, world):
    with app.app_context(), working_in(world.a):
        for model in (QualityPolicy, InstitutionFeatures, SelfAssessmentModel):
            assert db.session.scalar(select(func.count(model.id))) == 1
