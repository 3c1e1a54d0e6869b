"""One tap saves once: a create form's one-time key, sent twice, saves once and answers with the first result."""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.db import connection, connections
from django.http import HttpResponse, HttpResponseRedirect
from django.test import Client
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, HttpResponseLocation

from coaching import services as coaching_services
from coaching.forms import ConcernForm
from coaching.models import Concern
from coaching.permissions import patients_for_logging
from recovery_program import once, tasks
from recovery_program.celery import app
from recovery_program.models import Submission
from supervision.models import Page

pytestmark = pytest.mark.django_db

URGENT = {"category": "child_safety", "description": "She left the baby alone.", "urgency": "urgent_now"}


def _share(client, patient, key, **headers):
    data = {"patient": patient.pk, **URGENT}
    if key is not None:
        data[once.FIELD] = str(key)
    return client.post(reverse("coaching:concern_new"), data, headers=headers)


def _email_pages() -> int:
    return Page.objects.filter(channel=Page.Channel.EMAIL).count()


def test_back_then_save_again_shares_the_concern_once_and_shows_the_first(client_for, coach, patient):
    client = client_for(coach)
    key = uuid.uuid4()
    first = _share(client, patient, key)
    again = _share(client, patient, key)  # Back, then Save: the page still holds the same key
    concern = Concern.objects.get()
    assert first.url == again.url == reverse("coaching:concern_detail", args=[concern.pk])
    assert _email_pages() == 1
    shown = client.get(again.url).content.decode()
    assert once.ALREADY_SAVED in shown


def test_an_htmx_repeat_is_sent_to_the_first_result_too(client_for, coach, patient):
    client = client_for(coach)
    key = uuid.uuid4()
    first = _share(client, patient, key, HX_Request="true")
    again = _share(client, patient, key, HX_Request="true")
    concern = Concern.objects.get()
    assert first["HX-Redirect"] == again["HX-Redirect"] == reverse("coaching:concern_detail", args=[concern.pk])


def test_another_users_key_never_answers_with_her_result(client_for, coach, other_coach, patient, other_patient):
    key = uuid.uuid4()
    mine = _share(client_for(coach), patient, key)
    theirs = _share(client_for(other_coach), other_patient, key)
    assert mine.url != theirs.url
    assert set(Concern.objects.values_list("coach", "patient")) == {
        (coach.pk, patient.pk),
        (other_coach.pk, other_patient.pk),
    }


def test_a_refused_submission_gives_the_key_back(client_for, coach, patient):
    client = client_for(coach)
    key = uuid.uuid4()
    refused = client.post(reverse("coaching:concern_new"), {"patient": patient.pk, once.FIELD: str(key)})
    assert refused.status_code == 200
    assert not Concern.objects.exists()
    assert not Submission.objects.exists()
    corrected = _share(client, patient, key)
    assert corrected.url == reverse("coaching:concern_detail", args=[Concern.objects.get().pk])


@pytest.mark.raw_posts
@pytest.mark.parametrize("key", [None, "", "not-a-key", "1\x00", "9" * 40])
def test_a_missing_or_garbled_key_is_a_plain_message_and_a_fresh_key(client_for, coach, patient, key):
    response = _share(client_for(coach), patient, key)
    assert response.status_code == 200
    assert "could not be matched to the page you opened" in response.content.decode()
    assert not Concern.objects.exists()
    assert not Submission.objects.exists()
    fresh = response.context["form"][once.FIELD].value()
    assert uuid.UUID(str(fresh))
    assert response.context["form"]["description"].value() == URGENT["description"]  # her text is still there


def test_the_key_never_reaches_the_forms_cleaned_data(coach, patient):

    form = ConcernForm(
        {"patient": patient.pk, **URGENT, once.FIELD: str(uuid.uuid4())}, patients=patients_for_logging(coach)
    )
    assert form.is_valid(), form.errors
    assert once.FIELD not in form.cleaned_data
    assert once.FIELD not in form.changed_data


@pytest.mark.parametrize(
    ("response", "url"),
    [
        (HttpResponseRedirect("/coaching/concerns/7/"), "/coaching/concerns/7/"),
        (HttpResponseClientRedirect("/coaching/encounters/3/"), "/coaching/encounters/3/"),
        (HttpResponseLocation("/supervision/queue/2/"), "/supervision/queue/2/"),
        (HttpResponse("the form again, with its mistakes"), ""),
    ],
)
def test_what_counts_as_saved_is_where_the_answer_sends_her(response, url):
    assert once._result_url(response) == url


def test_keys_older_than_a_week_are_forgotten_and_a_second_run_does_nothing(coach, frozen_now):
    old = Submission.objects.create(key=uuid.uuid4(), user=coach, created_at=frozen_now - datetime.timedelta(days=8))
    recent = Submission.objects.create(key=uuid.uuid4(), user=coach, created_at=frozen_now - datetime.timedelta(days=6))
    assert tasks.forget_old_submissions() == 1
    assert tasks.forget_old_submissions() == 0
    assert list(Submission.objects.all()) == [recent]
    assert not Submission.objects.filter(pk=old.pk).exists()


def test_forgetting_old_keys_is_scheduled():
    assert app.conf.beat_schedule["forget-old-form-keys"]["task"] == tasks.forget_old_submissions.name


# --- Two requests at the same moment ----------------------------------------------------------------------------


def _a_request_waits_on_a_key() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE %s",
            [f"%{Submission._meta.db_table}%"],
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_two_taps_at_the_same_moment_share_one_concern_and_page_once(coach, patient, monkeypatch):
    """The first request holds its transaction open after sharing; the second, with the same key, must wait on
    the key's unique index until the first commits, then answer with the first concern."""
    shared = threading.Event()
    release = threading.Event()
    real_share = coaching_services.concern_share

    def share_and_hold(**kwargs):
        concern = real_share(**kwargs)
        if threading.current_thread().name == "first":
            shared.set()
            assert release.wait(30)
        return concern

    monkeypatch.setattr(coaching_services, "concern_share", share_and_hold)
    key = uuid.uuid4()
    answers = {}

    def tap(name):
        try:
            client = Client()
            client.force_login(coach)
            answers[name] = _share(client, patient, key)
        finally:
            connections.close_all()

    first = threading.Thread(target=tap, args=("first",), name="first")
    second = threading.Thread(target=tap, args=("second",), name="second")
    first.start()
    assert shared.wait(30)
    second.start()
    # Wait (bounded) until the second request is blocked on the first one's key.
    for _ in range(600):
        if _a_request_waits_on_a_key():
            break
        threading.Event().wait(0.05)
    else:
        release.set()
        pytest.fail("the second request never waited for the first")
    release.set()
    first.join(30)
    second.join(30)

    concern = Concern.objects.get()
    url = reverse("coaching:concern_detail", args=[concern.pk])
    assert answers["first"].url == answers["second"].url == url
    assert _email_pages() == 1
    assert Submission.objects.get().result_url == url
