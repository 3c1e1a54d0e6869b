"""A coach, a supervisor and an admin who chose Spanish read every page she opens in Spanish, and so does every
e-mail and text the app sends her.

The static check (tests/i18n_lint.py) finds text nobody marked; this finds text marked but still shown in English:
a `gettext` run once at import instead of for each reader, a label copied at import, words built in Python around
translated pieces. On the demo program (`seed_demo`, every block of every page filled), with everyone's language
set to Spanish, each role starts at her home page and follows every link, htmx address and filter she is offered
(a few pages of each kind), reads each page's text (text, the attributes read aloud or shown, <option>s, the JSON
the scripts read, the cells of CSV and XLSX downloads), then posts each form she is offered twice, as the page
fills it and empty (each post rolled back), and reads the page she lands on and the e-mails and texts it sent.

What counts as English: a text of the Spanish catalogue whose translation differs from it (its fixed parts, around
its %(placeholders)s), found on the page; a text of one word only when it is a whole piece of text by itself (a
button, a cell); and English names of days and months. Demo data (names, notes typed in English) is left out.
"""

from __future__ import annotations

import csv
import datetime
import functools
import html
import importlib
import io
import json
import pkgutil
import re
import zipfile
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import polib
import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import models, transaction
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve, reverse
from django.utils import translation

from recovery_program import outbox
from recovery_program.models import OutboundMessage, Outgoing
from staff.models import User
from supervision import paging
from supervision.models import Page

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"
# A Tuesday afternoon in the program's time zone: the demo's week, dates and reminders are the same every run.
INSTANT = datetime.datetime(2026, 3, 10, 15, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=-4)))
APPS = ("recovery_program", "staff", "patients", "coaching", "supervision", "referrals", "workspace")
ROLES = ("coach1", "supervisor1", "admin1")
# Pages of one kind (a view, and which filters are set) read per role: the second is another record.
PER_KIND = 2

# Read by nobody (machines), or leaving the page: never followed.
NOT_READ = {"logout", "set_language", "healthz", "healthz_web", "sms_receipt", "admin_login", "service_worker"}
# Posted by the sweep never: they end her session or change her language for the rest of it.
NOT_POSTED = {"logout", "set_language", "account", "staff:deactivate", "password_change", "two_step_setup"}

# English that is meant to be there, with the reason.
MEANT = {
    # 42 CFR 2.32: the notice goes in Spanish first, then whole in the rule's own English (referrals/notice.py).
    "referrals:referral_summary": {"*42 CFR"},
    "referrals:accounting": {"*42 CFR"},
}


# --- The catalogue: what English looks like ----------------------------------------------------------------------

GAP = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]+\}|<[^>]*>")
WORD = re.compile(r"[A-Za-z]{2,}")
EDGE = r"(?<![A-Za-zÀ-ÿ])"
EDGE_AFTER = r"(?![A-Za-zÀ-ÿ])"


def _plain(text: str) -> str:
    return " ".join(html.unescape(text).split())


@dataclass(frozen=True)
class English:
    msgid: str
    pattern: re.Pattern | None  # found anywhere in the page's text
    whole: str | None  # one word: found only as a whole piece of text
    key: str = ""  # its longest word, looked for first (much faster than the pattern)


def _english_of(msgid: str) -> English | None:
    text = _plain(msgid.replace("%%", "%"))
    pieces = GAP.split(text)
    fixed = " ".join(piece.strip() for piece in pieces if piece.strip())
    words = WORD.findall(fixed)
    if not words:
        return None
    if len(pieces) == 1 and len(words) == 1 and fixed == words[0]:
        return English(msgid, None, fixed) if len(fixed) >= 3 else None
    if len(words) < 2:
        return None  # "%(n)s min": too little of it is fixed to tell
    parts = []
    for piece in pieces:
        if piece.strip():
            parts.append(r"\s+".join(re.escape(word) for word in piece.split()))
    gap = r"\s*.{0,80}?\s*"
    pattern = gap.join(parts)
    if re.match(r"[A-Za-z]", fixed):
        pattern = EDGE + pattern
    if re.search(r"[A-Za-z]$", fixed):
        pattern += EDGE_AFTER
    return English(msgid, re.compile(pattern), None, max(words, key=len))


@functools.cache
def _catalogue() -> list[English]:
    entries = [entry for entry in polib.pofile(str(CATALOGUE)) if entry.translated()]
    spanish = " | ".join(
        _plain(text) for entry in entries for text in [entry.msgstr, *entry.msgstr_plural.values()] if text
    )
    found = []
    for entry in entries:
        translations = {_plain(text) for text in [entry.msgstr, *entry.msgstr_plural.values()] if text}
        for msgid in filter(None, [entry.msgid, entry.msgid_plural]):
            english = _english_of(msgid)
            if english is None or _plain(msgid) in translations:
                continue
            # The same in both languages (a name, an acronym, a word Spanish borrows): not a sign of English.
            if english.pattern and english.pattern.search(spanish):
                continue
            if english.whole and re.search(EDGE + re.escape(english.whole) + EDGE_AFTER, spanish):
                continue
            found.append(english)
    return found


