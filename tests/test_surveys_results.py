"""Processing: counts, shares and means checked against hand counts of generated
answers; small groups hidden with their complement; open answers; exports;
dynamics over school years and editions; evidence for indicators; query counts."""

import csv
import io
import re
from collections import Counter
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from dozq.catalog.models import CatalogItem, ItemKind
from dozq.db import db
from dozq.surveys import queries, services
from dozq.surveys.models import (
    Channel,
    Questionnaire,
    SurveyAudience,
    SurveyOption,
    SurveyQuestion,
    SurveyTally,
)
from dozq.surveys.queries import Filters, suppress, survey_evidence_for_indicators
from dozq.tenancy.models import Role
from tests.factories import sign_in_as
from tests.test_surveys_support import (
    KINDS,
    build_questionnaire,
    director,
    generate_answers,
    in_tenant,
)

POSITIVE_INDEX = {"yes_partly_no": {0}, "single": {0, 1}, "multiple": {2}}


def expected_view(built, generated, group=None, year=None) -> dict:
    """Counts by hand: question id → respondents, option counts, mean, positive share."""
    rows = [
        row
        for row in generated
        if (group is None or row["group"] == group) and (year is None or row["year"] == year)
    ]
    found = {"total": len(rows)}
    for kind in KINDS:
        question_id = built.questions[kind]
        options = built.options[question_id]
        answered = [row["answers"][kind] for row in rows if kind in row["answers"]]
        counts = Counter(option for chosen in answered if kind != "open" for option in chosen)
        entry = {"respondents": len(answered), "counts": {o: counts.get(o, 0) for o in options}}
        if kind == "scale":
            values = [options.index(chosen[0]) + 1 for chosen in answered]
            entry["mean"] = sum(values) / len(values) if values else None
            positive = sum(1 for value in values if value >= 3)
        elif kind in POSITIVE_INDEX:
            wanted = {options[index] for index in POSITIVE_INDEX[kind]}
            positive = sum(1 for chosen in answered if wanted & set(chosen))
        else:
            positive = None
        entry["share_positive"] = (
            positive / len(answered) if positive is not None and answered else None
        )
        found[question_id] = entry
    return found


def check_view(view, expected) -> None:
    assert view.total == expected["total"]
    for result in view.questions:
        entry = expected[result.question.id]
        assert result.respondents == entry["respondents"], result.question.text
        if result.hidden:
            continue
        for item in result.options:
            assert item.count == entry["counts"][item.option.id]
            assert item.share == pytest.approx(item.count / entry["respondents"])
        if "mean" in entry:
            assert result.mean == pytest.approx(entry["mean"])
        if entry["share_positive"] is None:
            assert result.share_positive is None
        else:
            assert result.share_positive == pytest.approx(entry["share_positive"])


def test_aggregates_match_hand_counts_for_every_filter(app, world):
    built = build_questionnaire(app, world.a, groups=2, min_group_size=3)
    generated = generate_answers(app, world.a, built, 90, seed=7, years=(0, 1))
    years = sorted({row["year"] for row in generated})
    assert len(years) == 2
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        for group in (None, 0, *built.groups):
            for year in (None, *years):
                view = queries.results(
                    questionnaire, Filters(None, group, year, all_years=year is None)
                )
                expected = expected_view(built, generated, group, year)
                if view.hidden:
                    assert expected["total"] < 3 or view.hidden_reason in ("group", "year")
                    continue
                check_view(view, expected)
        # The running tally equals a recount from the answers.
        before = sorted(
            db.session.execute(
                select(
                    SurveyTally.question_id,
                    SurveyTally.option_id,
                    SurveyTally.group_id,
                    SurveyTally.school_year,
                    SurveyTally.count,
                    SurveyTally.value_sum,
                ).where(SurveyTally.questionnaire_id == built.questionnaire_id)
            ).all()
        )
        services.rebuild_tally(questionnaire)
        after = sorted(
            db.session.execute(
                select(
                    SurveyTally.question_id,
                    SurveyTally.option_id,
                    SurveyTally.group_id,
                    SurveyTally.school_year,
                    SurveyTally.count,
                    SurveyTally.value_sum,
                ).where(SurveyTally.questionnaire_id == built.questionnaire_id)
            ).all()
        )
        assert before == after and len(after) > 50


