"""The consent she signed can be kept (a PDF or a photo), checked by its content and size as certificates are, in the
private storage, and opened only through a checked view by the supervisors who see her consents, each opening
logged. Her coach does not open it: she reads the summary of what the woman agreed to (decided in
patients.permissions.get_signed_consent_for_user)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from patients.models import Consent
from patients.services import consent_attach_signed_form
from recovery_program.audit import Actor
from recovery_program.models import AccessAction, AccessLog
from tests.factories import ConsentFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n% her signed consent\n"
JPEG = b"\xff\xd8\xff\xe0 a photo of the form"


def _file(content: bytes = PDF, name: str = "consent.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def _consent_fields(**changes) -> dict:
    today = timezone.localdate()
    fields = {
        "scope": "named",
        "recipient": "Harbor Family Resource Center",
        "purpose": "Parenting classes",
        "information_scope": "Attendance only",
        "signed_on": today.isoformat(),
        "expires_on": today.replace(year=today.year + 1).isoformat() if today.month != 2 or today.day != 29 else "",
        "expiry_event": "" if today.month != 2 or today.day != 29 else "discharge",
    }
    return fields | changes


def test_a_supervisor_keeps_the_signed_form_with_the_consent(client_for, supervisor, patient):
    response = client_for(supervisor).post(
        reverse("patients:consent_add", args=[patient.pk]), _consent_fields(signed_form=_file())
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.signed_form.name.endswith(".pdf")
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / consent.signed_form.name
    assert stored.read_bytes() == PDF


def test_a_photo_is_kept_as_what_its_content_is_whatever_it_is_called(client_for, supervisor, patient):
    consent = ConsentFactory(patient=patient)
    url = reverse("patients:consent_signed_form_add", args=[patient.pk, consent.pk])
    response = client_for(supervisor).post(url, {"signed_form": _file(JPEG, "scan.pdf")})
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.signed_form.name.endswith(".jpg")
    assert AccessLog.objects.filter(user=supervisor, action=AccessAction.CHANGE, record_type="consent").exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("consent.pdf", b"<html>not a form</html>"), "not a PDF, PNG or JPEG (its content was checked"),
        (("huge.pdf", PDF + b"0" * (10 * 1024 * 1024)), "the most is 10 MB"),
    ],
    ids=["content", "size"],
)
def test_a_file_that_is_not_a_document_or_too_large_is_refused_next_to_the_field(
    client_for, supervisor, patient, upload, message
):
    consent = ConsentFactory(patient=patient)
    url = reverse("patients:consent_signed_form_add", args=[patient.pk, consent.pk])
    response = client_for(supervisor).post(url, {"signed_form": SimpleUploadedFile(*upload)})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_signed_form_error"' in page
    assert message in page
    consent.refresh_from_db()
    assert not consent.signed_form


def test_the_service_refuses_what_is_not_a_document_whoever_calls_it(supervisor, patient):
    consent = ConsentFactory(patient=patient)
    with pytest.raises(ValidationError) as refused:
        consent_attach_signed_form(actor=Actor(supervisor, None), consent=consent, upload=_file(b"MZ\x90 exe"))
    assert list(refused.value.message_dict) == ["signed_form"]
    consent.refresh_from_db()
    assert not consent.signed_form


@pytest.fixture
def signed(supervisor, patient):
    consent = ConsentFactory(patient=patient)
    return consent_attach_signed_form(actor=Actor(supervisor, None), consent=consent, upload=_file())


def _open(client, consent):
    return client.get(reverse("patients:consent_signed_form", args=[consent.patient_id, consent.pk]))


def test_a_supervisor_opens_it_through_the_checked_view_and_each_opening_is_logged(client_for, supervisor, signed):
    client = client_for(supervisor)
    for _ in range(2):
        response = _open(client, signed)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
    rows = AccessLog.objects.filter(user=supervisor, record_type="signed consent", record_id=str(signed.pk))
    assert rows.count() == 2
    assert set(rows.values_list("patient_id", flat=True)) == {signed.patient_id}


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin", "outside_supervisor"])
def test_nobody_else_opens_it_not_even_her_coach(client_for, request, signed, who):
    response = _open(client_for(request.getfixturevalue(who)), signed)
    assert response.status_code == 404
    assert not AccessLog.objects.filter(record_type="signed consent").exists()


def test_anonymous_visitors_are_sent_to_log_in(client, signed):
    response = _open(client, signed)
    assert response.status_code == 302
    assert response.url.startswith("/login/")


def test_a_consent_without_a_signed_form_has_nothing_to_open(client_for, supervisor, patient):
    assert _open(client_for(supervisor), ConsentFactory(patient=patient)).status_code == 404


def test_it_is_never_at_a_public_address(client_for, supervisor, signed):
    assert signed.signed_form.storage.base_url is None
    name = signed.signed_form.name
    assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).read_bytes() == PDF
    client = client_for(supervisor)  # even to someone who may open it, only the checked view sends it
    for guess in (f"/{name}", f"/media/{name}", f"/static/{name}", f"/private/{name}"):
        assert client.get(guess).status_code == 404, guess


def test_only_supervisors_are_offered_the_upload(client_for, supervisor, coach, patient):
    consent = ConsentFactory(patient=patient)
    add = reverse("patients:consent_signed_form_add", args=[patient.pk, consent.pk])
    assert add in client_for(supervisor).get(reverse("patients:detail", args=[patient.pk])).content.decode()
    client = client_for(coach)
    assert add not in client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert client.get(add).status_code == 404
    assert client.post(add, {"signed_form": _file()}).status_code == 404
    consent.refresh_from_db()
    assert not consent.signed_form
