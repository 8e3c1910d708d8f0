"""Two hundred parents submitting at once, against a real threaded server on
loopback: every answer is stored exactly once, none is lost, none fails."""

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from werkzeug.serving import WSGIRequestHandler, make_server

from dozq.db import db
from dozq.surveys.models import SurveyAnswer, SurveyResponse, SurveyTally
from tests.test_surveys_support import build_questionnaire, in_tenant, reset_limits, valid_form

SUBMISSIONS = 200
RETRIED = 20
THREADS = 40


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture
def server(app):
    app.config["SURVEY_SUBMIT_LIMIT"] = (100_000, 3600)
    reset_limits()
    httpd = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_port
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        del app.config["SURVEY_SUBMIT_LIMIT"]
        reset_limits()


def post(port: int, path: str, form: dict) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = urlencode(form, doseq=True)
        connection.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_two_hundred_concurrent_submissions(app, world, server):
    import random

    built = build_questionnaire(app, world.a)
    forms = [
        valid_form(built, random.Random(number), key=f"concurrent-{number:04d}-key-xyz")
        for number in range(SUBMISSIONS)
    ]
    # Some forms arrive twice (a network retry): still one response each.
    sends = forms + forms[:RETRIED]
    random.Random(99).shuffle(sends)
    path = f"/s/{built.token}"
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = list(pool.map(lambda form: post(server, path, form), sends))
    assert [status for status in statuses if status >= 500] == []
    assert set(statuses) == {303}, sorted(set(statuses))
    expected_rows = 0
    for form in forms:
        for name, value in form.items():
            if name.startswith("q") and not name.endswith("_other") and value:
                expected_rows += len(value) if isinstance(value, list) else 1
    with in_tenant(app, world.a):
        questionnaire = built.questionnaire_id
        responses = db.session.scalar(
            select(func.count(SurveyResponse.id)).where(
                SurveyResponse.questionnaire_id == questionnaire
            )
        )
        keys = db.session.scalar(
            select(func.count(func.distinct(SurveyResponse.submission_key))).where(
                SurveyResponse.questionnaire_id == questionnaire
            )
        )
        answers = db.session.scalar(
            select(func.count(SurveyAnswer.id)).where(
                SurveyAnswer.questionnaire_id == questionnaire
            )
        )
        tallied = db.session.scalar(
            select(func.sum(SurveyTally.count)).where(
                SurveyTally.questionnaire_id == questionnaire, SurveyTally.question_id == 0
            )
        )
    assert responses == keys == tallied == SUBMISSIONS
    assert answers == expected_rows
