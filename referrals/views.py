from __future__ import annotations

import datetime
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from coaching.models import Draft
from coaching.views.drafts import draft_answer, draft_initial
from recovery_program.audit import AccessAction, actor_from, log_access
from recovery_program.ids import id_or_none
from recovery_program.once import creates_once
from recovery_program.uploads import document_response
from referrals import permissions, services
from referrals.forms import (
    AgreementForm,
    CommunicationEditForm,
    CommunicationForm,
    CPSReportEditForm,
    CPSReportForm,
    DisclosureForm,
    InPersonDisclosureForm,
    ReferralEditForm,
    ReferralForm,
    ReferralStatusForm,
)
from referrals.models import (
    CPSReport,
    Disclosure,
    PatientCommunication,
    Referral,
    notices,
)

ACCOUNTING_YEARS = 3
RECORDED = {
    CPSReport: gettext_lazy("CPS report recorded."),
    PatientCommunication: gettext_lazy("Patient communication recorded."),
}


# The long forms whose typing is kept as a draft, one per supervisor, form and patient: the address part of
# each form's page, and what the draft is of.
DRAFTS = {
    "referrals": (Draft.Form.REFERRAL, Referral, ReferralForm, "referrals:referral_new"),
    "cps-reports": (Draft.Form.CPS_REPORT, CPSReport, CPSReportForm, "referrals:cps_report_new"),
    "communications": (
        Draft.Form.COMMUNICATION,
        PatientCommunication,
        CommunicationForm,
        "referrals:communication_new",
    ),
    "disclosures": (Draft.Form.DISCLOSURE, Disclosure, DisclosureForm, "referrals:disclosure_new"),
}


@require_POST
def draft_save(request, patient_pk, kind):
    """What she is typing in a new referral, CPS report, note of what she was told or disclosure: her draft."""
    if kind not in DRAFTS:
        raise Http404
    form, model, form_class, page = DRAFTS[kind]
    patient = permissions.get_patient_for_recording(request.user, model, patient_pk)
    return draft_answer(
        request,
        form=form,
        key=str(patient.pk),
        fields=form_class.base_fields,
        page=reverse(page, args=[patient.pk]),
        patients=[patient.pk],
    )


def _draft(request, patient, kind: str, initial: dict) -> tuple[Draft | None, dict, dict]:
    """Her draft of this form for this patient over the form's usual start, and what the page needs to keep it."""
    form, _, form_class, _ = DRAFTS[kind]
    draft, from_draft = draft_initial(request.user, form, form_class, key=str(patient.pk))
    url = reverse("referrals:draft_save", args=[patient.pk, kind])
    return draft, initial | from_draft, {"draft": draft, "draft_url": url}


def _records(user, model, patient):
    return permissions.records_visible_to(user, model).filter(patient=patient)


def patient_actions(request, patient_pk):
    """Everything the clinical staff decided and did for one patient."""
    patient = permissions.get_patient_for_recording(request.user, Referral, patient_pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="clinical actions")
    user = request.user
    return render(
        request,
        "referrals/patient_actions.html",
        {
            "patient": patient,
            "referrals": _records(user, Referral, patient).prefetch_related("concerns"),
            "cps_reports": _records(user, CPSReport, patient).select_related("made_by"),
            "communications": _records(user, PatientCommunication, patient).select_related("told_by"),
            "consents": permissions.current_consents(user, patient),
        },
    )


def _form_kwargs(request, patient):
    return {
        "concerns": permissions.concerns_of(request.user, patient),
        "staff": permissions.clinical_staff_of(request.user),
        "children": permissions.children_of(request.user, patient),
    }


def _initial(request, patient, *, who: str) -> dict:
    initial = {who: request.user.pk, "date": timezone.localdate(), "time": timezone.localtime().strftime("%H:%M")}
    concern = id_or_none(request.GET.get("concern"))
    if concern and permissions.concerns_of(request.user, patient).filter(pk=concern).exists():
        initial["concerns"] = [concern]
    return initial


@require_http_methods(["GET", "POST"])
@creates_once
def referral_new(request, patient_pk):
    patient = permissions.get_patient_for_recording(request.user, Referral, patient_pk)
    consents = permissions.current_consents(request.user, patient)
    usual = _initial(request, patient, who="decided_by") | {
        "made_by": request.user.pk,
        "referred_on": timezone.localdate(),
    }
    _, initial, keeping = _draft(request, patient, "referrals", usual)
    form = ReferralForm(
        request.POST or None, initial=initial, patient=patient, consents=consents, **_form_kwargs(request, patient)
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_record(
                actor=actor_from(request),
                patient=patient,
                fields=form.referral_fields(),
                concerns=form.cleaned_data["concerns"],
                disclosure=form.disclosure_fields(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Referral recorded."))
            return redirect("referrals:referral_detail", pk=referral.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form, "patient": patient, "consents": consents, **keeping},
    )


def referral_detail(request, pk):
    referral = permissions.get_record_for_user(request.user, Referral, pk)
    status_form = ReferralStatusForm(referral=referral) if referral.allowed_next_statuses() else None
    return _render_referral(request, referral, status_form)


def _render_referral(request, referral, status_form):
    log_access(actor_from(request), AccessAction.VIEW, patient=referral.patient, record=referral)
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "patient": referral.patient,
            "status_changes": referral.status_changes.select_related("changed_by"),
            "disclosures": referral.disclosures.select_related("consent"),
            "concerns": referral.concerns.all(),
            "status_form": status_form,
        },
    )


