"""Load test: real HTTP against gunicorn with several workers, on a throwaway database.

    python -m bench.loadtest --duration 60 --users 8 --workers 4
    make loadtest

Virtual users sign in as the demo staff and, for ``--duration`` seconds, pick a
scenario at a time by weight: ``browse`` (GET the pages of their menu),
``edit`` (managers: open the institution profile form and save it with its
version field; 409 conflicts are expected and counted) and ``healthz`` (the
bare route, the baseline measured in the same run). ``--parents`` more users,
signed in nowhere, each time a new parent with a browser of their own, open the
demo questionnaire by its public link and submit answers. Afterwards every
institution's version and audit log must account for every acknowledged save,
and its responses for every acknowledged questionnaire.
Prints requests, throughput and p50/p95/p99 latency per step; exits non-zero on
any 5xx, unexpected answer, failed connection or lost acknowledged write.

The database is a temporary SQLite file unless ``--database-url`` names one
(e.g. an empty PostgreSQL database); it is migrated and given the demo data.
``Server`` and ``Browser`` are also used by the tests that kill and restart
servers (tests/test_durability.py, tests/test_instances.py).
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "навантаження-демо-2026"
SECRET_KEY = "loadtest-secret-key"


# A server process ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_executable() -> str:
    beside = Path(sys.executable).with_name("gunicorn")
    return str(beside) if beside.exists() else shutil.which("gunicorn") or "gunicorn"


def server_environment(database_url: str, upload_folder: str | Path, **extra: str) -> dict:
    """What a server process needs: the database, a shared secret, no CSRF for scripts."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET_KEY,
        DOZQ_UPLOAD_FOLDER=str(upload_folder),
        DOZQ_WTF_CSRF_ENABLED="false",
        **extra,
    )
    return env


class Server:
    """``gunicorn wsgi:app`` on loopback, as a process group of its own."""

    def __init__(
        self,
        env: dict,
        *,
        port: int | None = None,
        workers: int = 2,
        threads: int = 1,
        preload: bool = False,
    ):
        self.env = env
        self.port = port or free_port()
        self.workers = workers
        self.threads = threads
        #: Import the app once in the master and fork the workers (fast restarts).
        self.preload = preload
        self.process: subprocess.Popen | None = None
        # Kept open across restarts: every run of the server appends to it.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="dozq-gunicorn-", suffix=".log", delete=False
        )

    def start(self, timeout: float = 30) -> "Server":
        command = [
            gunicorn_executable(),
            "--chdir",
            str(ROOT),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "2",
            "--no-control-socket",
            *(["--preload"] if self.preload else []),
            "wsgi:app",
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            try:
                if Browser(self.port, timeout=2).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the master and its workers at once: nothing gets to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process:
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def close(self) -> None:
        self.stop()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)

    def __enter__(self) -> "Server":
        return self.start() if self.process is None else self

    def __exit__(self, *exc) -> None:
        self.close()


# A person's browser ------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict
    body: str
    seconds: float


class Browser:
    """One person's cookies over http.client: a fresh connection for each request."""

    def __init__(self, port: int, *, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read().decode("utf-8", errors="replace")
            seconds = time.perf_counter() - started
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return Answer(response.status, dict(response.headers), data, seconds)
        finally:
            connection.close()

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> Answer:
        return self.request("POST", path, form)

    def login(self, email: str, password: str) -> Answer:
        return self.post("/login", {"email": email, "password": password})


class FormFields(HTMLParser):
    """The values a browser would submit for the page's form; ``answering``: what a
    person in a hurry submits: the first choice of every question, a line in every
    text box."""

    def __init__(self, answering: bool = False):
        super().__init__()
        self.answering = answering
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                if self.answering:
                    self.fields.setdefault(name, attrs.get("value") or "")
                return
            self.fields[name] = attrs.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select:
            value = attrs.get("value", "")
            if self._first_option is None:
                self._first_option = value
                self.fields.setdefault(self._select, value)
            if "selected" in attrs:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str, answering: bool = False) -> dict[str, str]:
    parser = FormFields(answering)
    parser.feed(html)
    if answering:
        for name, value in parser.fields.items():
            if not value and name.startswith("q"):
                parser.fields[name] = "Усе добре, дякуємо."
    return parser.fields


