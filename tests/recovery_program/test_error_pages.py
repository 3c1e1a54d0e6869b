"""A failure shows a plain page: no traceback, no record, nothing typed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from patients import views as patient_views

pytestmark = pytest.mark.django_db


def test_an_error_shows_no_trace_and_no_clinical_content(client_for, coach, patient, monkeypatch, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False

    def broken(*args, **kwargs):
        raise RuntimeError(f"boom while showing {patient.legal_name}")

    monkeypatch.setattr(patient_views, "render", broken)
    client = client_for(coach)
    client.raise_request_exception = False
    response = client.get(reverse("patients:detail", args=[patient.pk]))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert patient.legal_name not in page
    assert "Traceback" not in page
    assert "RuntimeError" not in page


def test_not_found_is_a_plain_page(client_for, coach):
    page = client_for(coach).get("/no/such/page/").content.decode()
    assert "Not found" in page
    assert "Traceback" not in page
