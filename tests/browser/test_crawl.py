"""Every page each demo person can reach by following links, checked in a real
browser: no error status, no console error, no axe-core WCAG 2.1 A/AA
violation, no sideways scrolling, and no English left in the interface.

Half of the people use a phone-sized window, the others a desktop one. Pages
that differ only by the ids in their address are sampled (MAX_PER_KIND each),
at most MAX_PAGES per person, to keep the run short as the app grows; the
crawls run WORKERS at a time, and each person's result is its own test.
"""

import os
import queue
import re
import threading
from collections import Counter, deque
from dataclasses import dataclass
from urllib.parse import parse_qsl, urldefrag, urlsplit

import pytest

try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # the browser fixture skips (or fails under DOZQ_TEST_STRICT)
    PlaywrightError = Exception

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    close_page,
    error_log,
    launch,
    log_in,
    open_page,
)

pytestmark = pytest.mark.browser

MAX_PAGES = 80
#: Crawls running at once (a Chromium each): the machine has two cores.
WORKERS = int(os.environ.get("DOZQ_TEST_BROWSER_WORKERS", "2"))
#: Pages of one kind (the same address but for the ids and the institution in
#: it) that are opened: /components/1 … /components/14 share a template, the
#: first two of them show it.
MAX_PER_KIND = 2

#: (e-mail, window): the logins ``flask dozq demo`` prints.
DEMO_LOGINS = [
    ("admin@example.com", PHONE),
    ("founder@example.com", DESKTOP),
    ("director@example.com", PHONE),
    ("methodologist@example.com", DESKTOP),
    ("teacher@example.com", PHONE),
    ("staff@example.com", DESKTOP),
    ("director.veselka@example.com", PHONE),
]

#: Paths never followed: signing out ends the crawl, static files are no pages.
SKIPPED_PATHS = re.compile(r"^/(logout|static/)")

AXE_RUN = """() => axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
    resultTypes: ['violations'],
}).then(result => result.violations.map(violation => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map(node => node.target.join(' ')),
})))"""

#: Every piece of text a person can see or hear: visible text nodes (screen-reader
#: only text included), option labels, the labelling attributes and the title.
VISIBLE_TEXTS = """() => {
    const skipped = 'code, pre, kbd, samp, script, style, noscript, template, textarea';
    const texts = [['title', document.title]];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const element = node.parentElement;
        const text = node.nodeValue.trim();
        if (!text || !element || element.closest(skipped)) continue;
        const shown = element.closest('select') || element.checkVisibility({
            checkVisibilityCSS: true,
        });
        if (shown) texts.push([element.tagName.toLowerCase(), text]);
    }
    const labelled = '[aria-label], [title], [placeholder], [alt], [aria-description]';
    for (const element of document.body.querySelectorAll(labelled)) {
        if (element.closest(skipped)) continue;
        for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'aria-description']) {
            const value = element.getAttribute(name);
            if (value) texts.push([`${element.tagName.toLowerCase()}[${name}]`, value]);
        }
    }
    return texts;
}"""

#: Elements sticking out to the right: positioned ones first (they escape their
#: scrolling boxes), then those not inside a box that scrolls on its own.
WIDEST = """() => {
    const out = e => e.getBoundingClientRect().right > window.innerWidth + 0.5;
    const scrolled = e => {
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true;
        }
        return false;
    };
    const all = [...document.querySelectorAll('body *')].filter(out);
    const placed = e => ['absolute', 'fixed'].includes(getComputedStyle(e).position);
    const positioned = all.filter(placed);
    const found = positioned.length ? positioned : all.filter(e => !scrolled(e));
    return found.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className.trim()
            ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
}"""

NOT_WORDS = [
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # e-mail addresses
    re.compile(r"\b(?:https?://|www\.)\S+"),  # URLs
    re.compile(r"\S*\d\S*"),  # codes and numbers (ЄДРПОУ, phones, dates)
    re.compile(r"\bdozq\b", re.IGNORECASE),  # the brand
]
LATIN_WORD = re.compile(r"(?<![A-Za-z])[A-Za-z]{3,}(?![A-Za-z])")
#: Names of file formats, which Ukrainian text writes in Latin capitals too.
FORMAT_NAMES = {
    "CSV",
    "DOC",
    "DOCX",
    "JSON",
    "ODS",
    "ODT",
    "PDF",
    "XLS",
    "XLSX",
    "XML",
    "YAML",
    "ZIP",
}


