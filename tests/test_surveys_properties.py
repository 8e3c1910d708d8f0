"""Malformed submissions, thrown by Hypothesis: missing, extra and wrong-typed
fields, huge texts, unknown or foreign options, control characters. Each one is
either stored whole (a valid form) or refused with a clear 422 page and nothing
stored at all — never a server error, never half a response."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from dozq.db import db
from dozq.surveys.forms import MAX_OPEN_ANSWER
from dozq.surveys.models import SurveyAnswer, SurveyOption, SurveyResponse, SurveyTally
from tests.test_surveys_support import (
    KINDS,
    build_questionnaire,
    in_tenant,
    reset_limits,
    valid_form,
)

MODES = ("valid", "missing", "text", "number", "foreign", "many", "huge", "control", "empty")
JUNK_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


@st.composite
def submissions(draw, built, foreign_option: int):
    """(form, clean): clean forms must be accepted."""
    rng = random.Random(draw(st.integers(0, 10_000)))
    base = valid_form(built, rng)
    form = MultiDict()
    clean = True
    for kind in KINDS:
        question_id = built.questions[kind]
        name = f"q{question_id}"
        options = built.options[question_id] or [1, 2]
        mode = draw(st.sampled_from(MODES))
        value = base.get(name)
        ok = True
        if mode == "valid" or (mode == "missing" and kind == "open"):
            pass
        elif mode == "missing":
            value, ok = None, False
        elif mode == "text":
            value, ok = draw(JUNK_TEXT), kind == "open"
        elif mode == "number":
            value = str(draw(st.sampled_from([-1, 0, 10**20, options[0] + 100_000, 3.5])))
            ok = kind == "open"
        elif mode == "foreign":
            value, ok = str(foreign_option), kind == "open"
        elif mode == "many":
            value, ok = [str(options[0]), str(options[-1])], kind == "multiple"
        elif mode == "huge":
            value, ok = "я" * draw(st.integers(MAX_OPEN_ANSWER + 1, 20_000)), False
        elif mode == "control":
            value = "текст\x00\x01\x7f" if kind == "open" else f"{options[0]}\x00"
            ok = kind == "open"
        elif mode == "empty":
            value, ok = "", kind == "open"
        clean = clean and ok
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            form.add(name, item)
        if f"{name}_other" in base and mode == "valid":
            form.add(f"{name}_other", base[f"{name}_other"])
    extras = draw(
        st.lists(
            st.tuples(
                st.one_of(
                    st.sampled_from(["q0", "q999999999", "_other", "група", "q1_other"]),
                    JUNK_TEXT.filter(lambda name: name not in ("csrf_token", "_key")),
                ),
                JUNK_TEXT,
            ),
            max_size=2,
        )
    )
    for name, value in extras:
        if name.startswith("_") and name in ("_group", "_audience"):
            continue
        form.add(name, value)
        clean = False
    if draw(st.booleans()):
        form.add("_key", draw(st.sampled_from(["", "коротко", "x" * 100, "=" * 20])))
    return form, clean


def counts(app, tenant, questionnaire_id):
    with in_tenant(app, tenant):
        return (
            db.session.scalar(
                select(func.count(SurveyResponse.id)).where(
                    SurveyResponse.questionnaire_id == questionnaire_id
                )
            ),
            db.session.scalar(
                select(func.count(SurveyAnswer.id)).where(
                    SurveyAnswer.questionnaire_id == questionnaire_id
                )
            ),
            db.session.scalar(
                select(func.coalesce(func.sum(SurveyTally.count), 0)).where(
                    SurveyTally.questionnaire_id == questionnaire_id
                )
            ),
        )


def test_malformed_submissions_are_refused_whole(app, world):
    built = build_questionnaire(app, world.a)
    foreign = build_questionnaire(app, world.b)
    foreign_option = foreign.options[foreign.questions["single"]][0]
    app.config["SURVEY_SUBMIT_LIMIT"] = (1_000_000, 3600)
    reset_limits()
    seen = {"stored": 0, "refused": 0}

    @settings(
        max_examples=220,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(data=submissions(built, foreign_option))
    def check(data):
        form, clean = data
        before = counts(app, world.a, built.questionnaire_id)
        response = app.test_client().post(f"/s/{built.token}", data=form)
        after = counts(app, world.a, built.questionnaire_id)
        assert response.status_code in (303, 422), response.status_code
        if clean:
            assert response.status_code == 303, form
        if response.status_code == 422:
            seen["refused"] += 1
            assert after == before
            body = response.get_data(as_text=True)
            assert 'class="flash flash-error"' in body and 'role="alert"' in body
        else:
            seen["stored"] += 1
            assert after[0] == before[0] + 1 and after[1] > before[1]
            with in_tenant(app, world.a):
                newest = db.session.scalar(
                    select(SurveyResponse.id)
                    .where(SurveyResponse.questionnaire_id == built.questionnaire_id)
                    .order_by(SurveyResponse.id.desc())
                    .limit(1)
                )
                rows = db.session.execute(
                    select(
                        SurveyAnswer.question_id, SurveyAnswer.option_id, SurveyAnswer.text
                    ).where(SurveyAnswer.response_id == newest)
                ).all()
                own_options = set(
                    db.session.scalars(
                        select(SurveyOption.id).where(
                            SurveyOption.question_id.in_(built.questions.values())
                        )
                    )
                )
            for _question_id, option_id, text in rows:
                assert option_id is None or option_id in own_options
                assert text is None or (len(text) <= MAX_OPEN_ANSWER and "\x00" not in text)
            answered = {row[0] for row in rows}
            required = {built.questions[kind] for kind in KINDS if kind != "open"}
            assert required <= answered

    try:
        check()
    finally:
        del app.config["SURVEY_SUBMIT_LIMIT"]
        reset_limits()
    assert seen["stored"] > 5 and seen["refused"] > 100, seen