# The database ----------------------------------------------------------------------------


@dataclass
class Person:
    email: str
    workplaces: list[tuple[str, str]]  # (institution slug, role)


def prepare_database(database_url: str, upload_folder: Path) -> tuple[list[Person], list]:
    """Migrate, load the demo data; return who works where and the questionnaires'
    public links as (institution slug, path)."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from dozq import create_app
    from dozq.auth.models import User
    from dozq.db import db
    from dozq.demo import load_demo
    from dozq.surveys.models import SurveyLink
    from dozq.tenancy.access import workplaces
    from dozq.tenancy.scope import Scope, tenant_scope
    from dozq.tenancy.services import all_institutions

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "UPLOAD_FOLDER": str(upload_folder),
        }
    )
    with app.app_context():
        upgrade()
        logins = load_demo(DEMO_PASSWORD)
        db.session.commit()
        people = []
        for _label, email in logins:
            user = db.session.scalar(select(User).where(User.email == email))
            memberships, _founders = workplaces(user)
            places = [(m.institution.slug, m.role.value) for m in memberships]
            if places:
                people.append(Person(email, places))
        links = []
        for institution in all_institutions():
            with tenant_scope(db.session, Scope.for_institution(institution)):
                tokens = db.session.scalars(select(SurveyLink.token).order_by(SurveyLink.id))
                links += [(institution.slug, f"/s/{token}") for token in tokens]
        db.engine.dispose()
    return people, links


def institution_state(database_url: str, upload_folder: Path) -> dict[str, tuple[int, int, int]]:
    """Per institution: (profile version, audit rows of profile saves, questionnaire
    responses)."""
    from sqlalchemy import func, select

    from dozq import create_app
    from dozq.audit.models import AuditEntry
    from dozq.db import db
    from dozq.surveys.models import SurveyResponse
    from dozq.tenancy.scope import Scope, tenant_scope
    from dozq.tenancy.services import all_institutions

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET_KEY,
            "UPLOAD_FOLDER": str(upload_folder),
        }
    )
    state = {}
    with app.app_context():
        for institution in all_institutions():
            with tenant_scope(db.session, Scope.for_institution(institution)):
                saves = db.session.scalar(
                    select(func.count(AuditEntry.id)).where(
                        AuditEntry.action == "institution.updated"
                    )
                )
                responses = db.session.scalar(select(func.count(SurveyResponse.id)))
                state[institution.slug] = (institution.version, saves, responses)
        db.engine.dispose()
    return state


# Scenarios ---------------------------------------------------------------------------------


MANAGER_ROLES = {"director", "methodologist"}
STAFF_ROLES = {"director", "methodologist", "teacher", "staff"}


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    answered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, step: str, answer: Answer, expected: tuple[int, ...], path: str = "") -> None:
        with self.lock:
            self.latencies[step].append(answer.seconds)
            self.statuses[step][answer.status] += 1
            if answer.status not in expected:
                self.failures.append(f"{step}: HTTP {answer.status} {path}".rstrip())

    def broken(self, step: str, error: Exception) -> None:
        with self.lock:
            self.statuses[step][0] += 1
            self.failures.append(f"{step}: {type(error).__name__}: {error}")


@dataclass
class VirtualUser:
    number: int
    browser: Browser
    slug: str
    role: str
    pages: list[str]
    stats: Stats
    saves: int = 0


def healthz(user: VirtualUser) -> None:
    user.stats.note("healthz", user.browser.get("/healthz"), (200,))


def browse(user: VirtualUser) -> None:
    page = random.choice(user.pages)
    user.stats.note("browse", user.browser.get(page), (200,), page)


def edit(user: VirtualUser) -> None:
    """Open the profile form, change the address, save with the version opened."""
    opened = user.browser.get(f"/i/{user.slug}/profile/edit")
    user.stats.note("edit: form", opened, (200,))
    if opened.status != 200:
        return
    fields = form_fields(opened.body)
    user.saves += 1
    fields["address"] = f"вул. Навантажувальна, {user.number}-{user.saves}"
    saved = user.browser.post(f"/i/{user.slug}/profile/edit", fields)
    user.stats.note("edit: save", saved, (303, 409))
    if saved.status == 303:
        with user.stats.lock:
            user.stats.acknowledged[user.slug] += 1


def parent_questionnaire(stats: Stats, port: int, links: list[tuple[str, str]]) -> None:
    """A new parent, with a browser of their own, opens a public link, answers and
    submits; an acknowledged submission is checked afterwards like a save."""
    parent = Browser(port)
    slug, link = random.choice(links)
    opened = parent.get(link)
    stats.note("questionnaire: form", opened, (200,), link)
    if opened.status != 200:
        return
    sent = parent.post(link, form_fields(opened.body, answering=True))
    stats.note("questionnaire: submit", sent, (303,), link)
    if sent.status == 303:
        with stats.lock:
            stats.answered[slug] += 1


@dataclass
class Scenario:
    name: str
    weight: int
    run: Callable[[VirtualUser], None]
    roles: set[str]


SCENARIOS = [
    Scenario("browse", 6, browse, STAFF_ROLES),
    Scenario("edit", 2, edit, MANAGER_ROLES),
    Scenario("healthz", 2, healthz, STAFF_ROLES),
]


def menu_pages(html: str, slug: str) -> list[str]:
    """The institution pages the person's menu offers (what their role may open)."""
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)
    links = re.findall(rf'href="(/i/{re.escape(slug)}/[^"]*)"', nav.group(0) if nav else "")
    return sorted(set(links)) or [f"/i/{slug}/"]


