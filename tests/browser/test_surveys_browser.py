"""Questionnaires in a real browser: a parent answers the demo questionnaire on a
phone (a missing answer first, then all), and the methodologist's results update."""

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    expect = None

from tests.browser.conftest import DESKTOP, PHONE, error_log, log_in

pytestmark = pytest.mark.browser

TITLE = "Анкета для батьків: якість освітньої діяльності закладу дошкільної освіти"


def total(page) -> int:
    return int(page.locator("#total-responses").inner_text())


def first_question_yes(page) -> int:
    """The «Так» count in the table beside the first question's chart."""
    row = page.locator("section.question-result").first.locator(
        "tr", has=page.locator("th", has_text=re.compile(r"^Так"))
    )
    return int(row.locator("td").first.inner_text())


def test_a_parent_answers_on_a_phone_and_the_results_update(live_server, new_page):
    staff = new_page(viewport=DESKTOP)
    log_in(staff, "methodologist@example.com")
    staff.goto("/workplaces")
    staff.get_by_role("link", name="ЗДО № 1 «Сонечко»").click()
    staff.get_by_role("navigation", name="Головне меню").get_by_role(
        "link", name="Анкетування"
    ).click()
    staff.get_by_role("link", name=TITLE).first.click()
    staff.get_by_role("link", name="Посилання та коди").click()
    link = (
        staff.locator(".link-card")
        .filter(has_text="Для всіх")
        .locator("input[readonly]")
        .input_value()
    )
    assert re.fullmatch(rf"{re.escape(live_server.base_url)}/s/[A-Za-z0-9_-]{{22}}", link)
    staff.get_by_role("link", name="Результати").first.click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Результати анкетування")
    before_total = total(staff)
    before_yes = first_question_yes(staff)

    parent = new_page(viewport=PHONE)
    parent.goto(link)
    expect(parent.get_by_role("heading", level=1)).to_have_text(TITLE)
    assert parent.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    progress = parent.locator("[data-progress-text]")
    questions = parent.locator("fieldset[data-question]")
    count = questions.count()
    expect(progress).to_have_text(f"0 з {count}")
    # Answer everything but the first question: the first choice of each, «Так» where
    # it is offered; leave the optional and open ones.
    for index in range(1, count):
        question = questions.nth(index)
        if question.locator("textarea").count():
            continue
        legend = question.locator("legend").inner_text()
        if "обов’язкове" not in legend:
            continue
        yes = question.get_by_label("Так", exact=True)
        (yes if yes.count() else question.locator("input").first).check()
    expect(progress).not_to_have_text(f"0 з {count}")
    parent.get_by_role("button", name="Надіслати відповіді").click()
    first = questions.first
    expect(parent.locator("#survey-errors")).to_be_visible()
    expect(first.locator(".error")).to_have_text("Дайте відповідь на це питання.")
    assert questions.nth(1).locator("input:checked").count() == 1  # nothing lost
    box = first.locator("label").first.bounding_box()
    assert box["height"] >= 40, box  # a target a thumb can hit
    first.get_by_label("Так", exact=True).check()
    parent.get_by_role("button", name="Надіслати відповіді").click()
    expect(parent.get_by_role("heading", level=1)).to_have_text("Дякуємо за відповіді!")
    # The same phone cannot answer again.
    parent.goto(link)
    expect(parent.get_by_role("heading", level=1)).to_have_text("Ви вже відповіли на цю анкету")

    staff.get_by_role("button", name="Оновити результати").click()
    expect(staff.locator("#total-responses")).to_have_text(str(before_total + 1))
    assert first_question_yes(staff) == before_yes + 1
    chart = staff.locator("section.question-result").first.locator("svg[role=img]")
    expect(chart).to_contain_text(f"Так: {before_yes + 1} (")
    error_log(staff).assert_none()
    problems = [
        problem
        for problem in error_log(parent).since()
        if "status of 4" not in problem  # the refused submission and the 409 page
    ]
    assert not problems, problems
