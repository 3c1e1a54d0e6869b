"""The program's qualified service organization agreements: kept by supervisors with the signed agreement (a PDF or
an image, checked by its content), which is opened only through a checked view, logged, by the program's
supervisors."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from recovery_program.audit import Actor
from recovery_program.models import AccessLog
from recovery_program.once import FIELD
from referrals.models import ServiceAgreement
from referrals.services import agreement_record

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n a scanned agreement"


def _data(**changes):
    return {
        "organization": "Seacoast Toxicology Lab",
        "services": "Urine drug screens",
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": "",
        "document": SimpleUploadedFile("qsoa.png", PNG),
    } | changes


@pytest.fixture
def agreement(supervisor):
    data = _data()
    document = data.pop("document")
    data["starts_on"] = timezone.localdate()
    data["ends_on"] = None
    return agreement_record(actor=Actor(supervisor, None), fields=data, document=document)


def test_a_supervisor_keeps_an_agreement_with_its_signed_document(client_for, supervisor):
    client = client_for(supervisor)
    response = client.post(reverse("referrals:agreement_new"), _data())
    assert response.status_code == 302
    agreement = ServiceAgreement.objects.get()
    assert agreement.document.name.endswith(".png")
    page = client.get(reverse("referrals:agreements")).content.decode()
    assert "Seacoast Toxicology Lab" in page
    assert reverse("referrals:agreement_document", args=[agreement.pk]) in page


def test_a_document_that_is_not_one_is_refused_next_to_it(client_for, supervisor):
    response = client_for(supervisor).post(
        reverse("referrals:agreement_new"), _data(document=SimpleUploadedFile("x.pdf", b"not a pdf"))
    )
    assert response.status_code == 200
    assert 'id="id_document_error"' in response.content.decode()
    assert not ServiceAgreement.objects.exists()


def test_an_agreement_cannot_end_before_it_starts(client_for, supervisor):
    today = timezone.localdate()
    response = client_for(supervisor).post(
        reverse("referrals:agreement_new"),
        _data(ends_on=(today.replace(day=1) - datetime.timedelta(days=1)).isoformat()),
    )
    assert "It cannot end before it is in force." in response.content.decode()
    assert not ServiceAgreement.objects.exists()


def test_the_document_opens_for_the_programs_supervisors_and_each_opening_is_logged(client_for, supervisor, agreement):
    response = client_for(supervisor).get(reverse("referrals:agreement_document", args=[agreement.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert "no-store" in response["Cache-Control"]
    assert AccessLog.objects.filter(
        user=supervisor, record_type="service agreement", record_id=str(agreement.pk)
    ).exists()


def test_another_programs_supervisor_sees_only_her_own_programs(client_for, outside_supervisor, agreement):
    client = client_for(outside_supervisor)
    page = client.get(reverse("referrals:agreements")).content.decode()
    assert "Seacoast Toxicology Lab" not in page
    assert client.get(reverse("referrals:agreement_document", args=[agreement.pk])).status_code == 404


@pytest.mark.parametrize("who", ["coach", "other_coach", "admin"])
def test_nobody_else_sees_or_keeps_them(client_for, request, agreement, who):
    client = client_for(request.getfixturevalue(who))
    for url in (
        reverse("referrals:agreements"),
        reverse("referrals:agreement_new"),
        reverse("referrals:agreement_document", args=[agreement.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("referrals:agreement_new"), _data(organization="Other Lab")).status_code == 404
    assert ServiceAgreement.objects.count() == 1


@pytest.mark.raw_posts
def test_the_form_sent_twice_keeps_one_agreement(client_for, supervisor):
    client, key = client_for(supervisor), str(uuid.uuid4())
    first = client.post(reverse("referrals:agreement_new"), _data() | {FIELD: key})
    again = client.post(reverse("referrals:agreement_new"), _data() | {FIELD: key})
    assert first.status_code == again.status_code == 302
    assert first.url == again.url
    assert ServiceAgreement.objects.count() == 1


def _keep(user, **fields):
    today = timezone.localdate()
    defaults = {"organization": "Seacoast Toxicology Lab", "services": "Screens", "starts_on": today, "ends_on": None}
    return agreement_record(
        actor=Actor(user, None), fields=defaults | fields, document=SimpleUploadedFile("qsoa.pdf", b"%PDF-1.4")
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"organization": "  "}, "organization"), ({"ends_on": datetime.date(2000, 1, 1)}, "ends_on")],
)
def test_the_service_refuses_an_agreement_without_a_name_or_ending_before_it_starts(supervisor, fields, field):
    with pytest.raises(ValidationError) as refused:
        _keep(supervisor, **fields)
    assert list(refused.value.message_dict) == [field]
    assert not ServiceAgreement.objects.exists()


def test_the_service_refuses_anyone_but_a_supervisor(coach, admin):
    for user in (coach, admin):
        with pytest.raises(ValidationError):
            _keep(user)
    assert not ServiceAgreement.objects.exists()


def test_the_database_refuses_an_agreement_ending_before_it_starts(agreement):
    with pytest.raises(IntegrityError, match="service_agreement_ends_after_it_starts"), transaction.atomic():
        ServiceAgreement.objects.filter(pk=agreement.pk).update(ends_on=datetime.date(2000, 1, 1))