def untranslated(texts: list[list[str]]) -> list[str]:
    """Latin words of three letters or more outside addresses, codes and the brand."""
    found = []
    for where, text in texts:
        cleaned = text
        for pattern in NOT_WORDS:
            cleaned = pattern.sub(" ", cleaned)
        words = [word for word in LATIN_WORD.findall(cleaned) if word not in FORMAT_NAMES]
        if words:
            found.append(f"<{where}> {', '.join(words)} in «{text[:120]}»")
    return found


def page_links(page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.href)")
    links = []
    for href in hrefs:
        url, _fragment = urldefrag(href)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIPPED_PATHS.match(parts.path):
            continue
        links.append(url)
    return links


def kind_of(url: str) -> str:
    """The address with its ids, institution and query values left out."""
    parts = urlsplit(url)
    path = re.sub(r"/\d+(?=/|$)", "/<id>", re.sub(r"^/i/[^/]+/", "/i/<slug>/", parts.path))
    return path + "?" + "&".join(sorted(key for key, _ in parse_qsl(parts.query)))


def check_file(page, url: str) -> list[str]:
    """A link to a download: only its answer is checked."""
    response = page.context.request.get(url)
    try:
        return [f"HTTP {response.status}"] if response.status >= 400 else []
    finally:
        response.dispose()


def check_page(page, axe_source: str, response) -> list[str]:
    """What is wrong with the page just opened."""
    problems = [f"HTTP {response.status}"] if response.status >= 400 else []
    if not response.headers.get("content-type", "").startswith("text/html"):
        return problems  # a file the browser shows itself
    page.evaluate(axe_source)  # over CDP: the page's CSP does not apply to it
    for violation in page.evaluate(AXE_RUN):
        problems.append(
            f"axe {violation['id']} ({violation['impact']}): {violation['help']} → "
            + "; ".join(violation["targets"][:8])
        )
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if widths[0] > widths[1]:
        wide = page.evaluate(WIDEST)
        problems.append(f"scrolls sideways: {widths[0]}px > {widths[1]}px ({', '.join(wide)})")
    problems += [f"untranslated: {item}" for item in untranslated(page.evaluate(VISIBLE_TEXTS))]
    return problems


def browser_errors(page, url: str, status: int, mark: int) -> tuple[list[str], int]:
    """Errors the browser reported since ``mark`` (late ones, such as a failed
    favicon, count for the page open when they arrive), and the next mark."""
    log = error_log(page)
    next_mark = log.mark()
    problems = log.since(mark, next_mark, ignore_status_of=url if status >= 400 else None)
    return problems, next_mark


def crawl(page, axe_source: str, start: list[str], origin: str) -> tuple[dict, list[str]]:
    """Breadth-first over same-origin links; {url: problems} and the pages seen.
    Errors from before the crawl (signing in) count for its first page."""
    queue = deque(start)
    seen = set(start)
    kinds = Counter(kind_of(url) for url in start)
    visited = []
    report = {}
    mark = 0
    while queue and len(visited) < MAX_PAGES:
        url = queue.popleft()
        visited.append(url)
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" not in error.message:
                raise
            if problems := check_file(page, url):
                report[url] = problems
            continue
        final_url = urldefrag(page.url)[0]
        seen.add(final_url)
        problems = check_page(page, axe_source, response)
        errors, mark = browser_errors(page, final_url, response.status, mark)
        problems += errors
        if problems:
            report[url if final_url == url else f"{url} → {final_url}"] = problems
        for link in page_links(page, origin):
            if link not in seen:
                seen.add(link)
                kinds[kind_of(link)] += 1
                if kinds[kind_of(link)] <= MAX_PER_KIND:
                    queue.append(link)
    page.wait_for_timeout(100)  # the last page's late messages
    if late := error_log(page).since(mark):
        report.setdefault(urldefrag(page.url)[0], []).extend(late)
    return report, visited


