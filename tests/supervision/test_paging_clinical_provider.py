"""During office hours an urgent concern pages the woman's clinical provider first; outside them nothing changes.

Office hours are 9 to 5, Monday to Friday, in New York (the program's defaults). The boundary is tested on both
sides, on the first weekdays after each change of the clocks (when 09:00 is another hour in UTC than the week
before), and at the instants of the change themselves with office hours that straddle them."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from recovery_program.audit import Actor
from staff.roles import Role
from supervision import paging
from supervision.models import Page, PageStep, Unavailability
from tests.factories import UserFactory, share_concern
from tests.supervision.conftest import OFFICE_HOURS
from workspace.services import staff_deactivate

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def clinician(program):
    return UserFactory(username="clin_a", first_name="Noor", last_name="Ashdown", program=program, role=Role.SUPERVISOR)


@pytest.fixture
def her_patient(patient, clinician):
    """Roz, on the coach's caseload, with the clinician as her clinical provider."""
    type(patient).objects.filter(pk=patient.pk).update(clinical_provider=clinician)
    patient.refresh_from_db()
    return patient


def _urgent(coach, patient, at, capture):
    with time_machine.travel(at, tick=False), capture(execute=True):
        return share_concern(coach, patient, urgency="urgent_now")


def _first(concern):
    """Who was paged first, and at which step (e-mails: one a person)."""
    pages = concern.pages.filter(channel=Page.Channel.EMAIL)
    step = min(page.step for page in pages)
    return step, {page.recipient.username for page in pages if page.step == step}


def test_in_office_hours_her_clinical_provider_is_paged_first_and_her_coachs_supervisor_next(
    coach, her_patient, supervised, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, her_patient, OFFICE_HOURS, django_capture_on_commit_callbacks)
    assert _first(concern) == (PageStep.PROVIDER, {"clin_a"})
    assert not concern.pages.filter(step=PageStep.FIRST).exists()
    minutes = concern.program.escalation_minutes
    with time_machine.travel(OFFICE_HOURS + datetime.timedelta(minutes=minutes), tick=False):
        paging.escalate_due(OFFICE_HOURS + datetime.timedelta(minutes=minutes))
    assert set(concern.pages.filter(step=PageStep.FIRST).values_list("recipient__username", flat=True)) == {"super_a"}


def test_the_on_call_page_says_who_is_paged_after_her_clinical_provider(
    client_for, coach, her_patient, supervised, supervisor, django_capture_on_commit_callbacks, celery_eager
):
    concern = _urgent(coach, her_patient, OFFICE_HOURS, django_capture_on_commit_callbacks)
    with time_machine.travel(OFFICE_HOURS + datetime.timedelta(minutes=1), tick=False):
        page = client_for(supervisor).get(reverse("supervision:on_call", args=[concern.pk])).content.decode()
    assert "the woman&#x27;s clinical provider" in page
    assert "her supervisor or the supervisor on call" in page
    assert "Noor Ashdown" in page


def test_when_she_is_also_the_coachs_supervisor_she_is_paged_once(
    coach, patient, supervised, django_capture_on_commit_callbacks, celery_eager
):
    # Roz's clinical provider is Iris, who supervises the coach: the first step pages her, and no step before it.
    concern = _urgent(coach, patient, OFFICE_HOURS, django_capture_on_commit_callbacks)
    assert _first(concern) == (PageStep.FIRST, {"super_a"})


def test_a_clinical_provider_away_today_is_passed_over(
    coach, her_patient, supervised, clinician, django_capture_on_commit_callbacks, celery_eager
):
    today = OFFICE_HOURS.astimezone(her_patient.program.zone).date()
    Unavailability.objects.create(
        supervisor=clinician, starts_on=today, ends_on=today, reason="leave", created_by=clinician
    )
    concern = _urgent(coach, her_patient, OFFICE_HOURS, django_capture_on_commit_callbacks)
    assert _first(concern) == (PageStep.FIRST, {"super_a"})


def test_a_deactivated_clinical_provider_is_passed_over(
    coach, admin, her_patient, supervised, clinician, django_capture_on_commit_callbacks, celery_eager
):
    staff_deactivate(actor=Actor(admin, None), user=clinician)
    concern = _urgent(coach, her_patient, OFFICE_HOURS, django_capture_on_commit_callbacks)
    assert _first(concern) == (PageStep.FIRST, {"super_a"})


def test_a_woman_without_a_clinical_provider_is_paged_as_before(
    coach, patient, supervised, django_capture_on_commit_callbacks, celery_eager
):
    type(patient).objects.filter(pk=patient.pk).update(clinical_provider=None)
    concern = _urgent(coach, patient, OFFICE_HOURS, django_capture_on_commit_callbacks)
    assert _first(concern) == (PageStep.FIRST, {"super_a"})


