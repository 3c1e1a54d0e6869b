"""Sharing a concern pages supervisors through the pager that supervision hands to coaching at start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from coaching import services
from coaching.models import Concern, Urgency
from tests.factories import share_concern

pytestmark = pytest.mark.django_db


def test_with_no_pager_handed_in_a_concern_is_refused_and_nothing_is_kept(monkeypatch, coach, patient):
    # Never an urgent concern that pages nobody: without a pager, nothing is shared.
    monkeypatch.setattr(services, "_pager", None)
    with pytest.raises(ImproperlyConfigured):
        share_concern(coach, patient, urgency=Urgency.URGENT_NOW)
    assert not Concern.objects.exists()