DAYS_AND_MONTHS = re.compile(
    EDGE + r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|June|July|"
    r"August|September|October|November|December|Jan\.|Apr\.|Aug\.|Sept\.|Dec\.)" + EDGE_AFTER
)


# --- Reading a page ----------------------------------------------------------------------------------------------

READ_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "data-label", "aria-description", "hx-confirm"}


@dataclass
class Form:
    action: str
    method: str
    values: dict[str, list[str]] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)


class _Page(HTMLParser):
    """What a person reads on an HTML page, and where it leads: links, htmx addresses, forms."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._hidden = 0  # inside <script> or <style>
        self._json: list[str] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag in {"script", "style"}:
            if attrs.get("type") == "application/json":
                self._json = []
            else:
                self._hidden += 1
            return
        for name in READ_ATTRIBUTES & set(attrs):
            self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button", "reset"} and attrs.get("value"):
            self.texts.append(attrs["value"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("hx-get"):
            self.links.append(attrs["hx-get"])
        if tag == "form":
            self.forms.append(Form(attrs.get("action", ""), (attrs.get("method") or "get").lower()))
        elif self.forms:
            self._field(tag, attrs)

    def _field(self, tag, attrs):
        form, name = self.forms[-1], attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file"}:
            form.values.setdefault(name, [])
            if attrs.get("type") not in {"checkbox", "radio"} or "checked" in attrs:
                form.values[name].append(attrs.get("value", ""))
            if attrs.get("type") in {"checkbox", "radio"}:
                form.options.setdefault(name, []).append(attrs.get("value") or "on")
        elif tag == "button" and name and attrs.get("value"):
            form.values.setdefault(name, [attrs["value"]])
        elif tag == "select" and name:
            form.values.setdefault(name, [])
            form.options.setdefault(name, [])
            self._select = name
        elif tag == "option" and self._select:
            form.options[self._select].append(attrs.get("value", ""))
            if "selected" in attrs:
                form.values[self._select].append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            form.values[name] = [""]
            self._textarea = name

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            if self._json is not None:
                self.texts.extend(_strings_in(json.loads("".join(self._json) or "null")))
                self._json = None
            else:
                self._hidden = max(0, self._hidden - 1)
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._json is not None:
            self._json.append(data)
        elif not self._hidden:
            self.texts.append(data)
            if self._textarea and self.forms:
                self.forms[-1].values[self._textarea] = [data.strip("\n")]


def _strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings_in(item)]
    return []


def _read(response) -> tuple[list[str], _Page | None]:
    """The pieces of text a person reads in the answer, and the page (for its links and forms) if it is one."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    kind = response.get("Content-Type", "").split(";")[0]
    if kind == "text/html":
        page = _Page()
        page.feed(body.decode())
        return page.texts, page
    if kind == "text/csv":
        return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row], None
    if kind == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            xml = " ".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
        cells = re.findall(r"<t(?: [^>]*)?>([^<]*)</t>", xml) + re.findall(r'<sheet name="([^"]*)"', xml)
        return [html.unescape(cell) for cell in cells], None
    if kind == "application/json":
        return _strings_in(json.loads(body or b"null")), None
    return [], None


# --- Demo data: what people typed is not the app's English -------------------------------------------------------


def _typed_in_the_demo() -> set[str]:
    """Every text the demo stored (names, notes, places...), except the codes of choices."""
    typed = set()
    for model in apps.get_models():
        # Not recovery_program's: the access log's kinds of record are the app's own words.
        if model._meta.app_label not in {"staff", "patients", "coaching", "supervision", "referrals"}:
            continue
        names = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.choices
        ]
        if names:
            for row in model._default_manager.values_list(*names):
                typed.update(_plain(value) for value in row if isinstance(value, str) and value.strip())
    return typed


# --- The sweep ---------------------------------------------------------------------------------------------------


