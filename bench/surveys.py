"""Benchmarks of questionnaires: the results page with 10,000 responses, and one
public submission.

``survey_results``: the results page of the library's parents' questionnaire
(15 questions, 4 groups, two school years) with 10,000 responses, over the bare
route; ``scale_ratio`` is its time over the same page of a questionnaire with
100 responses (goals: ratio ≤ 6.5, scale_ratio ≤ 2, ≤ 10 queries). ``ratio``,
``scale_ratio`` and ``queries`` are of the page computed afresh each time (as right
after a new answer: the rendered numbers are cached per data version); the
``cached_*`` figures are of the page served from that cache.
``survey_submit``: one anonymous submission through /s/<token> (a fresh browser
each time), over the bare route.
"""

import random
from datetime import timedelta

from sqlalchemy import select

from bench.harness import (
    Result,
    benchmark,
    count_queries,
    get_ok,
    median_seconds,
    signed_in_client,
)
from dozq.auth.models import User
from dozq.db import db
from dozq.surveys import services
from dozq.surveys.cache import results_cache
from dozq.surveys.demo import generate_responses
from dozq.surveys.models import QuestionKind, Questionnaire, SurveyAudience, SurveyLink
from dozq.tenancy.models import Founder, Institution, InstitutionKind, Membership, Role
from dozq.tenancy.scope import Scope, tenant_scope

LARGE = 10_000
SMALL = 100
GROUPS = 4


def _institution():
    founder = Founder(slug="bench", name="Відділ освіти Бенчмаркової міської ради")
    user = User(email="methodologist@bench.example.com", full_name="Методист")
    db.session.add_all([founder, user])
    db.session.flush()
    with tenant_scope(db.session, Scope.for_founder(founder.id, ())):
        institution = Institution(
            founder_id=founder.id,
            slug="zdo-bench",
            full_name="Заклад дошкільної освіти № 1",
            short_name="ЗДО № 1",
            kind=InstitutionKind.NURSERY_KINDERGARTEN,
        )
        db.session.add(institution)
        db.session.flush()
    return institution, user


def _questionnaire(user, groups) -> Questionnaire:
    questionnaire = services.copy_library(user, "parents_satisfaction")
    today = services.today()
    services.publish(user, questionnaire, today - timedelta(days=400), today + timedelta(days=30))
    for group in groups:
        services.add_link(user, questionnaire, group, SurveyAudience.PARENTS)
    db.session.flush()
    return questionnaire


def bulk_responses(questionnaire: Questionnaire, groups, count: int, seed: int = 1) -> None:
    """``count`` random responses over two school years by bulk inserts, then one
    recount of the tally: how a large history gets into the database quickly."""
    rng = random.Random(seed)
    today = services.today()
    days = [today - timedelta(days=rng.choice((0, 365)) + rng.randrange(20)) for _ in range(count)]
    generate_responses(questionnaire, groups, count, rng, days=days, paper_share=0.3)
    services.rebuild_tally(questionnaire)


def _prepare(app):
    with app.app_context():
        institution, user = _institution()
        with tenant_scope(db.session, Scope.for_institution(institution)):
            db.session.add(Membership(user_id=user.id, role=Role.METHODOLOGIST))
            groups = [
                services.save_group(user, None, {"name": f"Група {n}", "expected_respondents": 25})
                for n in range(1, GROUPS + 1)
            ]
            large = _questionnaire(user, groups)
            small = _questionnaire(user, groups)
            bulk_responses(large, groups, LARGE, seed=1)
            bulk_responses(small, groups, SMALL, seed=2)
            token = db.session.scalar(
                select(SurveyLink.token).where(
                    SurveyLink.questionnaire_id == small.id, SurveyLink.group_id.is_(None)
                )
            )
            structure = services.load_structure(small.id)
            db.session.commit()
            form = _valid_form(structure)
            return user.id, large.id, small.id, token, form


def _valid_form(structure) -> dict:
    form = {}
    for question in structure:
        name = f"q{question.id}"
        if question.kind is QuestionKind.OPEN:
            form[name] = "Усе добре"
        elif question.kind is QuestionKind.SEMI_CLOSED:
            form[name] = str(question.options[0].id)
        else:
            form[name] = str(question.options[-1].id)
    return form


_prepared = {}


def prepared(app):
    if id(app) not in _prepared:
        _prepared[id(app)] = _prepare(app)
    return _prepared[id(app)]


@benchmark("survey_results")
def survey_results(app) -> Result:
    user_id, large_id, small_id, _token, _form = prepared(app)
    with app.app_context():
        client = signed_in_client(app, db.session.get(User, user_id))
    large = get_ok(client, f"/i/zdo-bench/surveys/{large_id}/results")
    small = get_ok(client, f"/i/zdo-bench/surveys/{small_id}/results")
    bare = get_ok(client, "/_bench/bare")

    def uncached(call):
        def run():
            results_cache.clear()
            call()

        return run

    # The headline: the page computed afresh every time (as right after each new
    # answer, which changes the data version the rendered numbers are cached by).
    queries = count_queries(app, uncached(large))
    bare_time = median_seconds(bare)
    large_uncached = median_seconds(uncached(large))
    small_uncached = median_seconds(uncached(small))
    # The same pages served from the per-process cache of rendered results.
    large_time = median_seconds(large)
    small_time = median_seconds(small)
    return Result(
        large_uncached / bare_time,
        queries,
        {
            "responses": LARGE,
            "scale_ratio": f"{large_uncached / small_uncached:.2f}",
            "cached_ratio": f"{large_time / bare_time:.2f}",
            "cached_scale_ratio": f"{large_time / small_time:.2f}",
            "ms": f"{large_uncached * 1000:.2f}",
            "cached_ms": f"{large_time * 1000:.2f}",
            "bare_ms": f"{bare_time * 1000:.2f}",
        },
    )


@benchmark("survey_submit")
def survey_submit(app) -> Result:
    _user_id, _large, _small, token, form = prepared(app)
    app.config["SURVEY_SUBMIT_LIMIT"] = (10**9, 3600)
    url = f"/s/{token}"

    def submit():
        # A fresh browser each time: the one-answer-per-browser cookie stays out of it.
        response = app.test_client().post(url, data=form)
        if response.status_code != 303:
            raise AssertionError(f"POST {url} answered {response.status_code}")

    bare = get_ok(app.test_client(), "/_bench/bare")
    queries = count_queries(app, submit)
    ratio = median_seconds(submit) / median_seconds(bare)
    return Result(ratio, queries)