def _store(app, tenant, built, group_sizes: dict, year_offset: int = 0, answer=0):
    """Responses per group (None: the link for everyone), every answer the same option."""
    with in_tenant(app, tenant):
        structure = {q.id: q for q in services.load_structure(built.questionnaire_id)}
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        day = services.today() - timedelta(days=365 * year_offset)
        for group_id, count in group_sizes.items():
            for index in range(count):
                answers = []
                for kind in KINDS:
                    question = structure[built.questions[kind]]
                    if kind == "open":
                        answers.append(services.Answer(question, text=f"Група {group_id} №{index}"))
                    elif kind == "semi_closed":
                        answers.append(services.Answer(question, options=[question.options[0]]))
                    else:
                        chosen = question.options[min(answer, len(question.options) - 1)]
                        answers.append(services.Answer(question, options=[chosen]))
                services.store_response(
                    questionnaire,
                    answers,
                    channel=Channel.ONLINE,
                    audience=SurveyAudience.PARENTS,
                    group_id=group_id,
                    on=day,
                )
        db.session.commit()


def test_suppress_hides_small_values_and_their_complement():
    assert suppress({1: 10, 2: 8, 3: 2}, 5) == {3, 2}
    assert suppress({1: 10, 2: 3, 3: 2}, 5) == {2, 3}
    assert suppress({1: 10, 2: 9}, 5) == set()
    assert suppress({1: 4}, 5) == {1}
    assert suppress({1: 10, 2: 0, 3: 1}, 5) == {3, 1}
    # Two small values that would be known together from the total: one more goes.
    assert suppress({1: 10, 2: 9, 3: 1, 4: 1}, 5) == {3, 4, 2}
    assert suppress({1: 10, 2: 9, 3: 3, 4: 2}, 5) == {3, 4}


def test_small_groups_are_hidden_with_their_complement_everywhere(app, client, world):
    built = build_questionnaire(app, world.a, groups=3)
    one, two, three = built.groups
    _store(app, world.a, built, {one: 10, two: 8, three: 2})
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        view = queries.results(questionnaire, Filters())
        hidden = {group.value for group in view.groups if group.hidden}
        assert hidden == {two, three}
        assert view.total == 20 and not view.hidden
        for group_id in (two, three):
            filtered = queries.results(questionnaire, Filters(group_id=group_id))
            assert filtered.hidden_reason == "group"
            assert all(result.hidden for result in filtered.questions)
        shown = queries.results(questionnaire, Filters(group_id=one))
        assert not shown.hidden and shown.total == 10
        _columns, rows, _view = queries.group_breakdown(questionnaire, Filters())
        for row in rows:
            assert row.cells[two].hidden and row.cells[three].hidden
            assert not row.cells[one].hidden
        open_question = db.session.get(SurveyQuestion, built.questions["open"])
        _texts, total = queries.open_answers(open_question, Filters(), "група")
        assert total == 20
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    base = f"/i/zdo-a/surveys/{built.questionnaire_id}"
    page = client.get(f"{base}/results").get_data(as_text=True)
    assert page.count("приховано: замало відповідей") == 2
    hidden_page = client.get(f"{base}/results", query_string={"group": three}).get_data(
        as_text=True
    )
    assert "результати приховано" in hidden_page and 'role="img"' not in hidden_page
    groups_page = client.get(f"{base}/results/groups").get_data(as_text=True)
    assert groups_page.count("приховано") >= 2 * 5
    answers = client.get(
        f"/i/zdo-a/surveys/questions/{built.questions['open']}/answers",
        query_string={"group": three},
    ).get_data(as_text=True)
    assert f"Група {three} №0" not in answers and "щоб зберегти анонімність" in answers
    listed = client.get(f"/i/zdo-a/surveys/questions/{built.questions['open']}/answers").get_data(
        as_text=True
    )
    # Every answer is listed, but never with its group.
    assert f"Група {one} №0" in listed and "Тестова група" not in listed
    csv_text = client.get(f"{base}/results.csv", query_string={"group": two}).data.decode(
        "utf-8-sig"
    )
    assert "приховано" in csv_text and "Щодня" not in csv_text