def run_user(number: int, person: Person, port: int, stats: Stats, deadline: float) -> None:
    browser = Browser(port)
    slug, role = person.workplaces[number % len(person.workplaces)]
    try:
        signed_in = browser.login(person.email, DEMO_PASSWORD)
        home = browser.get(f"/i/{slug}/")
    except OSError as error:
        stats.broken("login", error)
        return
    if signed_in.status != 303 or home.status != 200:
        stats.failures.append(f"login {person.email}: {signed_in.status}/{home.status}")
        return
    user = VirtualUser(number, browser, slug, role, menu_pages(home.body, slug), stats)
    scenarios = [s for s in SCENARIOS if s.weight and role in s.roles]
    weights = [s.weight for s in scenarios]
    while time.monotonic() < deadline:
        scenario = random.choices(scenarios, weights)[0]
        try:
            scenario.run(user)
        except OSError as error:
            stats.broken(scenario.name, error)
        except http.client.HTTPException as error:
            stats.broken(scenario.name, error)


def run_parents(links: list, port: int, stats: Stats, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            parent_questionnaire(stats, port, links)
        except (OSError, http.client.HTTPException) as error:
            stats.broken("questionnaire", error)


#: Every step a run measures, in the order of the report.
STEPS = (
    "healthz",
    "browse",
    "edit: form",
    "edit: save",
    "questionnaire: form",
    "questionnaire: submit",
)


# Report ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def summary(stats: Stats, seconds: float) -> dict:
    steps = {}
    order = list(STEPS)
    for step in sorted(stats.statuses, key=lambda s: (order.index(s) if s in order else 99, s)):
        latencies = stats.latencies.get(step, [])
        statuses = stats.statuses[step]
        steps[step] = {
            "requests": sum(statuses.values()),
            "ok": sum(n for code, n in statuses.items() if 200 <= code < 400),
            "conflicts": statuses.get(409, 0),
            "server_errors": sum(n for code, n in statuses.items() if code >= 500),
            "failed_connections": statuses.get(0, 0),
            "per_second": round(sum(statuses.values()) / seconds, 1),
            "p50_ms": round(percentile(latencies, 50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        }
    return steps


def print_report(result: dict) -> None:
    print(
        f"loadtest: {result['seconds']} s, {result['users']} users, {result['workers']} workers"
        f" × {result['threads']} threads, {result['database']}"
    )
    print(
        f"{'step':<20}{'requests':>9}{'ok':>8}{'409':>6}{'5xx':>6}{'conn':>6}"
        f"{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    for name, step in result["steps"].items():
        label = f"{name} (baseline)" if name == "healthz" else name
        print(
            f"{label:<20}{step['requests']:>9}{step['ok']:>8}{step['conflicts']:>6}"
            f"{step['server_errors']:>6}{step['failed_connections']:>6}{step['per_second']:>8}"
            f"{step['p50_ms']:>9}{step['p95_ms']:>9}{step['p99_ms']:>9}"
        )
    base = result["steps"].get("healthz", {}).get("p50_ms") or 0
    for name, step in result["steps"].items():
        if name != "healthz" and base:
            print(f"p50 {name} / healthz: {step['p50_ms'] / base:.1f}")
    print(
        f"acknowledged saves: {result['acknowledged_saves']}, lost: {result['lost_saves']}; "
        f"acknowledged questionnaires: {result['acknowledged_answers']}, "
        f"lost: {result['lost_answers']}; failures: {len(result['failures'])}"
    )
    for failure in result["failures"][:20]:
        print(f"  FAIL {failure}")


def run(args) -> dict:
    with tempfile.TemporaryDirectory(prefix="dozq-loadtest-") as directory:
        directory = Path(directory)
        database_url = args.database_url or f"sqlite:///{directory / 'loadtest.sqlite'}"
        uploads = directory / "uploads"
        people, links = prepare_database(database_url, uploads)
        before = institution_state(database_url, uploads)
        stats = Stats()
        # Every virtual parent comes from 127.0.0.1: the per-address flood guard would
        # count them as one household's router.
        env = server_environment(database_url, uploads, DOZQ_SURVEY_SUBMIT_LIMIT="[1000000, 3600]")
        with Server(env, workers=args.workers, threads=args.threads) as server:
            started = time.monotonic()
            deadline = started + args.duration
            threads = [
                threading.Thread(
                    target=run_user,
                    args=(number, people[number % len(people)], server.port, stats, deadline),
                )
                for number in range(args.users)
            ]
            threads += [
                threading.Thread(target=run_parents, args=(links, server.port, stats, deadline))
                for _ in range(args.parents if links else 0)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            seconds = time.monotonic() - started
        after = institution_state(database_url, uploads)
    lost = lost_answers = 0
    for slug, (version, saves, responses) in after.items():
        acknowledged = stats.acknowledged.get(slug, 0)
        old_version, old_saves, old_responses = before[slug]
        answered = stats.answered.get(slug, 0)
        if responses - old_responses != answered:
            lost_answers += abs(answered - (responses - old_responses))
            stats.failures.append(
                f"{slug}: {answered} questionnaires acknowledged, responses went "
                f"{old_responses}→{responses}"
            )
        if version - old_version != acknowledged or saves - old_saves != acknowledged:
            lost += abs(acknowledged - (version - old_version))
            stats.failures.append(
                f"{slug}: {acknowledged} saves acknowledged, version went "
                f"{old_version}→{version}, audit rows {old_saves}→{saves}"
            )
    return {
        "seconds": round(seconds, 1),
        "users": args.users,
        "workers": args.workers,
        "threads": args.threads,
        "database": database_url.split(":", 1)[0],
        "steps": summary(stats, seconds),
        "acknowledged_saves": sum(stats.acknowledged.values()),
        "lost_saves": lost,
        "acknowledged_answers": sum(stats.answered.values()),
        "lost_answers": lost_answers,
        "failures": stats.failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--users", type=int, default=8, help="concurrent virtual staff")
    parser.add_argument(
        "--parents", type=int, default=2, help="concurrent virtual parents answering"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument(
        "--database-url", help="an empty database to use instead of a temporary SQLite file"
    )
    parser.add_argument("--json", action="store_true", help="also print the result as JSON")
    args = parser.parse_args(argv)
    result = run(args)
    print_report(result)
    if args.json:
        print("LOADTEST " + json.dumps(result, ensure_ascii=False))
    failed = result["failures"] or any(
        step["server_errors"] or step["failed_connections"] for step in result["steps"].values()
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
