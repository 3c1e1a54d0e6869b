"""Logging with no signal: the service worker that keeps the coach's two forms, what every other page says to
caches, and log out clearing what the phone kept (the browser side: tests/browser/test_logging_with_no_signal.py)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from staff.models import Program
from workspace import offline

pytestmark = pytest.mark.django_db

LINE = "(555) 010-4477"


def test_the_service_worker_is_served_from_the_root_as_a_script_to_anyone(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    # A phone checks it for a new version each time: never from a cache.
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_service_worker_keeps_only_the_two_forms_and_their_files(client):
    script = client.get("/sw.js").content.decode()
    paths = [reverse("coaching:encounter_new"), reverse("coaching:concern_new")]
    assert f'const FORM_PATHS = ["{paths[0]}", "{paths[1]}"];' in script
    for name in ("css/app.css", "js/forms.js", "js/keep.js", "js/offline.js", "vendor/htmx-2.0.11/htmx.min.js"):
        assert f'"/static/{name}"' in script


def test_the_service_worker_only_answers_get(client):
    assert client.post("/sw.js").status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        lambda patient: reverse("home"),
        lambda patient: reverse("coaching:encounter_list"),
        lambda patient: reverse("coaching:concern_list"),
        lambda patient: reverse("patients:detail", args=[patient.pk]),
        lambda patient: reverse("supervision:reach"),
        # The two forms too: the browser's own cache never keeps them; only the service worker's copy does,
        # removed at log out.
        lambda patient: reverse("coaching:encounter_new"),
        lambda patient: reverse("coaching:concern_new") + f"?patient={patient.pk}",
    ],
    ids=["home", "encounters", "concerns", "patient page", "reach", "encounter form", "concern form"],
)
def test_a_coachs_pages_say_no_store(client_for, coach, patient, url):
    response = client_for(coach).get(url(patient))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_log_out_has_the_browser_remove_what_the_phone_kept(client_for, coach):
    client = client_for(coach)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get(reverse("home")).status_code == 302  # logged out


def test_a_coachs_page_registers_the_worker_and_holds_the_waiting_box_with_the_on_call_line(client_for, coach, program):
    Program.objects.filter(pk=program.pk).update(on_call_line=LINE)
    page = client_for(coach).get(reverse("home")).content.decode()
    assert 'data-offline-worker="/sw.js"' in page
    assert "data-outbox hidden" in page
    assert f'<a href="tel:{LINE}" class="phone">{LINE}</a>' in page


def test_the_forms_are_marked_to_be_kept_and_queued(client_for, coach, patient):
    client = client_for(coach)
    encounter = client.get(reverse("coaching:encounter_new")).content.decode()
    concern = client.get(reverse("coaching:concern_new")).content.decode()
    assert 'data-offline="encounter"' in encounter
    assert 'data-offline="concern" data-offline-urgent="urgent_now"' in concern
    assert "data-offline-queued hidden" in encounter
    assert "data-offline-queued hidden" in concern
    # The service worker gives a kept copy a fresh one-time key by this pattern.
    assert 'name="once_key" value="' in encounter


def test_a_supervisors_page_has_no_worker_and_no_waiting_box(client_for, supervisor):
    page = client_for(supervisor).get(reverse("home")).content.decode()
    assert "data-offline-worker" not in page
    assert "data-outbox" not in page


def test_the_version_reads_the_files_once_per_process_in_production_and_every_time_while_developing(
    client, settings, monkeypatch
):
    looked_up = []
    real_find = finders.find
    monkeypatch.setattr(finders, "find", lambda name, **kw: looked_up.append(name) or real_find(name, **kw))
    offline._files_digest_once.cache_clear()

    settings.DEBUG = False
    first, second = client.get("/sw.js").content, client.get("/sw.js").content
    assert first == second
    assert len(looked_up) == len(offline.OFFLINE_ASSETS)

    settings.DEBUG = True
    client.get("/sw.js")
    client.get("/sw.js")
    assert len(looked_up) == 3 * len(offline.OFFLINE_ASSETS)