def test_crossing_two_filters_cannot_single_out_a_few(app, client, world):
    built = build_questionnaire(app, world.a, groups=2)
    one, two = built.groups
    _store(app, world.a, built, {one: 10, two: 12})
    _store(app, world.a, built, {one: 1, two: 9}, year_offset=1)
    _store(app, world.a, built, {one: 1}, year_offset=2)
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        # Group one in all years (12) minus group one this year (10) would count
        # the 2 answers of the two earlier years: this year's view of it is hidden.
        crossing = queries.results(questionnaire, Filters(group_id=one))
        assert crossing.hidden_reason == "year"
        assert all(result.hidden for result in crossing.questions)
        wider = queries.results(questionnaire, Filters(group_id=one, all_years=True))
        assert not wider.hidden and wider.total == 12
        # Group two's earlier year has enough answers of its own.
        assert not queries.results(questionnaire, Filters(group_id=two)).hidden
        assert not queries.results(questionnaire, Filters()).hidden
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    page = client.get(
        f"/i/zdo-a/surveys/{built.questionnaire_id}/results", query_string={"group": one}
    ).get_data(as_text=True)
    assert "зіставивши з іншими відборами" in page and 'role="img"' not in page


def test_too_few_answers_show_nothing(app, client, world):
    built = build_questionnaire(app, world.a)
    _store(app, world.a, built, {None: 4})
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    page = client.get(f"/i/zdo-a/surveys/{built.questionnaire_id}/results").get_data(as_text=True)
    assert "Відповідей поки менше 5" in page and 'role="img"' not in page
    _store(app, world.a, built, {None: 1})
    page = client.get(f"/i/zdo-a/surveys/{built.questionnaire_id}/results").get_data(as_text=True)
    assert 'id="total-responses">5<' in page and page.count('role="img"') == 5


