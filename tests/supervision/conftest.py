from __future__ import annotations

import datetime

import pytest

from recovery_program.audit import Actor
from supervision.services import supervision_assign
from tests.factories import UserFactory

# Tuesday 2027-03-02. Office hours (9 to 5, Monday to Friday) in New York.
OFFICE_HOURS = datetime.datetime(2027, 3, 2, 15, 0, tzinfo=datetime.UTC)  # 10:00 in New York
AFTER_HOURS = datetime.datetime(2027, 3, 3, 3, 0, tzinfo=datetime.UTC)  # 22:00 in New York


@pytest.fixture(autouse=True)
def _outbox_messages(settings):
    settings.SMS_BACKEND = "recovery_program.messaging.OutboxSMSBackend"
    settings.EMAIL_BACKEND = "recovery_program.messaging.OutboxEmailBackend"
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def backup_supervisor(program):
    return UserFactory(
        username="super_b",
        first_name="June",
        last_name="Okafor",
        program=program,
        role="supervisor",
        phone="603-555-0177",
    )


@pytest.fixture
def supervised(admin, coach, supervisor):
    supervision_assign(
        actor=Actor(admin, None), coach=coach, supervisor=supervisor, started_on=datetime.date(2026, 1, 1)
    )