@require_http_methods(["GET", "POST"])
def referral_edit(request, pk):
    referral = permissions.get_record_for_change(request.user, Referral, pk)
    return _edit(request, referral, ReferralEditForm, "referrals:referral_detail")


@require_http_methods(["POST"])
@creates_once
def referral_status(request, pk):
    referral = permissions.get_record_for_change(request.user, Referral, pk)
    form = ReferralStatusForm(request.POST, referral=referral)
    if form.is_valid():
        try:
            services.referral_change_status(actor=actor_from(request), referral=referral, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Status changed."))
            return redirect("referrals:referral_detail", pk=referral.pk)
    return _render_referral(request, referral, form)


def referral_summary(request, pk):
    """The printable summary sent with a referral: what was disclosed, on what basis, and the redisclosure notice."""
    referral = permissions.get_record_for_user(request.user, Referral, pk)
    log_access(actor_from(request), AccessAction.EXPORT, patient=referral.patient, record=referral)
    return render(
        request,
        "referrals/referral_summary.html",
        {
            "referral": referral,
            "patient": referral.patient,
            "disclosures": referral.disclosures.select_related("consent"),
            "printed_at": timezone.now(),
            **notices(),
        },
    )


def _edit(request, record, form_class, detail_url, **extra):
    patient = record.patient
    initial = {}
    for name in ("made_at", "told_at"):
        moment = getattr(record, name, None)
        if moment:
            local = timezone.localtime(moment)
            initial = {"date": local.date(), "time": local.strftime("%H:%M")}
    form = form_class(request.POST or None, instance=record, initial=initial, **_form_kwargs(request, patient), **extra)
    if request.method == "POST" and form.is_valid():
        fields = (
            form.record_fields()
            if hasattr(form, "record_fields")
            else {name: form.cleaned_data[name] for name in form.Meta.fields if name != "concerns"}
        )
        try:
            services.record_update(
                actor=actor_from(request),
                record=record,
                fields=fields,
                concerns=form.cleaned_data.get("concerns"),
                version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Saved. The earlier version is kept in the record's history."))
            return redirect(detail_url, pk=record.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=record)
    return render(
        request,
        "referrals/record_form.html",
        {"form": form, "patient": patient, "record": record, "mandated": isinstance(record, CPSReport)},
    )


def _new(request, patient_pk, model, form_class, service, detail_url, who, kind, **extra):
    patient = permissions.get_patient_for_recording(request.user, model, patient_pk)
    _, initial, keeping = _draft(request, patient, kind, _initial(request, patient, who=who))
    form = form_class(request.POST or None, initial=initial, **_form_kwargs(request, patient), **extra)
    if request.method == "POST" and form.is_valid():
        record = service(
            actor=actor_from(request),
            patient=patient,
            fields=form.record_fields(),
            concerns=form.cleaned_data["concerns"],
        )
        messages.success(request, RECORDED[model])
        return redirect(detail_url, pk=record.pk)
    title = {CPSReport: gettext("Record a CPS report"), PatientCommunication: gettext("Record what she was told")}[
        model
    ]
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(
        request,
        "referrals/record_form.html",
        {"form": form, "patient": patient, "title": title, "mandated": model is CPSReport, **keeping},
    )


@require_http_methods(["GET", "POST"])
@creates_once
def cps_report_new(request, patient_pk):
    return _new(
        request,
        patient_pk,
        CPSReport,
        CPSReportForm,
        services.cps_report_record,
        "referrals:cps_report_detail",
        "made_by",
        "cps-reports",
    )


@require_http_methods(["GET", "POST"])
def cps_report_edit(request, pk):
    report = permissions.get_record_for_change(request.user, CPSReport, pk)
    return _edit(request, report, CPSReportEditForm, "referrals:cps_report_detail")


def cps_report_detail(request, pk):
    report = permissions.get_record_for_user(request.user, CPSReport, pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=report.patient, record=report)
    return render(
        request,
        "referrals/cps_report_detail.html",
        {
            "report": report,
            "patient": report.patient,
            "concerns": report.concerns.all(),
            "children": permissions.children_of(request.user, report.patient).filter(cps_reports=report),
        },
    )


def _patient_referrals(request, patient):
    return _records(request.user, Referral, patient)


@require_http_methods(["GET", "POST"])
@creates_once
def communication_new(request, patient_pk):
    patient = permissions.get_patient_for_recording(request.user, PatientCommunication, patient_pk)
    return _new(
        request,
        patient_pk,
        PatientCommunication,
        CommunicationForm,
        services.communication_record,
        "referrals:communication_detail",
        "told_by",
        "communications",
        referrals=_patient_referrals(request, patient),
    )


@require_http_methods(["GET", "POST"])
def communication_edit(request, pk):
    communication = permissions.get_record_for_change(request.user, PatientCommunication, pk)
    return _edit(
        request,
        communication,
        CommunicationEditForm,
        "referrals:communication_detail",
        referrals=_patient_referrals(request, communication.patient),
    )


def communication_detail(request, pk):
    communication = permissions.get_record_for_user(request.user, PatientCommunication, pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=communication.patient, record=communication)
    return render(
        request,
        "referrals/communication_detail.html",
        {"communication": communication, "patient": communication.patient, "concerns": communication.concerns.all()},
    )


def accounting(request, patient_pk):
    """Her accounting of disclosures: every disclosure of the last three years, to print when she asks."""
    patient = permissions.get_patient_for_recording(request.user, Disclosure, patient_pk)
    since = timezone.localdate() - datetime.timedelta(days=365 * ACCOUNTING_YEARS + 1)
    disclosures = (
        _records(request.user, Disclosure, patient)
        .filter(disclosed_on__gte=since)
        .select_related("disclosed_by", "consent", "agreement")
    )
    log_access(actor_from(request), AccessAction.EXPORT, patient=patient, record_type="accounting of disclosures")
    return render(
        request,
        "referrals/accounting.html",
        {"patient": patient, "disclosures": disclosures, "since": since, "printed_at": timezone.now(), **notices()},
    )


@require_http_methods(["GET", "POST"])
@creates_once
def disclosure_new(request, patient_pk):
    patient = permissions.get_patient_for_recording(request.user, Disclosure, patient_pk)
    consents = permissions.current_consents(request.user, patient)
    _, initial, keeping = _draft(request, patient, "disclosures", {})
    agreements = permissions.agreements_visible_to(request.user)
    form = DisclosureForm(
        request.POST or None, initial=initial, patient=patient, consents=consents, agreements=agreements
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_record(actor=actor_from(request), patient=patient, fields=form.disclosure_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Disclosure recorded in her accounting."))
            return redirect("referrals:accounting", patient_pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(
        request,
        "referrals/disclosure_form.html",
        {"form": form, "patient": patient, "consents": consents, **keeping},
    )


@require_http_methods(["GET", "POST"])
@creates_once
def in_person_disclosure(request, pk):
    """A coach records what she told someone about her in person: on a consent of hers that names them, or in an
    emergency. It goes into her accounting; the coach's supervisor is told. Served as patients:told_in_person (see
    workspace/urls.py), outside /clinical/."""
    patient = permissions.get_patient_for_in_person(request.user, pk)
    consents = permissions.in_person_consents(request.user, patient)
    form = InPersonDisclosureForm(request.POST or None, patient=patient, consents=consents)
    if request.method == "POST" and form.is_valid():
        try:
            services.disclosure_in_person_record(
                actor=actor_from(request), patient=patient, fields=form.disclosure_fields()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Recorded in her accounting of disclosures. Your supervisor is told."))
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(request, "referrals/in_person_form.html", {"form": form, "patient": patient, "consents": consents})


AGREEMENTS_PAGE = 25


def agreements(request):
    """The program's qualified service organization agreements, each with its signed agreement on file."""
    if not permissions.can_see_agreements(request.user):
        raise Http404
    rows = permissions.agreements_visible_to(request.user).select_related("recorded_by")
    page = Paginator(rows, AGREEMENTS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/agreements.html",
        {"page": page, "can_add": permissions.can_add_agreements(request.user), "today": timezone.localdate()},
    )


@require_http_methods(["GET", "POST"])
@creates_once
def agreement_new(request):
    if not permissions.can_add_agreements(request.user):
        raise Http404
    form = AgreementForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_record(
                actor=actor_from(request), fields=form.agreement_fields(), document=form.cleaned_data["document"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Agreement kept."))
            return redirect("referrals:agreements")
    return render(request, "referrals/agreement_form.html", {"form": form})


def agreement_document(request, pk):
    """The signed agreement, from the private storage, to the program's supervisors; each opening is logged."""
    agreement = permissions.get_agreement_for_user(request.user, pk)
    log_access(actor_from(request), AccessAction.VIEW, record=agreement, record_type="service agreement")
    return document_response(agreement.document, f"agreement-{agreement.pk}{Path(agreement.document.name).suffix}")