def test_results_page_charts_tables_and_exports(app, client, world):
    built = build_questionnaire(app, world.a, groups=2)
    generated = generate_answers(app, world.a, built, 40, seed=3)
    expected = expected_view(built, generated)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    base = f"/i/zdo-a/surveys/{built.questionnaire_id}"
    page = client.get(f"{base}/results").get_data(as_text=True)
    assert page.count('role="img"') == 5 and page.count("<title id=") == 5
    assert "style=" not in page
    scale_id = built.questions["scale"]
    assert re.search(rf'aria-labelledby="chart-{scale_id}-title"', page)
    mean = expected[scale_id]["mean"]
    assert f"{mean:.2f}".replace(".", ",") in page
    fragment = client.get(f"{base}/results", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and 'id="results"' in fragment

    csv_response = client.get(f"{base}/results.csv")
    assert (
        csv_response.status_code == 200
        and "attachment" in csv_response.headers["Content-Disposition"]
    )
    assert csv_response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[1] == ["Респондентів", "40"]
    header = rows.index(next(row for row in rows if row and row[0] == "№"))
    single = built.questions["single"]
    first_option = built.options[single][0]
    wanted = expected[single]["counts"][first_option]
    assert any(row[3] == "Щодня" and row[4] == str(wanted) for row in rows[header + 1 :])

    xlsx = client.get(f"{base}/results.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == ["Результати", "Відповіді своїми словами"]
    sheet = book["Результати"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert ["Респондентів", 40] in [row[:2] for row in values]
    assert any(row[3] == "Щодня" and row[4] == wanted for row in values if len(row) > 4)
    sheet = book["Відповіді своїми словами"]
    written = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    opened = [row["answers"]["open"] for row in generated if "open" in row["answers"]]
    semi = built.questions["semi_closed"]
    others = [
        "Інше джерело"
        for row in generated
        if built.options[semi][-1] in row["answers"].get("semi_closed", [])
    ]
    assert sorted(written) == sorted(opened + others)


def test_open_answers_are_searchable_in_ukrainian(app, client, world):
    built = build_questionnaire(app, world.a)
    generated = generate_answers(app, world.a, built, 30, seed=11)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"/i/zdo-a/surveys/questions/{built.questions['open']}/answers"
    wanted = sum(1 for row in generated if row["answers"].get("open") == "ДОДАТИ гуртки")
    assert wanted > 0
    page = client.get(url, query_string={"q": "додати"}).get_data(as_text=True)
    assert page.count("ДОДАТИ гуртки") == wanted and "усе добре" not in page
    assert f"Знайдено: {wanted}" in page
    none = client.get(url, query_string={"q": "100%_\\"}).get_data(as_text=True)
    assert "Нічого не знайдено" in none


def test_results_page_query_count_does_not_grow_with_responses(app, client, world, count_queries):
    built = build_questionnaire(app, world.a, groups=2)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    url = f"/i/zdo-a/surveys/{built.questionnaire_id}/results"
    counts, cached = [], []
    for batch in (6, 60):
        # New answers change the data version: the first page after them is computed.
        generate_answers(app, world.a, built, batch, seed=batch)
        with count_queries() as counter:
            response = client.get(url, query_string={"group": str(built.groups[0])})
        assert response.status_code == 200
        counts.append(len(counter))
        with count_queries() as counter:
            again = client.get(url, query_string={"group": str(built.groups[0])})
        first, second = response.get_data(as_text=True), again.get_data(as_text=True)
        part = slice(first.index('<div id="results">'), first.index("</main>"))
        assert second[second.index('<div id="results">') : second.index("</main>")] == first[part]
        cached.append(len(counter))
    # The second time the questions themselves are kept: answers leave them unchanged.
    assert counts[1] == counts[0] - 1 and counts[0] <= 10, counts
    assert cached[0] == cached[1] < counts[1], cached


def test_results_follow_every_change_of_the_questions(app, client, world):
    """The questions are kept between answers: a question moved shows on the results
    page at once (a reworded one: ``test_answers_lock_the_structure_but_not_the_wording``)."""
    built = build_questionnaire(app, world.a)
    generate_answers(app, world.a, built, 6)
    sign_in_as(app, client, world.a.users[Role.DIRECTOR])
    url = f"/i/zdo-a/surveys/{built.questionnaire_id}/results"
    with in_tenant(app, world.a):
        first, second = db.session.execute(
            select(SurveyQuestion.id, SurveyQuestion.text)
            .where(SurveyQuestion.questionnaire_id == built.questionnaire_id)
            .order_by(SurveyQuestion.position, SurveyQuestion.id)
            .limit(2)
        ).all()
    page = client.get(url).get_data(as_text=True)
    assert page.index(first.text) < page.index(second.text)
    moved = client.post(f"/i/zdo-a/surveys/questions/{first.id}/move", data={"direction": "down"})
    assert moved.status_code in (200, 303)
    page = client.get(url).get_data(as_text=True)
    assert page.index(second.text) < page.index(first.text)


def test_dynamics_follow_questions_over_years_and_editions(app, client, world):
    built = build_questionnaire(app, world.a)
    _store(app, world.a, built, {None: 6}, year_offset=1, answer=0)
    _store(app, world.a, built, {None: 5}, year_offset=0, answer=3)
    with in_tenant(app, world.a):
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        edition = services.new_edition(director(world.a), questionnaire)
        new_scale = db.session.scalar(
            select(SurveyQuestion).where(
                SurveyQuestion.questionnaire_id == edition.id,
                SurveyQuestion.source_question_id == built.questions["scale"],
            )
        )
        assert new_scale is not None and new_scale.source_question_id == built.questions["scale"]
        assert edition.series_key == questionnaire.series_key
        assert edition.school_year > questionnaire.school_year
        db.session.commit()
        edition_id = edition.id
    years_now = services.school_year_of(services.today())
    with in_tenant(app, world.a):
        edition = db.session.get(Questionnaire, edition_id)
        years, rows, editions = queries.dynamics(edition)
        assert [year.value for year in years] == [years_now - 1, years_now]
        assert len(editions) == 2
        scale_row = next(row for row in rows if row.question.kind.value == "scale")
        old, new = scale_row.points[years_now - 1], scale_row.points[years_now]
        assert (old.respondents, old.share_positive, old.mean) == (6, 0.0, 1.0)
        assert (new.respondents, new.share_positive, new.mean) == (5, 1.0, 4.0)
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    page = client.get(f"/i/zdo-a/surveys/{edition_id}/dynamics").get_data(as_text=True)
    assert 'id="chart-dynamics-title"' in page and "style=" not in page
    assert f"{years_now - 1}/{years_now}" in page and "100\u00a0%" in page


def test_evidence_for_linked_indicators(app, world):
    built = build_questionnaire(app, world.a)
    generated = generate_answers(app, world.a, built, 25, seed=5)
    expected = expected_view(built, generated)
    today = services.today()
    with in_tenant(app, world.a):
        indicators = db.session.scalars(
            select(CatalogItem)
            .where(CatalogItem.kind == ItemKind.INDICATOR)
            .order_by(CatalogItem.id)
        ).all()
        first, second = indicators[0], indicators[1]
        actor = director(world.a)
        scale = db.session.get(SurveyQuestion, built.questions["scale"])
        single = db.session.get(SurveyQuestion, built.questions["single"])
        services.set_question_indicators(actor, scale, [first.id])
        services.set_question_indicators(actor, single, [first.id])
        option = db.session.get(SurveyOption, built.options[single.id][2])
        services.link_option_indicator(actor, option, second)
        db.session.commit()
        found = survey_evidence_for_indicators(
            [first.id, second.id], today - timedelta(days=5), today
        )
        by_question = {item.question_id: item for item in found[first.id]}
        assert by_question[scale.id].respondents == expected[scale.id]["respondents"]
        assert by_question[scale.id].share_positive == pytest.approx(
            expected[scale.id]["share_positive"]
        )
        assert by_question[single.id].share_positive == pytest.approx(
            expected[single.id]["share_positive"]
        )
        assert by_question[scale.id].questionnaire_title == "Анкета для перевірки"
        assert by_question[scale.id].results_url.endswith(
            f"/i/zdo-a/surveys/{built.questionnaire_id}/results"
        )
        [chosen] = found[second.id]
        assert chosen.option_label == "Рідко"
        assert chosen.share_positive == pytest.approx(
            expected[single.id]["counts"][option.id] / expected[single.id]["respondents"]
        )
        earlier = survey_evidence_for_indicators(
            [first.id], today - timedelta(days=60), today - timedelta(days=30)
        )
        assert all(
            item.respondents == 0 and item.share_positive is None for item in earlier[first.id]
        )
        assert survey_evidence_for_indicators([], today, today) == {}


def test_a_question_answered_by_too_few_shows_no_numbers(app, client, world):
    """The view is shown, but one question has fewer respondents than the threshold:
    its heading gives neither its mean nor its share of positive answers."""
    built = build_questionnaire(app, world.a)
    with in_tenant(app, world.a):
        structure = {q.id: q for q in services.load_structure(built.questionnaire_id)}
        questionnaire = db.session.get(Questionnaire, built.questionnaire_id)
        scale = structure[built.questions["scale"]]
        open_question = structure[built.questions["open"]]
        scale_id = built.questions["scale"]
        for index in range(8):
            answers = [services.Answer(open_question, text=f"Відповідь №{index}")]
            if index < 2:
                answers.append(services.Answer(scale, options=[scale.options[-1]]))
            services.store_response(
                questionnaire,
                answers,
                channel=Channel.ONLINE,
                audience=SurveyAudience.PARENTS,
                group_id=None,
            )
        db.session.commit()
    sign_in_as(app, client, world.a.users[Role.METHODOLOGIST])
    page = client.get(f"/i/zdo-a/surveys/{built.questionnaire_id}/results").get_data(as_text=True)
    section = page[page.index(f'id="result-{scale_id}"') :]
    section = section[: section.index("</section>")]
    assert "відповіли: 2" in section and "результат приховано" in section
    assert "середній бал" not in section and "частка позитивних" not in section