@dataclass
class Found:
    english: dict[str, set[str]] = field(default_factory=dict)  # where -> the English found there
    read: Counter = field(default_factory=Counter)  # view name -> pages read

    def check(self, where: str, view: str, texts: list[str], catalogue: list[English], typed: set[str]):
        self.read[view] += 1
        pieces = [piece for piece in map(_plain, texts) if piece and piece not in typed]
        leaks = _english_in(pieces, catalogue)
        if leaks:
            # Typed in the demo, inside a longer text ("Harbor Family Resource Center"): not the app's words.
            joined = " ".join(pieces)
            for value in sorted((value for value in typed if len(value) > 3 and value in joined), key=len)[::-1]:
                joined = joined.replace(value, " ¦ ")
            leaks = _english_in(joined.split(" ¦ "), [english for english in catalogue if english.msgid in leaks])
            leaks |= {match.group(0) for match in DAYS_AND_MONTHS.finditer(joined)}
        meant = MEANT.get(view, set())
        leaks = {leak for leak in leaks if not any(leak.startswith(m[1:]) if m[0] == "*" else leak == m for m in meant)}
        if leaks:
            self.english.setdefault(where, set()).update(leaks)


def _english_in(pieces: list[str], catalogue: list[English]) -> set[str]:
    whole = set(pieces)
    joined = " ".join(pieces)
    leaks = set()
    for english in catalogue:
        if english.whole:
            if english.whole in whole:
                leaks.add(english.msgid)
        elif english.key in joined and english.pattern.search(joined):
            leaks.add(english.msgid)
    return leaks | {match.group(0) for match in DAYS_AND_MONTHS.finditer(joined)}


