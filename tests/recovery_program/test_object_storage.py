"""With OBJECT_STORAGE_BUCKET set, certificates and signed consents go to a private bucket, encrypted by the store,
and come back only through the app's checked views, streamed; nothing is kept on the web node's disk. The shared
state every web node needs (sessions, lockout, cache) is in PostgreSQL or Redis, never in one process."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from patients.models import Consent
from recovery_program.storage import PrivateFolderStorage, PrivateObjectStorage, current_private_storage
from staff.models import TrainingKind, TrainingRecord
from staff.services import program_setup
from tests.factories import ConsentFactory
from tests.recovery_program.test_settings import _manage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% her certificate\n" + bytes(range(256)) * 300  # past one chunk of the response
JPEG = b"\xff\xd8\xff\xe0 a photo of the signed form"


def _add_certificate(client, admin, coach) -> TrainingRecord:
    program_setup(program=coach.program)
    kind = TrainingKind.objects.get(program=coach.program, name="CPR and first aid")
    response = client.post(
        reverse("staff:training_add", args=[coach.pk]),
        {
            "kind": kind.pk,
            "completed_on": timezone.localdate().isoformat(),
            "hours": "4",
            "provider": "",
            "certificate": SimpleUploadedFile("cpr.pdf", PDF),
        },
    )
    assert response.status_code == 302
    return TrainingRecord.objects.get()


def test_a_certificate_goes_to_the_bucket_private_and_encrypted_and_never_to_the_disk(
    client_for, admin, coach, object_store
):
    record = _add_certificate(client_for(admin), admin, coach)
    assert object_store.keys() == [record.certificate.name]
    assert record.certificate.name.startswith(f"certificates/{coach.pk}/")
    assert not Path(settings.PRIVATE_MEDIA_ROOT).exists() or not any(Path(settings.PRIVATE_MEDIA_ROOT).rglob("*.*"))
    client = object_store.client()
    head = client.head_object(Bucket=object_store.bucket, Key=record.certificate.name)
    assert head["ServerSideEncryption"] == "AES256"
    grants = client.get_object_acl(Bucket=object_store.bucket, Key=record.certificate.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner's only: no public read


def test_a_certificate_in_the_bucket_is_streamed_through_the_checked_view(
    client_for, admin, coach, other_coach, object_store
):
    record = _add_certificate(client_for(admin), admin, coach)
    url = reverse("staff:certificate", args=[record.pk])
    response = client_for(coach).get(url)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Length"] == str(len(PDF))
    assert b"".join(response.streaming_content) == PDF
    assert "no-store" in response["Cache-Control"]
    assert client_for(other_coach).get(url).status_code == 404


def test_a_signed_consent_goes_to_the_bucket_and_only_her_supervisors_open_it(
    client_for, supervisor, outside_supervisor, patient, object_store
):
    consent = ConsentFactory(patient=patient)
    response = client_for(supervisor).post(
        reverse("patients:consent_signed_form_add", args=[patient.pk, consent.pk]),
        {"signed_form": SimpleUploadedFile("scan.pdf", JPEG)},
    )
    assert response.status_code == 302
    consent = Consent.objects.get(pk=consent.pk)
    assert object_store.keys() == [consent.signed_form.name]
    url = reverse("patients:consent_signed_form", args=[patient.pk, consent.pk])
    assert b"".join(client_for(supervisor).get(url).streaming_content) == JPEG
    assert client_for(outside_supervisor).get(url).status_code == 404


def test_a_private_file_has_no_address_to_hand_out(client_for, admin, coach, object_store):
    record = _add_certificate(client_for(admin), admin, coach)
    with pytest.raises(ValueError, match="no address"):
        record.certificate.url  # noqa: B018 (reading it is the test)


def test_a_file_missing_from_the_bucket_is_a_404_not_a_500(client_for, admin, coach, object_store):
    record = _add_certificate(client_for(admin), admin, coach)
    object_store.client().delete_object(Bucket=object_store.bucket, Key=record.certificate.name)
    assert client_for(coach).get(reverse("staff:certificate", args=[record.pk])).status_code == 404


def test_the_folder_is_used_unless_a_bucket_is_named(settings, object_store):
    assert isinstance(current_private_storage(), PrivateObjectStorage)
    settings.OBJECT_STORAGE_BUCKET = ""
    assert isinstance(current_private_storage(), PrivateFolderStorage)


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"OBJECT_STORAGE_BUCKET": "files", "OBJECT_STORAGE_ENCRYPTION": "none"}, "OBJECT_STORAGE_ENCRYPTION"),
        ({"OBJECT_STORAGE_BUCKET": "files", "OBJECT_STORAGE_ACCESS_KEY_ID": "key"}, "go together"),
        ({"OBJECT_STORAGE_URL": "http://minio:9000"}, "name the bucket"),
    ],
)
def test_object_storage_settings_that_do_not_hold_together_stop_start_up(environment, message):
    finished = _manage("check", DEBUG="true", **environment)
    assert finished.returncode != 0
    assert message in finished.stderr
    assert ImproperlyConfigured.__name__ in finished.stderr


def test_sessions_lockout_and_cache_are_shared_by_every_web_node():
    # Sessions in PostgreSQL (staff.sessions), the lockout's counts too (django-axes' database handler).
    assert settings.SESSION_ENGINE == "staff.sessions"
    from staff.sessions import SessionStore

    assert SessionStore.__mro__[1].__module__ == "django.contrib.sessions.backends.db"
    from axes.handlers.database import AxesDatabaseHandler

    from staff.lockout import AccountAndAddressHandler

    assert issubclass(AccountAndAddressHandler, AxesDatabaseHandler)
    # The cache, unused today, is Redis wherever there is one (REDIS_URL), never one process's memory.
    if settings.REDIS_URL:
        assert caches["default"].__class__.__name__ == "RedisCache"
