"""Every form that creates a record carries a one-time key, and the same key sent twice saves once.

Each form of the no-500 table (`FORMS`) is either in CREATES (its view is wrapped in `@creates_once` and its page
shows the key) or in NOT_CREATING with the reason; a new form in neither fails `test_every_form_is_classified`.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from recovery_program.once import FIELD
from tests.recovery_program.test_no_500_on_any_input import (  # noqa: F401 (seeded: the fixture, used by name)
    FORMS,
    Form,
    _form_fields,
    _resolve,
    _row_counts,
    _user,
    seeded,
)

pytestmark = [pytest.mark.django_db, pytest.mark.raw_posts]

CREATES = {
    "patients:enroll",
    "patients:status",
    "patients:assign",
    "patients:consent_add",
    "patients:child_add",
    "patients:told_in_person",  # a disclosure a coach made in person
    "patients:cover",
    "patients:transfer",  # her new coach's assignment
    "staff:discharge_reasons",  # a new reason
    "patients:child_edit",  # the same view and form as child_add
    "patients:child_custody",  # her child's custody record, made once and then changed in place
    "patients:pregnancy_add",
    "patients:pregnancy_edit",  # the same view and form as pregnancy_add
    "patients:reenroll",  # her new episode
    "patients:higher_care",  # a stay in a higher level of care
    "patients:interview_record",  # one of her grant interviews
    "coaching:encounter_new",
    "coaching:encounter_addendum",
    "coaching:concern_new",
    "coaching:barc10_new",
    "coaching:concern_note",
    "coaching:goal_new",
    "coaching:goal_step_new",
    "coaching:resources",
    "coaching:appointment_new",
    "coaching:reminder_new",
    "referrals:referral_new",
    "referrals:referral_status",
    "referrals:cps_report_new",
    "referrals:communication_new",
    "referrals:disclosure_new",
    "referrals:agreement_new",
    "supervision:coach_supervisor",
    "supervision:rota",
    "supervision:cover_add",
    "supervision:away",
    "supervision:agenda_add",
    "supervision:check_in_add",
    "supervision:boundary_question_add",
    "supervision:dual_relationship_add",
    "supervision:session_new",  # with its case reviews and action items
    "supervision:break_glass",
    "staff:new",
    "staff:role",  # a clinical role is a proposal
    "staff:role_propose",
    "staff:training_add",
    "staff:training_kinds",  # kinds and requirements, each form with its own key
}

NOT_CREATING = {
    "exports": "downloads a file; each download is its own, recorded once",
    "account": "sets her language; a second time sets the same",
    "set_language": "sets a cookie; nothing is stored",
    "patients:contact": "changes her record",
    "patients:edit": "changes her record",
    "patients:interview_correct": "changes a recorded interview in place (version-checked)",
    "patients:unassign": "ends the current assignment; a second time finds none and says so",
    "patients:cover_end": "ends the cover early; a second time finds it ended (404)",
    "staff:discharge_reason_edit": "renames, retires or offers again",
    "patients:consent_revoke": "ends a consent; a second time is refused",
    "patients:consent_signed_form_add": "keeps the signed form in place of the last; the history keeps both",
    "patients:discharge": "ends her episode; a second time finds her discharged and says so",
    "patients:higher_care_end": "ends her stay; a second time finds none and says so",
    "coaching:encounter_edit": "changes the encounter",
    "coaching:encounter_error": "marks it entered in error; a second time is refused",
    "coaching:encounter_draft_discard": "removes her draft",
    "coaching:concern_draft_discard": "removes her draft",
    "coaching:concern_acknowledge": "marks it seen once; a second time changes nothing",
    "coaching:concern_close": "closes it; a second time is refused",
    "coaching:draft_save": "keeps one draft per form, replaced each time",
    "coaching:encounter_edit_draft": "keeps one draft per encounter, replaced each time",
    "referrals:draft_save": "keeps one draft per form and patient, replaced each time",
    "supervision:session_draft": "keeps one draft per coach's session form, replaced each time",
    "supervision:session_edit": "changes the session",
    "coaching:resource_edit": "renames or retires",
    "coaching:appointment_close": "cancels it or marks it missed once; a second time is refused",
    "coaching:reminder_close": "closes it once; a second time is refused",
    "coaching:appointment_edit": "changes the appointment to the same a second time",
    "coaching:reminder_edit": "changes the reminder to the same a second time",
    "coaching:safety_plan_edit": "one plan per woman: a second save finds it and changes it to the same",
    "coaching:safety_plan_review": "marks it gone over with her now; a second time says the same",
    "coaching:goal_edit": "changes her goal",
    "coaching:goal_close": "marks it reached or set aside; a second time is refused",
    "coaching:goal_step_mark": "sets the step's state; the same state a second time changes nothing",
    "coaching:barc10_correct": "changes the one she entered to the same answers a second time",
    "referrals:referral_edit": "changes the record",
    "referrals:cps_report_edit": "changes the record",
    "referrals:communication_edit": "changes the record",
    "supervision:page": "acknowledges the concern once",
    "supervision:on_call": "acknowledges the concern once",
    "supervision:action_item_done": "marks it done once",
    "supervision:shift_edit": "changes the shift",
    "supervision:shift_swap": "swaps once: a second time is refused, the primary having changed",
    "supervision:shift_remove": "removes it; a second time finds no such shift on the rota",
    "supervision:cover_remove": "ends it; a second time finds no such cover",
    "supervision:away_remove": "ends them; a second time finds no such days",
    "supervision:page_release": "decides a held page once; a second time finds it no longer held (404)",
    "supervision:break_glass_review": "records the review once; a second time is refused",
    "supervision:boundary_answer": "records the answer; a second replaces it, the history keeps both",
    "supervision:dual_relationship_decide": "records the decision; a second replaces it, the history keeps both",
    "staff:program": "changes the program's settings",
    "staff:edit": "changes her account",
    "staff:reactivate": "a second time finds her active",
    "staff:password_link": "sends a new link; a new link replaces the last",
    "staff:two_step_off": "a second proposal is refused while one is waiting",
    "staff:deactivate": "a second time finds her inactive",
    "staff:training_kind_edit": "changes the kind",
    "staff:requirement_remove": "removes a requirement",
    "login": "logs in",
    "password_ask": "sends at most one link every 10 minutes, whatever is asked",
    "two_step_setup": "sets up her authenticator",
    "password_change": "changes her password",
}


def test_every_form_is_classified():
    urls = {form.url for form in FORMS}
    assert urls - CREATES - set(NOT_CREATING) == set(), "add each new form to CREATES or NOT_CREATING"
    assert CREATES & set(NOT_CREATING) == set()
    assert (CREATES | set(NOT_CREATING)) - urls == set()


def _creating(form: Form) -> bool:
    return getattr(resolve(reverse(form.url, kwargs=_resolve(form.kwargs))).func, "creates_once", False)


@pytest.mark.parametrize("form", FORMS, ids=lambda form: f"{form.url}-{form.who}")
@pytest.mark.usefixtures("seeded")
def test_a_create_view_takes_the_key_and_its_page_shows_it(form):
    assert _creating(form) == (form.url in CREATES), "wrap a create view in @creates_once, and list it in CREATES"
    if form.url not in CREATES:
        return
    client = Client()
    client.force_login(_user(form.who))
    _action, values, _options = _form_fields(client, form)
    assert [name for name in values if name == FIELD or name.endswith(f"-{FIELD}")], "the form shows no key"


# What a person types into an empty field, by the field's name (the page fills in the rest).
TYPED = {
    "date_of_birth": "1995-06-14",
    "due_date": "+60",
    "delivery_date": "",
    "expires_on": "+300",
    "birth_year": "2021",
    "username": "june_new",
    "email": "june.new@example.org",
    "phone": "603-555-0199",
    "hours": "2",
    "minutes": "60",
    "validity_months": "12",
    "certificate": "",
    "naloxone_kits": "1",
    "test_strips": "5",
    "appointment_day": "+1",
    "appointment_time": "10:00",
    "reminder_day": "+1",
    "reminder_time": "09:00",
    # Her recovery plan's dates are from today on.
    "target_on": "+90",
    "due_on": "+7",
    "first_step_due": "+7",
}
# Choices that differ from what the demo already holds, and the button a two-form page needs.
CHOSEN = {
    "coaching:encounter_new": {"started": "30", "date": "", "start_time": ""},
    "staff:role": {"role": "supervisor"},
    "staff:role_propose": {"role": "supervisor"},
    "staff:training_kinds": {"add_kind": "Add"},
    "patients:status": {"status": "disconnected"},
    "patients:higher_care": {"kind": "detox", "expected_return_on": ""},
    "referrals:referral_new": {"legal_basis": "emergency", "consent": ""},
    "referrals:disclosure_new": {"legal_basis": "emergency", "consent": ""},
    "patients:told_in_person": {"legal_basis": "emergency", "consent": ""},
    "patients:child_custody": {"cps": "open", "cps_closed_on": ""},
}

# Forms the demo data cannot take as filled here, each with the test that sends it twice.
FILLED_ELSEWHERE = {
    "patients:cover": "two different coaches and days to come; tests/patients/test_cover.py sends it twice",
    "patients:transfer": "a coach other than her own; tests/patients/test_transfer.py sends it twice",
    "patients:pregnancy_add": "one pregnancy at a time waits for its delivery, and the demo's pregnant women have "
    "theirs; tests/patients/test_family.py sends it twice",
    "patients:pregnancy_edit": "the same view and form as pregnancy_add; the demo's dates are not the form's",
    "supervision:break_glass": "the demo sees everyone; tests/supervision/test_break_glass.py sends it twice",
    "supervision:rota": "a new shift must fit the demo's rota; tests/supervision/test_rota_and_reach.py sends it twice",
    "supervision:cover_add": "a cover must fit its shift; tests/supervision/test_rota_changes.py sends it twice",
    "supervision:away": "its days must be ahead; tests/supervision/test_rota_changes.py sends it twice",
    "referrals:agreement_new": "it needs its signed document; tests/referrals/test_agreements.py sends it twice",
    "patients:interview_record": "a date her window allows; tests/patients/test_grant_interviews.py sends it twice",
}


def _typed(name: str) -> str:
    field = name.rsplit("-", 1)[-1]
    value = TYPED.get(field)
    if value is None and (field.endswith("_on") or field.endswith("_date")):
        value = "-10"
    if value is None:
        return "Talked it through."
    if value[:1] in {"+", "-"}:
        return (timezone.localdate() + datetime.timedelta(days=int(value))).isoformat()
    return value


def _filled(form: Form, values: dict[str, list[str]], options: dict[str, list[str]]) -> dict:
    """The form as the page gives it, with empty choices and text filled in, as a person would."""
    data = {}
    for name, given in values.items():
        chosen = [value for value in given if value]
        if chosen:
            data[name] = chosen if len(chosen) > 1 else chosen[0]
        elif [option for option in options.get(name, []) if option]:
            data[name] = next(option for option in options[name] if option)
        else:
            data[name] = _typed(name)
    return data | CHOSEN.get(form.url, {})


def _target(response) -> str | None:
    if response.status_code in {301, 302, 303}:
        return response["Location"]
    return response.headers.get("HX-Redirect")


@pytest.mark.parametrize(
    "form", [form for form in FORMS if form.url in CREATES - set(FILLED_ELSEWHERE)], ids=lambda form: form.url
)
@pytest.mark.usefixtures("seeded")
def test_a_create_form_sent_twice_saves_once(form):
    client = Client()
    client.force_login(_user(form.who))
    action, values, options = _form_fields(client, form)
    data = _filled(form, values, options)
    first = client.post(action, data)
    target = _target(first)
    assert target is not None, f"{form.url} refused the filled form: add what it needs to TYPED or CHOSEN"
    after_first = _row_counts()
    again = client.post(action, data)
    assert _target(again) == target
    assert _row_counts() == after_first