def readable(who: str, report: dict, visited: list[str]) -> str:
    lines = [f"{who}: problems on {len(report)} of {len(visited)} pages"]
    for url, problems in report.items():
        lines.append(f"  {url}")
        lines += [f"    - {problem}" for problem in problems]
    return "\n".join(lines)


def run_crawls(browser, jobs: dict, crawl_one) -> dict:
    """``crawl_one(browser, job)`` for every job, WORKERS at a time: this thread
    with ``browser``, helper threads each with a Chromium of their own (the
    Playwright objects of one thread are never used in another)."""
    from playwright.sync_api import sync_playwright

    pending = queue.SimpleQueue()
    for name in jobs:
        pending.put(name)
    results = {}

    def drain(own_browser):
        while True:
            try:
                name = pending.get_nowait()
            except queue.Empty:
                return
            try:
                results[name] = crawl_one(own_browser, jobs[name])
            except Exception as error:
                results[name] = error

    def helper():
        with sync_playwright() as playwright:
            try:
                own_browser = launch(playwright)
            except Exception:
                return  # this thread's share falls to the others
            try:
                drain(own_browser)
            finally:
                own_browser.close()

    helpers = [threading.Thread(target=helper, daemon=True) for _ in range(WORKERS - 1)]
    for thread in helpers:
        thread.start()
    drain(browser)
    for thread in helpers:
        thread.join()
    return results


@dataclass(frozen=True)
class Job:
    email: str | None  # None: a visitor who has not signed in
    viewport: dict
    start: tuple[str, ...] = ()  # the visitor's first pages; a person starts where login leads


JOBS = {
    f"{email.split('@')[0]}-{viewport['width']}": Job(email, viewport)
    for email, viewport in DEMO_LOGINS
}
VISITOR_START = ("/", "/login", "/no-such-page")
VISITOR_JOBS = {
    f"visitor-{viewport['width']}": Job(None, viewport, VISITOR_START)
    for viewport in (PHONE, DESKTOP)
}


@pytest.fixture(scope="module")
def crawls(request, browser, live_server, axe_source) -> dict:
    """{job name: (report, visited) or the exception} for the jobs selected to run."""
    all_jobs = {**JOBS, **VISITOR_JOBS}
    wanted = {
        item.callspec.params["job"]
        for item in request.session.items
        if item.module is request.module
        and hasattr(item, "callspec")
        and "job" in item.callspec.params
    }

    def crawl_one(own_browser, job: Job):
        page = open_page(own_browser, live_server.base_url, job.viewport)
        try:
            if job.email:
                log_in(page, job.email)
                start = [urldefrag(page.url)[0]]
            else:
                start = [live_server.url(path) for path in job.start]
            return crawl(page, axe_source, start, live_server.base_url)
        finally:
            close_page(page)

    return run_crawls(browser, {name: all_jobs[name] for name in sorted(wanted)}, crawl_one)


def result_of(crawls: dict, job: str) -> tuple[dict, list[str]]:
    result = crawls[job]
    if isinstance(result, Exception):
        raise result
    return result


@pytest.mark.parametrize("job", list(JOBS))
def test_every_reachable_page_is_sound(crawls, job):
    report, visited = result_of(crawls, job)
    assert len(visited) >= 3, f"{job} reached only {visited}"
    assert not report, readable(JOBS[job].email, report, visited)


@pytest.mark.parametrize("job", list(VISITOR_JOBS))
def test_visitor_pages_are_sound(crawls, live_server, job):
    report, visited = result_of(crawls, job)
    # The unknown address answers with the (accessible) Ukrainian 404 page.
    missing = live_server.url(VISITOR_START[-1])
    not_found = report.get(missing, [])
    assert "HTTP 404" in not_found, f"{missing} did not answer 404"
    not_found.remove("HTTP 404")
    if not not_found:
        del report[missing]
    assert live_server.url("/password/forgot") in visited
    assert not report, readable("visitor", report, visited)
