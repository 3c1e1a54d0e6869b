"""`make bench`: the app under gunicorn beside a bare Django project (the floor), driven by logged-in users.

    .venv/bin/python -m bench.run --label state [--write docs/performance.md]

DATABASE_URL names a database filled by `manage.py seed_scale` (its accounts p1-coach1, p1-supervisor1...). The
app is served as in production (DEBUG off, two-step login off for the benchmark's accounts, static files
collected, gunicorn with --workers sync workers and its statement timeout), the floor (bench/floor) the same way
on its own database. Each key page of a coach and a supervisor of the largest program is requested one at a time
(--requests), then by --concurrency users at once for --seconds; the table gives requests a second, median, p95
and p99, the page's SQL queries (counted in this process through Django's test client), and its throughput as a
share of the floor's. The driver runs on the same cores as the servers, for the app and the floor alike.

A benchmark, not a test: its figures depend on the machine and what else runs on it. The suite runs a tiny smoke
of it (tests/workspace/test_bench.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import html.parser
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.utils import timezone

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BEGIN, END = "<!-- bench:{label}:start -->", "<!-- bench:{label}:end -->"


# ---------------------------------------------------------------------------------------------------------------
# A logged-in user: cookies, and forms read from pages.


class FormReader(html.parser.HTMLParser):
    """The fields of the page's forms, as a browser would send them unchanged: hidden inputs, the first checkbox
    and radio of each name, the first non-empty option of each select."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        name = values.get("name", "")
        if tag == "input" and name:
            kind = values.get("type", "text")
            if kind == "hidden" or (kind in ("checkbox", "radio") and name not in self.fields):
                self.fields[name] = values.get("value", "on")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and values.get("value") and self._select not in self.fields:
            self.fields[self._select] = values["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


class Client:
    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"http://127.0.0.1:{self.port}{path}",
                "Origin": f"http://127.0.0.1:{self.port}",
            }
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name.strip()] = value.strip()
            return response.status, content
        finally:
            connection.close()

    def form(self, path: str) -> dict[str, str]:
        status, content = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        reader = FormReader()
        reader.feed(content.decode())
        return reader.fields

    def log_in(self, username: str, password: str, path: str = "/login/") -> None:
        fields = self.form(path) | {"username": username, "password": password}
        status, _ = self.request("POST", path, fields)
        if status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{username} could not log in ({status})")


# ---------------------------------------------------------------------------------------------------------------
# The pages.


@dataclasses.dataclass
class Page:
    who: str  # "coach" or "supervisor": whose sessions request it
    name: str
    # (client, that client's ids) -> (method, path, fields)
    request: Callable[[Client, dict], tuple[str, str, dict[str, str] | None]]
    ok: tuple[int, ...] = (200,)


def _get(path: str) -> Callable[[Client, dict], tuple[str, str, None]]:
    return lambda client, ids: ("GET", path.format(**ids), None)


def _log_encounter(client: Client, ids: dict) -> tuple[str, str, dict[str, str]]:
    fields = client.form("/coaching/encounters/new/") | {
        "duration_minutes": "20",
        "summary": "Benchmark: talked about her week.",
        "place": "",
    }
    fields["patients"] = str(ids["patient"])
    fields["started"] = "0"
    return "POST", "/coaching/encounters/new/", fields