def _view_of(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def _local(link: str, here: str) -> str | None:
    parts = urlsplit(html.unescape(link))
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(settings.STATIC_URL):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _kind(path: str, view: str) -> tuple[str, frozenset[str]]:
    query = urlsplit(path).query
    return view, frozenset(part.split("=")[0] for part in query.split("&") if "=" in part and part.split("=")[1])


def _get_forms(form: Form, here: str) -> list[str]:
    """The filter form as the page fills it, and once with each other choice of each of its lists."""
    action = form.action or urlsplit(here).path
    base = {name: values[0] for name, values in form.values.items() if values}
    variants = [base]
    for name, options in form.options.items():
        variants += [base | {name: option} for option in options if option and option != base.get(name)]
    return [f"{action}?{urlencode({k: v for k, v in variant.items() if v})}" for variant in variants]


def _deeper_pages() -> list[str]:
    """Pages a few links deep, which the pages of each kind read first may not lead to: where she starts too."""
    from coaching.models import RecoveryGoal
    from referrals.models import CPSReport

    coach = User.objects.get(username="coach1")
    goal = RecoveryGoal.objects.order_by("pk").first()
    report = CPSReport.objects.order_by("pk").first()
    page = Page.objects.order_by("pk").first()
    return [
        reverse("coaching:coach_week", args=[coach.pk]),
        reverse("staff:my_training"),
        *([reverse("coaching:recovery_plan_history", args=[goal.patient_id])] if goal else []),
        *([reverse("referrals:cps_report_detail", args=[report.pk])] if report else []),
        *([reverse("supervision:page", args=[page.pk])] if page else []),
    ]


def _sweep(client: Client, role: str, catalogue, typed, found: Found, sent: list) -> None:
    queue = deque([reverse("home"), *_deeper_pages()])
    seen, kinds, posted = set(), Counter(), set()
    pages: list[tuple[str, _Page]] = []
    while queue:
        path = queue.popleft()
        view = _view_of(path)
        if path in seen or view is None or view in NOT_READ:
            continue
        seen.add(path)
        kind = _kind(path, view)
        if kinds[kind] >= PER_KIND:
            continue
        kinds[kind] += 1
        response = client.get(path)
        if response.status_code != 200:
            continue
        texts, page = _read(response)
        found.check(f"{role} GET {path} ({view})", view, texts, catalogue, typed)
        if page is None:
            continue
        pages.append((path, page))
        for link in page.links:
            if (local := _local(link, path)) is not None:
                queue.append(local)
        for form in page.forms:
            if form.method == "get":
                queue.extend(_get_forms(form, path))
    # Every form she is offered, posted as the page fills it and empty; each post is rolled back.
    for here, page in pages:
        for form in page.forms:
            action = _local(form.action, here) if form.action else here
            view = action and _view_of(action)
            if form.method != "post" or not view or view in NOT_POSTED or view in posted:
                continue
            posted.add(view)
            values = {name: value[0] if len(value) == 1 else value for name, value in form.values.items() if value}
            for data in (values, {"csrfmiddlewaretoken": values.get("csrfmiddlewaretoken", "")}):
                _post(client, role, action, view, data, catalogue, typed, found, sent)


class _RolledBack(Exception):
    pass


def _post(client, role, action, view, data, catalogue, typed, found, sent):
    cookies = SimpleCookie(client.cookies.output(header="", sep="\n"))
    mail.outbox.clear()
    try:
        with transaction.atomic():
            response = client.post(action, data, follow=True)
            if response.status_code == 200:
                where = f"{role} POST {action} ({view}, {'filled' if len(data) > 1 else 'empty'})"
                texts, _page = _read(response)
                found.check(f"{where} -> {response.request['PATH_INFO']}", view, texts, catalogue, typed)
            for message_id in Outgoing.objects.filter(status=Outgoing.Status.PENDING).values_list("pk", flat=True):
                outbox.deliver(message_id)
            for page_id in Page.objects.filter(status=Page.Status.PENDING).values_list("pk", flat=True):
                paging.deliver(page_id)
            for message in mail.outbox:
                sent.append((f"e-mail after {role} posted {view}", message.to, [message.subject, message.body]))
            for text in OutboundMessage.objects.all():
                sent.append((f"{text.channel} after {role} posted {view}", [text.to], [text.subject, text.body]))
            raise _RolledBack
    except _RolledBack:
        pass
    client.cookies = cookies


def _import_everything_in_english() -> None:
    """Every module of the app, imported while English is active, as when the server's first request is an English
    reader's: a text translated once at import would then stay English for everyone (and the sweep would see it)."""
    get_resolver().url_patterns  # noqa: B018 (imports every view)
    with translation.override("en"):
        for app in APPS:
            package = importlib.import_module(app)
            for module in pkgutil.walk_packages(package.__path__, f"{app}."):
                if not {"migrations", "wsgi", "asgi"} & set(module.name.split(".")):
                    importlib.import_module(module.name)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo program, everyone reading Spanish, once for the module (each test rolls back to it)."""
    _import_everything_in_english()
    with django_db_blocker.unblock(), time_machine.travel(INSTANT, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
            User.objects.update(language="es")
            OutboundMessage.objects.all().delete()
            yield _typed_in_the_demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def quiet_texts(settings):
    settings.SMS_BACKEND = "recovery_program.messaging.OutboxSMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _report(found: dict[str, set[str]]) -> str:
    return "\n".join(f"{where}: {sorted(english)}" for where, english in sorted(found.items()))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_she_opens_reads_in_spanish(demo, quiet_texts, role):
    catalogue, found, sent = _catalogue(), Found(), []
    client = Client()
    with time_machine.travel(INSTANT, tick=False):
        # Logged in at the sweep's instant: a session begun at the suite's own instant (--clock) may have ended by it.
        client.force_login(User.objects.get(username=role))
        _sweep(client, role, catalogue, demo, found, sent)
        # The error pages: a record that is not there, and a page that is not hers.
        for path in ["/patients/987654321/", "/nowhere/", reverse("staff:list"), reverse("supervision:queues")]:
            response = client.get(path)
            if response.status_code in {403, 404}:
                found.check(f"{role} GET {path} ({response.status_code})", "error", _read(response)[0], catalogue, demo)
        for where, to, texts in {(where, tuple(to), tuple(texts)): None for where, to, texts in sent}:
            found.check(f"{where} to {list(to)}", "message", list(texts), catalogue, demo)

    assert sum(found.read.values()) > 40
    assert found.english == {}, "English on a Spanish reader's page:\n" + _report(found.english)


def test_the_pages_before_logging_in_read_in_spanish(demo, client):
    catalogue, found = _catalogue(), Found()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    for name in ["login", "password_ask", "password_reset_complete"]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        found.check(f"GET {reverse(name)} ({name})", name, _read(response)[0], catalogue, demo)
    assert found.english == {}, "English on a Spanish reader's page:\n" + _report(found.english)


def test_the_notices_sent_on_a_schedule_read_in_spanish(demo, quiet_texts):
    """The Monday notice of a missed supervision session and the training reminders (no form sends them)."""
    from supervision.tasks import notify_missed_sessions
    from workspace.tasks import send_training_reminders

    catalogue, found = _catalogue(), Found()
    mail.outbox.clear()
    monday = INSTANT + datetime.timedelta(days=6, hours=-6)  # the next Monday, 9:30 in the morning
    with time_machine.travel(monday, tick=False):
        notify_missed_sessions()
        send_training_reminders()
        kinds = set(Outgoing.objects.filter(status=Outgoing.Status.PENDING).values_list("kind", flat=True))
        for message_id in Outgoing.objects.filter(status=Outgoing.Status.PENDING).values_list("pk", flat=True):
            outbox.deliver(message_id)
    for message in mail.outbox:
        found.check(
            f"e-mail {message.subject!r} to {message.to}", "message", [message.subject, message.body], catalogue, demo
        )

    assert mail.outbox, "nothing was sent"
    assert found.english == {}, "English in an e-mail to a Spanish reader:\n" + _report(found.english) + f"\n{kinds}"
