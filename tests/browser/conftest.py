"""A live dozq server with the demo data, a headless Chromium, and pages that
record every console error, uncaught exception and server error they meet.

Chromium (/usr/bin/chromium, or DOZQ_TEST_CHROMIUM) and axe-core
(node_modules/axe-core/axe.min.js, installed by ``make test``) are looked up
once; when either is missing the browser tests are skipped, or fail when
DOZQ_TEST_STRICT is set.

The live server has its own app and SQLite file, so the shared ``app`` fixture
and its per-test cleanup never touch it. Its data persist for the whole
session: tests create uniquely named data and tolerate what others added.
"""

import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from dozq.db import db
from tests.conftest import STRICT, make_app

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("DOZQ_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo-browser-password-7"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Playwright's own waits (a click, a selector); a healthy page answers in far less.
TIMEOUT_MS = 10_000


def unavailable(reason: str):
    """Skip the browser tests, or fail them under DOZQ_TEST_STRICT."""
    if STRICT:
        pytest.fail(f"{reason} (DOZQ_TEST_STRICT is set)", pytrace=False)
    pytest.skip(reason)


# The server.


class QuietHandler(WSGIRequestHandler):
    """No access log lines in the test output."""

    def log_request(self, *args, **kwargs):
        pass


@dataclass
class LiveServer:
    base_url: str
    app: object
    password: str = DEMO_PASSWORD

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def sent_mail(self) -> list[dict]:
        return self.app.extensions.setdefault("dozq.sent_mail", [])

    def mail_to(self, address: str) -> list[dict]:
        return [letter for letter in self.sent_mail if letter["to"] == address.lower()]

    def link_in_mail_to(self, address: str) -> str:
        """The (last) link in the newest letter to ``address``, on this server."""
        letters = self.mail_to(address)
        assert letters, f"no letter was sent to {address}"
        links = re.findall(r"https?://\S+", letters[-1]["body"])
        assert links, f"the letter to {address} holds no link:\n{letters[-1]['body']}"
        return links[-1]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from dozq.demo import load_demo

    database = tmp_path_factory.mktemp("browser-db") / "dozq.sqlite"
    # Errors answer with the app's own 500 page, as in production (the traceback
    # still goes to the log pytest shows for a failed test).
    app = make_app(f"sqlite:///{database}", tmp_path_factory, PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        load_demo(DEMO_PASSWORD)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url
    thread = threading.Thread(target=server.serve_forever, name="dozq-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(base_url, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


# The browser and axe-core.


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_PATH.is_file():
        unavailable(f"axe-core is not installed ({AXE_PATH}); run `make test` (npm ci)")
    return AXE_PATH.read_text(encoding="utf-8")


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except Error as error:
            unavailable(f"Chromium does not start: {error.message.splitlines()[0]}")
        yield browser
        browser.close()


# Pages that keep a record of what went wrong.


@dataclass
class ErrorLog:
    """Console errors, uncaught exceptions and 5xx responses of one page."""

    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, url, text)

    def mark(self) -> int:
        return len(self.entries)

    def since(
        self, mark: int = 0, end: int | None = None, *, ignore_status_of: str | None = None
    ) -> list[str]:
        """Readable problems recorded from ``mark`` (up to ``end``); ``ignore_status_of``
        names a page whose own (expected) 4xx status Chromium reports on the console."""
        problems = []
        for kind, url, text in self.entries[mark:end]:
            if (
                ignore_status_of
                and kind == "console"
                and url == ignore_status_of
                and text.startswith(
                    "Failed to load resource: the server responded with a status of 4"
                )
            ):
                continue
            problems.append(f"{kind}: {text}" + (f" [{url}]" if url else ""))
        return problems

    def assert_none(self, mark: int = 0) -> None:
        problems = self.since(mark)
        assert not problems, "the browser reported problems:\n  " + "\n  ".join(problems)


_error_logs: dict[int, ErrorLog] = {}


def error_log(page) -> ErrorLog:
    return _error_logs[id(page)]


def _watch(page) -> ErrorLog:
    log = ErrorLog()

    def on_console(message):
        if message.type == "error":
            log.entries.append(("console", message.location.get("url", ""), message.text))

    def on_page_error(error):
        log.entries.append(("pageerror", page.url, str(error)))

    def on_response(response):
        if response.status >= 500:
            log.entries.append(("http", response.url, f"{response.status} {response.status_text}"))

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    _error_logs[id(page)] = log
    return log


def open_page(browser, base_url: str, viewport=DESKTOP):
    """A watched page in a fresh context (its own cookies) of ``browser``."""
    context = browser.new_context(base_url=base_url, viewport=viewport, locale="uk-UA")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    _watch(page)
    return page


def close_page(page) -> None:
    _error_logs.pop(id(page), None)
    page.context.close()


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(viewport=PHONE)``: a page in a fresh context (own cookies)."""
    pages = []

    def open_new(viewport=DESKTOP):
        pages.append(open_page(browser, live_server.base_url, viewport))
        return pages[-1]

    yield open_new
    for page in pages:
        close_page(page)


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def page_errors(page) -> ErrorLog:
    return error_log(page)


# Helpers the tests share.


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form at /login and wait for the page it leads to."""
    page.goto("/login")
    page.get_by_label("Електронна пошта").fill(email)
    page.get_by_label("Пароль", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Увійти").click()
    assert urlsplit(page.url).path != "/login", f"{email} could not sign in"