PAGES = [
    Page("coach", "coach: home", _get("/")),
    Page("coach", "coach: caseload", _get("/patients/")),
    Page("coach", "coach: patient page", _get("/patients/{patient}/")),
    Page("coach", "coach: log an encounter (form)", _get("/coaching/encounters/new/")),
    Page("coach", "coach: log an encounter (save)", _log_encounter, ok=(302,)),
    Page("coach", "coach: her concerns", _get("/coaching/concerns/")),
    Page("supervisor", "supervisor: home", _get("/")),
    Page("supervisor", "supervisor: patients", _get("/patients/")),
    Page("supervisor", "supervisor: patients, name search", _get("/patients/?q=patient+12")),
    Page("supervisor", "supervisor: concern queue", _get("/coaching/concerns/")),
    Page("supervisor", "supervisor: encounters, first page", _get("/coaching/encounters/")),
    Page("supervisor", "supervisor: encounters, a year back", _get("/coaching/encounters/?until={year_ago}")),
    Page("supervisor", "supervisor: a coach's weekly queue", _get("/supervision/queue/{coach}/")),
    Page("supervisor", "supervisor: coaches at a glance", _get("/overview/")),
    Page("supervisor", "supervisor: report, last 12 weeks", _get("/reports/")),
    Page("supervisor", "supervisor: report, this grant year", _get("/reports/?period=grant_year")),
]


# ---------------------------------------------------------------------------------------------------------------
# Serving.


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "SECURE_HSTS_SECONDS": "0",
        "TWO_STEP_REQUIRED": "false",
        "LOG_LEVEL": "WARNING",
        # A benchmark's users log in many times from one address.
        "AXES_ADDRESS_FAILURE_LIMIT": "100000",
        **extra,
    }


@contextmanager
def served(module: str, port: int, workers: int, env: dict[str, str]) -> Iterator[None]:
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        module,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--error-logfile",
        "-",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own gunicorn, fixed arguments)
    try:
        for _ in range(300):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/healthz/web")
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"{module} did not start") from None
                time.sleep(0.1)
        yield
    finally:
        server.terminate()
        server.wait(timeout=30)


def _manage(args: list[str], env: dict[str, str], settings: str | None = None) -> None:
    command = [PYTHON, "-m", "django", *args] if settings else [PYTHON, "manage.py", *args]
    if settings:
        env = {**env, "DJANGO_SETTINGS_MODULE": settings}
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 (our own commands)


def floor_prepare(env: dict[str, str], password: str) -> None:
    """The floor's tables, in the schema `bench_floor` of the app's database, and its users."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA IF NOT EXISTS bench_floor")
    _manage(["migrate", "--noinput"], env, "bench.floor.settings")
    script = (
        "from django.contrib.auth.hashers import make_password\n"
        "from django.contrib.auth.models import User\n"
        f"hashed = make_password({password!r})\n"
        "for i in range(1, 65):\n"
        "    User.objects.update_or_create(username=f'floor{i}', defaults={'password': hashed})\n"
    )
    _manage(["shell", "-c", script], env, "bench.floor.settings")


# ---------------------------------------------------------------------------------------------------------------
# The data: `manage.py seed_scale` into an empty database, created if missing.

SIZES = {
    # The state of the load test (seed_scale's defaults).
    "state": [],
    # A hundredth of it: what a program sees in its first months, the "demo data" each page is compared with.
    "demo": ["--programs", "2", "--supervisors", "4", "--coaches", "20", "--patients", "250", "--encounters",
             "25000", "--concerns", "1000", "--access-log", "50000"],
    # For the suite's smoke run.
    "smoke": ["--programs", "2", "--supervisors", "4", "--coaches", "8", "--patients", "60", "--encounters", "1000",
              "--concerns", "40", "--access-log", "500"],
}  # fmt: skip


def prepare(size: str) -> None:
    """Creates DATABASE_URL's database if missing, migrates it, and fills it with seed_scale once."""
    import psycopg

    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = urllib.parse.unquote(url.path.lstrip("/"))
    server = urllib.parse.urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))
    env = {**os.environ, "DEBUG": "true"}
    _manage(["migrate", "--noinput"], env)
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        seeded = connection.execute("SELECT EXISTS (SELECT 1 FROM patients_patient)").fetchone()
    if not (seeded and seeded[0]):
        print(f"Filling {name} with seed_scale ({size}); the state takes minutes.", file=sys.stderr)
        _manage(["seed_scale", *SIZES[size]], env)


