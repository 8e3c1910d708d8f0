"""The founder's dashboard: side by side, alphabetical, published levels only, XLSX."""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from dozq.assessment import queries as assessment_queries
from dozq.assessment import services as assessment
from dozq.assessment.models import AssessmentCycle, CycleStatus, DirectionResult, ItemAssessment
from dozq.assessment.scoring import mean_of_hundredths
from dozq.auth.models import User
from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db, utcnow
from dozq.publication import founder, services
from dozq.publication.charts import trend_chart
from dozq.publication.founder import alphabetical, founder_board
from dozq.publication.founder_views import rendered_rows
from dozq.regulation.models import RegulationEdition
from dozq.surveys.models import Questionnaire, SurveyAudience
from dozq.tenancy.models import Institution, Role
from dozq.tenancy.scope import BYPASS_OPTION, Scope, current_scope, tenant_scope
from dozq.web.errors import ConflictError
from tests.factories import sign_in_as


def scope_of(institution_id):
    institution = db.session.get(
        Institution, institution_id, execution_options={BYPASS_OPTION: True}
    )
    return tenant_scope(db.session, Scope.for_institution(institution))


def move(world, *targets):
    with scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        cycle = db.session.scalar(select(AssessmentCycle))
        for target in targets:
            assessment.transition(director, Role.DIRECTOR, cycle, target)
        db.session.commit()


def all_of_founder(tenant, *others):
    return tenant_scope(
        db.session,
        Scope.for_founder(
            tenant.founder_id, [tenant.institution_id, *[o.institution_id for o in others]]
        ),
    )


def test_levels_only_when_published_or_shared(app, world):
    with app.app_context():
        with all_of_founder(world.a, world.a2):
            board = founder_board()
            names = [row.institution.short_name for row in board.rows]
            assert names == sorted(names)
            row = next(r for r in board.rows if r.institution.id == world.a.institution_id)
            assert row.cycle_status == CycleStatus.RATING and not row.levels_visible
            assert row.regulation.startswith("оприлюднено (редакція 1); редакція 2")
        with scope_of(world.a.institution_id):
            director = db.session.get(User, world.a.users[Role.DIRECTOR])
            services.save_settings(director, True, 1)
            db.session.commit()
        with all_of_founder(world.a, world.a2):
            board = founder_board()
            row = next(r for r in board.rows if r.institution.id == world.a.institution_id)
            cells = board.cells(row)
            assert row.levels_visible
            assert any(cell.score is not None for cell in cells.values())
            assert all(cell.text for cell in cells.values())
        # A shared draft is aggregated on the fly, to the same scores as its roll-up.
        with scope_of(world.a.institution_id):
            cycle = assessment_queries.cycle_or_404(
                db.session.scalar(select(AssessmentCycle.id)), with_previous=True
            )
            own = {root.code: root.score for root in assessment_queries.results(cycle).roots}
        assert {code: cell.score for code, cell in cells.items()} == own


CSRF_TOKEN = re.compile(r'("X-CSRFToken": "|name="csrf_token" value=")[^"]+')


def page_text(response) -> str:
    """The page without its CSRF tokens: they carry the second they were signed at."""
    return CSRF_TOKEN.sub(r"\1…", response.get_data(as_text=True))