# (moment in UTC, what New York's clock says, is it office hours)
BOUNDARY = [
    (datetime.datetime(2027, 3, 2, 13, 59, tzinfo=UTC), "Tuesday 08:59 EST", False),
    (datetime.datetime(2027, 3, 2, 14, 0, tzinfo=UTC), "Tuesday 09:00 EST", True),
    (datetime.datetime(2027, 3, 2, 21, 59, tzinfo=UTC), "Tuesday 16:59 EST", True),
    (datetime.datetime(2027, 3, 2, 22, 0, tzinfo=UTC), "Tuesday 17:00 EST", False),
    # The Friday before the clocks go forward, 13:00 UTC is 08:00; the Monday after, it is 09:00.
    (datetime.datetime(2027, 3, 12, 13, 0, tzinfo=UTC), "Friday 08:00 EST", False),
    (datetime.datetime(2027, 3, 15, 12, 59, tzinfo=UTC), "Monday 08:59 EDT", False),
    (datetime.datetime(2027, 3, 15, 13, 0, tzinfo=UTC), "Monday 09:00 EDT", True),
    (datetime.datetime(2027, 3, 15, 20, 59, tzinfo=UTC), "Monday 16:59 EDT", True),
    (datetime.datetime(2027, 3, 15, 21, 0, tzinfo=UTC), "Monday 17:00 EDT", False),
    # The Friday before the clocks go back, 13:00 UTC is 09:00; the Monday after, it is 08:00.
    (datetime.datetime(2027, 11, 5, 13, 0, tzinfo=UTC), "Friday 09:00 EDT", True),
    (datetime.datetime(2027, 11, 8, 13, 59, tzinfo=UTC), "Monday 08:59 EST", False),
    (datetime.datetime(2027, 11, 8, 14, 0, tzinfo=UTC), "Monday 09:00 EST", True),
    (datetime.datetime(2027, 11, 8, 21, 59, tzinfo=UTC), "Monday 16:59 EST", True),
    (datetime.datetime(2027, 11, 8, 22, 0, tzinfo=UTC), "Monday 17:00 EST", False),
]


@pytest.mark.parametrize(("moment", "said", "office_hours"), BOUNDARY, ids=[row[1] for row in BOUNDARY])
def test_her_clinical_provider_is_asked_first_only_inside_office_hours(
    coach, her_patient, supervised, moment, said, office_hours, django_capture_on_commit_callbacks, celery_eager
):
    assert moment.astimezone(her_patient.program.zone).strftime("%A %H:%M %Z") == said
    concern = _urgent(coach, her_patient, moment, django_capture_on_commit_callbacks)
    step, paged = _first(concern)
    if office_hours:
        assert (step, paged) == (PageStep.PROVIDER, {"clin_a"})
    else:
        # As for any woman after hours: nobody is on call in this program, so every supervisor, her included.
        assert step == PageStep.EVERYONE
        assert not concern.pages.filter(step=PageStep.PROVIDER).exists()


# Office hours every day that straddle the changes of the clocks (02:00 in New York on both Sundays).
AT_THE_CHANGE = [
    (datetime.datetime(2027, 3, 14, 6, 59, tzinfo=UTC), "01:59 EST, a minute before the clocks go forward", False),
    (datetime.datetime(2027, 3, 14, 7, 0, tzinfo=UTC), "03:00 EDT, the same minute after", True),
    (datetime.datetime(2027, 11, 7, 5, 29, tzinfo=UTC), "01:29 EDT, the first time", False),
    (datetime.datetime(2027, 11, 7, 5, 30, tzinfo=UTC), "01:30 EDT, the first time", True),
    (datetime.datetime(2027, 11, 7, 6, 29, tzinfo=UTC), "01:29 EST, the second time", False),
    (datetime.datetime(2027, 11, 7, 6, 30, tzinfo=UTC), "01:30 EST, the second time", True),
]


@pytest.mark.parametrize(("moment", "said", "office_hours"), AT_THE_CHANGE, ids=[row[1] for row in AT_THE_CHANGE])
def test_at_the_changes_of_the_clocks_office_hours_follow_the_programs_own_clock(
    coach, her_patient, supervised, moment, said, office_hours, django_capture_on_commit_callbacks, celery_eager
):
    program = her_patient.program
    spring = moment.month == 3
    program.office_days = "0123456"
    program.office_opens = datetime.time(3, 0) if spring else datetime.time(1, 30)
    program.office_closes = datetime.time(12, 0)
    program.save(update_fields=["office_days", "office_opens", "office_closes"])
    assert moment.astimezone(program.zone).strftime("%H:%M %Z") == said.split(",")[0]
    concern = _urgent(coach, her_patient, moment, django_capture_on_commit_callbacks)
    assert concern.pages.filter(step=PageStep.PROVIDER).exists() == office_hours
