"""Errors a person can act on: every form says what to do, field by field, and lists its errors at the top.

Each form of tests/recovery_program/test_no_500_on_any_input.py is sent empty, as its own user would find it; the
page that answers has no Django generic message ("This field is required."), and its error summary links to
exactly the fields marked in error.
"""

from __future__ import annotations

import datetime
import importlib
import re
import uuid
from html.parser import HTMLParser

import pytest
import time_machine
from django import forms
from django.test import Client

from recovery_program.forms import PlainErrors
from recovery_program.once import FIELD, NOT_MATCHED, OnceKeyField
from tests.recovery_program.test_no_500_on_any_input import (
    FORMS,
    Form,
    _form_fields,
    _user,
    seeded,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.raw_posts]

GENERIC = [
    "This field is required.",
    "Enter a valid",
    "Enter a whole number",
    "Enter a number",
    "Select a valid choice",
    "Ensure this value",
]
# What the page sends back as it gave it: without them the answer is about a stale page, not the fields.
# Forms that certainly have required fields (so that the test above is not passing on pages with no errors).
MAIN = {"coaching:encounter_new", "coaching:concern_new", "patients:enroll", "staff:new", "supervision:rota", "login"}
# Pages with several forms, told apart by the button pressed.
BUTTONS = {"staff:training_kinds": [{"add_kind": ""}, {"add_requirement": ""}]}
# The example date in a message is today's.
NOON = datetime.datetime(2026, 11, 30, 17, 0, tzinfo=datetime.UTC)
KEPT = {FIELD, "version", "next", "encounter", "TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"}


class _Errors(HTMLParser):
    """The links of the page's error summaries, and the fields Django marks in error (`<ul id="id_x_error">`)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.marked: list[str] = []
        self.summaries = 0
        self._depth = 0  # inside a summary: how many <div>s deep

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and "data-error-summary" in attrs:
            self.summaries += 1
            self._depth = 1
        elif tag == "div" and self._depth:
            self._depth += 1
        elif tag == "a" and self._depth and (attrs.get("href") or "").startswith("#"):
            self.links.append(attrs["href"][1:])
        elif tag == "ul" and "errorlist" in (attrs.get("class") or "") and (attrs.get("id") or "").endswith("_error"):
            self.marked.append(attrs["id"].removesuffix("_error"))

    def handle_endtag(self, tag):
        if tag == "div" and self._depth:
            self._depth -= 1


def _empty(values: dict[str, list[str]], options: dict[str, list[str]]) -> dict[str, object]:
    """The form as a browser sends it with nothing typed or chosen: unticked boxes and buttons are left out."""
    data: dict[str, object] = {}
    for name, given in values.items():
        if name in options and "" not in options[name]:
            continue
        if name.endswith(FIELD):
            data[name] = str(uuid.uuid4())
        elif name.split("-")[-1] in KEPT:
            data[name] = given
        else:
            data[name] = ""
    return data


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize("form", [pytest.param(form, id=f"{form.url}-{form.who}") for form in FORMS])
def test_an_empty_form_says_what_to_do_and_its_summary_links_to_each_field_in_error(form: Form, db):
    client = Client()
    if form.who:
        client.force_login(_user(form.who))
    action, values, options = _form_fields(client, form)
    for headers in ({}, {"HX-Request": "true"}):
        for button in BUTTONS.get(form.url, [{}]):
            response = client.post(action, _empty(values, options) | button, headers=headers)
            if response.status_code != 200:
                continue  # saved, or refused before any field was read
            html = response.content.decode()
            for generic in GENERIC:
                assert generic not in html, f"{action}: {generic}"
            page = _Errors()
            page.feed(html)
            assert page.marked or form.url not in MAIN, f"{action}: sent empty, but nothing is marked"
            if page.marked:
                assert page.summaries, f"{action}: fields in error but no error summary"
            linked = [re.sub(r"_0$", "", link) if link not in page.marked else link for link in page.links]
            assert sorted(set(linked)) == sorted(set(page.marked)), action
            for link in page.links:
                assert f'id="{link}"' in html, f"{action}: the summary links to #{link}, which is not on the page"


@pytest.mark.usefixtures("seeded")
def test_an_empty_encounter_says_to_pick_who_was_there_and_what_happened(db):
    client = Client()
    client.force_login(_user("coach1"))
    form = next(form for form in FORMS if form.url == "coaching:encounter_new")
    action, values, options = _form_fields(client, form)
    html = client.post(action, _empty(values, options), headers={"HX-Request": "true"}).content.decode()
    assert "There is a problem" in html
    for message in ("Pick at least one person who was there.", "Write what happened.", "Choose what you did."):
        assert html.count(message) == 2, message  # in the summary, and next to the field


def _form_classes() -> list[type[forms.BaseForm]]:
    for module in ("coaching.forms", "patients.forms", "referrals.forms", "staff.forms", "supervision.forms"):
        importlib.import_module(module)
    importlib.import_module("staff.views.two_step")
    importlib.import_module("staff.views.program")
    found: list[type[forms.BaseForm]] = []
    pending: list[type[forms.BaseForm]] = [forms.BaseForm]
    while pending:
        klass = pending.pop()
        for sub in klass.__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] in {
                "coaching",
                "patients",
                "referrals",
                "staff",
                "supervision",
                "workspace",
            }:
                found.append(sub)
    return found


def test_every_form_of_the_program_gives_plain_messages():
    # A form without PlainErrors would say "This field is required." again.
    assert _form_classes()
    assert [klass.__qualname__ for klass in _form_classes() if not issubclass(klass, PlainErrors)] == []


@pytest.mark.parametrize(
    ("field", "message"),
    [
        (forms.CharField(label="Phone"), "Fill in “Phone”."),
        (forms.ChoiceField(label="Category", choices=[("a", "A")]), "Choose one for “Category”."),
        (forms.MultipleChoiceField(label="Days", choices=[("a", "A")]), "Pick at least one for “Days”."),
        (forms.DateField(label="Since"), "Type a date in “Since”, like 11/30/2026."),
        (forms.TimeField(label="Start time"), "Type a time in “Start time”, like 2:30 PM."),
        (forms.IntegerField(label="Minutes"), "Type a whole number in “Minutes”."),
        (forms.CharField(label="Why?", error_messages={"required": "Say why."}), "Say why."),
        # Our own fields' messages are kept too.
        (OnceKeyField(), NOT_MATCHED),
    ],
)
@time_machine.travel(NOON, tick=False)
def test_an_empty_field_is_named_in_what_to_do(field, message):
    class OneField(PlainErrors, forms.Form):
        pass

    form = OneField(data={})
    form.fields["x"] = field
    assert form.errors["x"] == [message]


@time_machine.travel(NOON, tick=False)
def test_a_wrong_value_says_what_is_expected():
    class Numbers(PlainErrors, forms.Form):
        minutes = forms.IntegerField(label="Length (minutes)", max_value=720)
        day = forms.DateField(label="Date")

    form = Numbers(data={"minutes": "800", "day": "tomorrow"})
    assert form.errors == {
        "minutes": ["Type a number no larger than 720 in “Length (minutes)”."],
        "day": ["Type a date in “Date”, like 11/30/2026."],
    }