# ---------------------------------------------------------------------------------------------------------------
# Measuring.


@dataclasses.dataclass
class Result:
    name: str
    queries: int | None = None
    median_1: float = 0.0
    rps_1: float = 0.0
    rps_n: float = 0.0
    median_n: float = 0.0
    p95_n: float = 0.0
    p99_n: float = 0.0
    errors: int = 0
    requests: int = 0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def measure(page: Page, clients: list[tuple[Client, dict]], requests: int, seconds: float, concurrency: int) -> Result:
    result = Result(page.name)

    def once(client: Client, ids: dict) -> float | None:
        method, path, fields = page.request(client, ids)
        start = time.perf_counter()
        status, _ = client.request(method, path, fields)
        took = time.perf_counter() - start
        return took if status in page.ok else None

    # One at a time, after two to warm up.
    client, ids = clients[0]
    timings = []
    for index in range(requests + 2):
        took = once(client, ids)
        if took is None:
            result.errors += 1
        elif index >= 2:
            timings.append(took)
    result.median_1 = statistics.median(timings) * 1000 if timings else 0.0
    result.rps_1 = len(timings) / sum(timings) if timings else 0.0

    # `concurrency` users at once.
    lock = threading.Lock()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def user(number: int) -> None:
        client, ids = clients[number % len(clients)]
        while time.perf_counter() < deadline:
            took = once(client, ids)
            with lock:
                if took is None:
                    result.errors += 1
                else:
                    latencies.append(took)

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(number,)) for number in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    result.requests = len(latencies) + len(timings)
    result.rps_n = len(latencies) / elapsed
    result.median_n = statistics.median(latencies) * 1000 if latencies else 0.0
    result.p95_n = _percentile(latencies, 0.95) * 1000
    result.p99_n = _percentile(latencies, 0.99) * 1000
    return result


def count_queries(pages: list[Page], users: dict[str, tuple[str, dict]]) -> dict[str, int]:
    """Each page's SQL queries, through Django's test client in this process (force_login: no password)."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from staff.models import User

    counts = {}
    for who, (username, ids) in users.items():
        client = DjangoClient()
        client.force_login(User.objects.get(username=username))
        for page in pages:
            if page.who != who or page.ok != (200,):
                continue
            _, path, _ = page.request(Client(0), ids)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            if response.status_code == 200:
                counts[page.name] = len(queries)
    return counts


def ids_of(username: str) -> dict:
    """What a user's pages need: a woman on her caseload, a coach she supervises, a day a year back."""
    from patients.models import CoachAssignment
    from staff.models import User
    from supervision.models import SupervisionAssignment

    user = User.objects.get(username=username)
    year_ago = (timezone.localdate() - datetime.timedelta(days=365)).isoformat()
    patient = (
        CoachAssignment.objects.filter(coach=user, ended_on__isnull=True).values_list("patient_id", flat=True).first()
    )
    coach = (
        SupervisionAssignment.objects.filter(supervisor=user, ended_on__isnull=True)
        .values_list("coach_id", flat=True)
        .first()
    )
    return {"patient": patient, "coach": coach, "year_ago": year_ago}