def test_published_cycle_shows_in_heat_map_page_and_xlsx(app, client, world, count_queries):
    with app.app_context():
        move(world, CycleStatus.DISCUSSED, CycleStatus.PUBLISHED)
    sign_in_as(app, client, world.a.founder_admin_id)
    page = client.get(f"/f/{world.a.founder_slug}/dashboard/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Огляд закладів" in body and 'class="level-' in body
    assert "Бета" not in body and "<svg" in body
    fragment = client.get(
        f"/f/{world.a.founder_slug}/dashboard/?direction=", headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.get_data(as_text=True)
    bad = client.get(f"/f/{world.a.founder_slug}/dashboard/?school_year=abc")
    assert bad.status_code == 422
    assert "Оберіть навчальний рік зі списку." in bad.get_data(as_text=True)
    export = client.get(f"/f/{world.a.founder_slug}/dashboard/export.xlsx")
    assert export.status_code == 200
    book = load_workbook(io.BytesIO(export.data))
    rows = list(book["Заклади"].iter_rows(values_only=True))
    assert rows[0][0] == "Заклад"
    assert any("Альфа" in (row[0] or "") for row in rows[1:])
    assert not any("Бета" in str(value) for row in rows for value in row)
    with app.app_context(), all_of_founder(world.a, world.a2):
        with count_queries() as counter:
            founder_board()
        assert len(counter) <= 10


def test_the_heat_map_scores_are_the_cycles_own_roll_up(app, world):
    with app.app_context():
        move(world, CycleStatus.DISCUSSED, CycleStatus.PUBLISHED)
        with scope_of(world.a.institution_id):
            cycle = assessment_queries.cycle_or_404(
                db.session.scalar(select(AssessmentCycle.id)), with_previous=True
            )
            own = {root.code: root.score for root in assessment_queries.results(cycle).roots}
        with all_of_founder(world.a, world.a2):
            board = founder_board()
            row = next(r for r in board.rows if r.institution.id == world.a.institution_id)
        shown = {code: cell.score for code, cell in board.cells(row).items()}
        assert shown == own and any(score is not None for score in shown.values())


def test_after_a_write_only_the_institution_that_wrote_is_read_again(
    app, client, world, monkeypatch
):
    """Each institution's part of the board is kept at its data version: after one
    institution writes, only it is read again, and the page is the one computed
    from scratch."""
    with app.app_context():
        move(world, CycleStatus.DISCUSSED, CycleStatus.PUBLISHED)
    sign_in_as(app, client, world.a.founder_admin_id)
    url = f"/f/{world.a.founder_slug}/dashboard/"
    assert client.get(url).status_code == 200
    read_again = []
    compute = founder._records

    def spy():
        read_again.append(current_scope(db.session).institution_ids)
        return compute()

    monkeypatch.setattr(founder, "_records", spy)
    with app.app_context(), scope_of(world.a2.institution_id):
        edition = db.session.scalar(select(RegulationEdition))
        edition.title = edition.title + " (уточнено)"
        db.session.commit()
    after_write = page_text(client.get(url))
    assert read_again == [(world.a2.institution_id,)]
    assert page_text(client.get(url)) == after_write
    assert len(read_again) == 1, "nothing is read while nobody writes"
    founder.kept_records.clear()
    rendered_rows.clear()
    assert page_text(client.get(url)) == after_write
    both = {world.a.institution_id, world.a2.institution_id}
    assert [set(ids) for ids in read_again[1:]] == [both], "from scratch: all at once"


def test_institutions_are_in_ukrainian_alphabetical_order():
    names = [
        "Ясла-садок «Сонечко»",
        "ЗДО № 10",
        "Ірпінський ЗДО",
        "здо № 9",
        "Ґава",
        "єдність",
        "Марина",
        "Мар'янівський ЗДО",
    ]
    assert sorted(names, key=alphabetical) == [
        "Ґава",
        "єдність",
        "здо № 9",
        "ЗДО № 10",
        "Ірпінський ЗДО",
        "Марина",
        "Мар'янівський ЗДО",
        "Ясла-садок «Сонечко»",
    ]


def test_the_trend_is_the_mean_of_the_institutions_results_rounded_half_up():
    """Of each year, the institutions' published results averaged (of all directions:
    each institution's mean), to hundredths, half up."""
    histories = [
        founder.History(frozenset({2023, 2024}), {2023: 250, 2024: 300}, {"1": {2024: 300}}),
        founder.History(frozenset({2024}), {2024: 251}, {"1": {2024: 201}, "2": {2024: 301}}),
        founder.History(),
    ]
    assert founder._trend(histories, None) == [
        (2023, Decimal("2.50"), 1),
        (2024, Decimal("2.76"), 2),
    ]
    assert founder._trend(histories, "1") == [(2024, Decimal("2.51"), 2)]
    assert founder._trend(histories, "3") == []


def test_institution_staff_cannot_open_the_founder_dashboard(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    assert client.get(f"/f/{world.a.founder_slug}/dashboard/").status_code in (403, 404)


def test_settings_page(app, client, world):
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    url = f"/i/{world.a.slug}/monitoring/settings"
    assert client.get(url).status_code == 200
    assert (
        client.post(url, data={"share_drafts_with_founder": "y", "version": 1}).status_code == 303
    )
    stale = client.post(url, data={"version": 1})
    assert stale.status_code == 409
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    assert client.get(url).status_code == 403


def _heat_map(body: str) -> str:
    return body[body.index('<div id="founder-board"') : body.index('id="trend-title"')]


def _more_published_years(app, world, years: int) -> None:
    """``years`` more published cycles of institution A in earlier school years, rated
    like its own cycle (bulk inserts: the size of the data, not the way it came)."""
    with app.app_context(), scope_of(world.a.institution_id):
        cycle = db.session.scalar(select(AssessmentCycle).order_by(AssessmentCycle.id))
        ratings = db.session.execute(
            select(ItemAssessment.item_id, ItemAssessment.score).where(
                ItemAssessment.cycle_id == cycle.id, ItemAssessment.score.is_not(None)
            )
        ).all()
        first = db.session.scalar(select(func.min(AssessmentCycle.school_year)))
        for offset in range(1, years + 1):
            year = first - offset
            same = {name: getattr(cycle, name) for name in ("model_kind", "catalog_id", "scale_id")}
            older = AssessmentCycle(
                **same,
                title=f"Самооцінювання {year}/{year + 1}",
                school_year=year,
                starts_on=cycle.starts_on.replace(year=year),
                ends_on=cycle.ends_on.replace(year=year + 1),
                status=CycleStatus.PUBLISHED,
            )
            db.session.add(older)
            db.session.flush()
            db.session.add_all(
                ItemAssessment(cycle_id=older.id, item_id=item_id, score=score)
                for item_id, score in ratings
            )
            db.session.flush()
            assessment.record_results(older)
        db.session.commit()


def test_dashboard_queries_are_bounded_and_the_kept_board_follows_every_write(
    app, client, world, count_queries
):
    """The page in at most 10 statements — the first request after a write and the
    requests that find the board kept — whatever the number of years; a kept board
    is the same page, and any write of any institution shows at once."""
    with app.app_context():
        move(world, CycleStatus.DISCUSSED, CycleStatus.PUBLISHED)
    sign_in_as(app, client, world.a.founder_admin_id)
    url = f"/f/{world.a.founder_slug}/dashboard/"
    counts = []
    for years in (0, 3):
        if years:
            _more_published_years(app, world, years)
        with count_queries() as cold:
            first = client.get(url)
        with count_queries() as kept:
            again = client.get(url)
        assert first.status_code == again.status_code == 200
        assert page_text(again) == page_text(first)
        assert 'class="level-' in first.get_data(as_text=True)
        counts.append((len(cold), len(kept)))
    assert counts[0] == counts[1], counts
    assert all(count <= 10 for pair in counts for count in pair), counts
    assert counts[0][1] < counts[0][0], "the kept board is not computed again"
    trend = client.get(url).get_data(as_text=True)
    assert trend.count('<th scope="row">20') >= 4
    # A direction reworded in the catalog: a write of the institution, shown at once.
    with app.app_context(), scope_of(world.a.institution_id):
        direction = db.session.scalar(
            select(CatalogItem)
            .join(AssessmentCycle, AssessmentCycle.catalog_id == CatalogItem.catalog_id)
            .where(CatalogItem.kind == ItemKind.DIRECTION)
            .order_by(CatalogItem.code)
        )
        direction.text = "Освітнє середовище (нове формулювання)"
        db.session.commit()
    reworded = client.get(url).get_data(as_text=True)
    assert "Освітнє середовище (нове формулювання)" in reworded
    # Another institution's regulation moves on: its row changes too.
    before = page_text(client.get(url))
    with app.app_context(), scope_of(world.a2.institution_id):
        edition = db.session.scalar(select(RegulationEdition))
        assert edition is not None
        edition.title = edition.title + " (уточнено)"
        db.session.commit()
    with count_queries() as after_write:
        client.get(url)
    assert len(after_write) == counts[0][0], "a write of any institution computes it afresh"
    assert page_text(client.get(url)) == before


def test_trend_is_of_published_results_and_the_latest_cycle_of_each_year(app, client, world):
    """The trend averages each institution's latest published cycle of a year (the
    stored results: levels set by hand included), of all directions or of one."""
    with app.app_context():
        move(world, CycleStatus.DISCUSSED)
    _more_published_years(app, world, 2)
    with app.app_context():
        with scope_of(world.a.institution_id):
            stored = db.session.execute(
                select(AssessmentCycle.school_year, DirectionResult.code, DirectionResult.points)
                .join(DirectionResult, DirectionResult.cycle_id == AssessmentCycle.id)
                .where(AssessmentCycle.status == CycleStatus.PUBLISHED)
            ).all()
        with all_of_founder(world.a, world.a2):
            board = founder_board()
            first_code = board.trend_directions[0][0]
            one = founder_board(direction=first_code)
    by_year: dict = {}
    for year, code, points in stored:
        by_year.setdefault(year, {})[code] = points
    expected = {
        year: mean_of_hundredths([p for p in codes.values() if p is not None])
        for year, codes in by_year.items()
    }
    # The discussed (not yet published) cycle is no part of the trend.
    assert {year: int(value * 100) for year, value, _n in board.trend} == expected
    assert [year for year, _v, _n in board.trend] == sorted(expected)
    assert all(count == 1 for _y, _v, count in board.trend)
    assert {year: int(value * 100) for year, value, _n in one.trend} == {
        year: codes[first_code] for year, codes in by_year.items()
    }
    # Every school year with a cycle can be chosen, the newest first.
    assert board.years[0] == max(board.years) and len(board.years) == 3


def lowest_level_by_hand(director, cycle):
    """The working group sets the lowest level on the cycle's first direction."""
    direction = db.session.scalar(
        select(CatalogItem)
        .where(CatalogItem.catalog_id == cycle.catalog_id, CatalogItem.kind == ItemKind.DIRECTION)
        .order_by(CatalogItem.code)
    )
    lowest = max(cycle.scale.levels, key=lambda level: level.rank)
    assessment.save_conclusion(
        director, cycle, direction, {"override_reason": "Зовнішній моніторинг"}, None, lowest
    )
    return direction, lowest


def test_stored_results_are_the_roll_up_with_levels_set_by_hand(app, world):
    with app.app_context(), scope_of(world.a.institution_id):
        cycle = db.session.scalar(select(AssessmentCycle))
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        direction, lowest = lowest_level_by_hand(director, cycle)
        db.session.commit()
        assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)
        db.session.commit()
        own = assessment_queries.results(
            assessment_queries.cycle_or_404(cycle.id, with_previous=True)
        ).roots
        stored = {
            row.code: row
            for row in db.session.scalars(
                select(DirectionResult).where(DirectionResult.cycle_id == cycle.id)
            )
        }
        assert {root.code: root.points for root in own} == {
            code: row.points for code, row in stored.items()
        }
        assert stored[direction.code].level_name == lowest.name
        assert stored[direction.code].level_css == lowest.colour.value


def test_a_concurrent_move_to_discussed_is_a_conflict_not_an_error(app, world):
    with app.app_context(), scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        cycle = db.session.scalar(select(AssessmentCycle))
        # Someone else moved it meanwhile: the stored version is newer than ours.
        db.session.execute(
            update(AssessmentCycle)
            .where(AssessmentCycle.id == cycle.id)
            .values(version=AssessmentCycle.version + 1),
            execution_options={"synchronize_session": False},
        )
        with pytest.raises(ConflictError):
            assessment.transition(director, Role.DIRECTOR, cycle, CycleStatus.DISCUSSED)


def test_a_shared_draft_shows_the_levels_of_its_own_roll_up(app, client, world, count_queries):
    """Levels set by hand on a direction included, in at most 10 statements."""
    with app.app_context(), scope_of(world.a.institution_id):
        director = db.session.get(User, world.a.users[Role.DIRECTOR])
        services.save_settings(director, True, 1)
        cycle = db.session.scalar(select(AssessmentCycle))
        direction, lowest = lowest_level_by_hand(director, cycle)
        db.session.commit()
        own = assessment_queries.results(
            assessment_queries.cycle_or_404(cycle.id, with_previous=True)
        ).roots
        expected = {root.code: root.result_text for root in own}
        assert lowest.name in expected[direction.code]
    with app.app_context(), all_of_founder(world.a, world.a2):
        board = founder_board()
        row = next(r for r in board.rows if r.institution.id == world.a.institution_id)
    assert row.cycle_status == CycleStatus.RATING and row.levels_visible
    assert {code: cell.text for code, cell in board.cells(row).items()} == expected
    sign_in_as(app, client, world.a.founder_admin_id)
    with count_queries() as counted:
        page = client.get(f"/f/{world.a.founder_slug}/dashboard/")
    assert page.status_code == 200 and lowest.name in page.get_data(as_text=True)
    assert len(counted) <= 10, counted.statements


RETAKE = "=Повторне самооцінювання"


def test_each_year_shows_its_latest_cycle_and_its_own_questionnaires(app, client, world):
    """A newer draft of a year is the cycle shown, and it does not hide the levels
    published before it (named beside it); the trend keeps the year's latest published
    results; a questionnaire shows in its own year."""
    with app.app_context():
        move(world, CycleStatus.DISCUSSED, CycleStatus.PUBLISHED)
    _more_published_years(app, world, 1)
    with app.app_context():
        with all_of_founder(world.a, world.a2):
            published = founder_board()
        with scope_of(world.a.institution_id):
            cycle = db.session.scalar(
                select(AssessmentCycle).order_by(AssessmentCycle.school_year.desc())
            )
            year = cycle.school_year
            same = ("model_kind", "catalog_id", "scale_id", "starts_on", "ends_on", "school_year")
            db.session.add(
                AssessmentCycle(
                    **{name: getattr(cycle, name) for name in same},
                    title=RETAKE,
                    status=CycleStatus.RATING,
                )
            )
            db.session.add(
                Questionnaire(
                    title="Анкета минулого року",
                    audience=SurveyAudience.PARENTS,
                    school_year=year - 1,
                    series_key="last-year",
                    published_at=utcnow(),
                    expected_respondents=10,
                )
            )
            db.session.commit()
        with all_of_founder(world.a, world.a2):
            this_year = founder_board(school_year=year)
            last_year = founder_board(school_year=year - 1)

    def row_of_a(board):
        return next(r for r in board.rows if r.institution.id == world.a.institution_id)

    shown = row_of_a(this_year)
    assert shown.cycle_title == RETAKE and shown.cycle_status == CycleStatus.RATING
    before = row_of_a(published)
    assert shown.levels_visible and shown.levels_title == before.cycle_title
    assert published.codes and this_year.codes == published.codes
    assert this_year.cells(shown) == published.cells(before)
    assert this_year.trend == published.trend and len(this_year.trend) == 2
    assert "Анкета минулого року" not in [title for title, _n, _rate in shown.surveys]
    earlier = row_of_a(last_year)
    assert earlier.levels_visible and earlier.cycle_status == CycleStatus.PUBLISHED
    assert ("Анкета минулого року", 0, "0 %") in earlier.surveys
    sign_in_as(app, client, world.a.founder_admin_id)
    page = client.get(f"/f/{world.a.founder_slug}/dashboard/?school_year={year}")
    assert f"рівні — за «{before.cycle_title}»" in page.get_data(as_text=True)
    export = client.get(f"/f/{world.a.founder_slug}/dashboard/export.xlsx?school_year={year}")
    sheet = load_workbook(io.BytesIO(export.data))["Заклади"]
    row = next(row for row in sheet.iter_rows() if row[2].value == RETAKE)
    # A title that starts with «=» stays words: the founder's spreadsheet runs nothing.
    assert row[2].data_type == "s"
    assert row[3].value == f"{CycleStatus.RATING.label}; рівні — за «{before.cycle_title}»"


def test_the_trend_chart_keeps_every_bar_inside_it():
    """Bars stand on the baseline; a scale of an institution's own that goes beyond
    four stretches the axis instead of drawing past the top of the chart."""
    usual = trend_chart([("2024/2025", 2.0, "2,00"), ("2025/2026", 4.0, "4,00")], "Динаміка")
    assert [bar.y + bar.height for bar in usual.bars] == [usual.baseline] * 2
    assert usual.bars[1].height == 2 * usual.bars[0].height
    wider = trend_chart([("2024/2025", 2.5, "2,50"), ("2025/2026", 5.0, "5,00")], "Динаміка")
    assert min(bar.y for bar in wider.bars) >= 0
    assert wider.bars[1].height == usual.bars[1].height