def table(results: list[Result], floor: Result, label: str, note: str, users: int) -> str:
    lines = [
        BEGIN.format(label=label),
        "",
        note,
        "",
        f"| page | queries | median, 1 user | req/s, 1 user | req/s, {users} users | % of floor | median, {users} "
        f"| p95, {users} | p99, {users} |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in [floor, *results]:
        share = 100 * row.rps_n / floor.rps_n if floor.rps_n else 0
        lines.append(
            f"| {row.name} | {row.queries if row.queries is not None else ''} | {row.median_1:.1f} ms "
            f"| {row.rps_1:.0f} | {row.rps_n:.0f} | {share:.0f} % | {row.median_n:.0f} ms | {row.p95_n:.0f} ms "
            f"| {row.p99_n:.0f} ms |"
        )
    errors = sum(row.errors for row in results)
    lines += ["", f"Errors: {errors} in {sum(row.requests for row in results)} requests.", "", END.format(label=label)]
    return "\n".join(lines)


def write_into(path: Path, text: str, label: str) -> None:
    document = path.read_text()
    begin, end = BEGIN.format(label=label), END.format(label=label)
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if pattern.search(document):
        document = pattern.sub(lambda _: text, document)
    else:
        document = document.rstrip() + "\n\n" + text + "\n"
    path.write_text(document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="state", help="names the table in docs/performance.md")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--requests", type=int, default=30, help="requests one at a time, per page")
    parser.add_argument("--seconds", type=float, default=15, help="seconds of concurrent users, per page")
    parser.add_argument("--app-port", type=int, default=8101)
    parser.add_argument("--floor-port", type=int, default=8102)
    parser.add_argument("--password", default="scale-test-password-1")
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file")
    parser.add_argument("--seed", choices=SIZES, help="create, migrate and fill DATABASE_URL first if it is empty")
    args = parser.parse_args(argv)

    if args.seed:
        prepare(args.seed)
    app_env = _env()
    floor_env = _env(DJANGO_SETTINGS_MODULE="bench.floor.settings")
    # This process reads the app's settings too, as served (its pages' queries are counted here).
    os.environ.update(app_env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_program.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    began = time.perf_counter()

    def say(what: str) -> None:
        print(f"{time.perf_counter() - began:6.1f} s  {what}", file=sys.stderr)

    _manage(["collectstatic", "--noinput"], app_env)
    say("static files collected")
    floor_prepare(floor_env, args.password)
    say("floor project ready")

    users = {"coach": "p1-coach1", "supervisor": "p1-supervisor1"}
    ids = {who: ids_of(username) for who, username in users.items()}
    queries = count_queries(PAGES, {who: (users[who], ids[who]) for who in users})
    say("queries counted")

    with (
        served("recovery_program.wsgi", args.app_port, args.workers, app_env),
        served("bench.floor.wsgi", args.floor_port, args.workers, floor_env),
    ):
        sessions: dict[str, list[tuple[Client, dict]]] = {}
        for who, username in users.items():
            prefix = username.rstrip("0123456789")
            sessions[who] = []
            for number in range(1, args.concurrency + 1):
                client = Client(args.app_port)
                try:
                    client.log_in(f"{prefix}{number}", args.password)
                except RuntimeError:
                    break  # fewer accounts than users: the sessions are shared
                sessions[who].append((client, ids_of(f"{prefix}{number}")))
            if not sessions[who]:
                raise SystemExit(f"{prefix}1 could not log in: is DATABASE_URL filled by seed_scale?")
        say("servers up, app users logged in")
        floor_clients = []
        for number in range(1, args.concurrency + 1):
            client = Client(args.floor_port)
            client.log_in(f"floor{number}", args.password)
            floor_clients.append((client, {}))

        floor = measure(Page("floor", "floor: bare Django, login required", _get("/")), floor_clients,
                            args.requests, args.seconds, args.concurrency)  # fmt: skip
        results = []
        for page in PAGES:
            result = measure(page, sessions[page.who], args.requests, args.seconds, args.concurrency)
            result.queries = queries.get(page.name)
            results.append(result)
            say(f"{page.name}: {result.rps_n:.0f} req/s, p95 {result.p95_n:.0f} ms")

    note = (
        f"`make bench` on {timezone.localdate().isoformat()}, label {args.label}: gunicorn with {args.workers} sync "
        f"workers, DEBUG off, {os.cpu_count()} cores; {args.requests} requests one at a time, then "
        f"{args.concurrency} users for {args.seconds:.0f} s, per page."
    )
    text = table(results, floor, args.label, note, args.concurrency)
    print(text)
    if args.write:
        write_into(args.write, text, args.label)
    return 1 if any(result.errors for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
