from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from patients import permissions, services
from patients.filters import PatientFilter
from patients.forms import (
    AssignmentForm,
    ChildCustodyForm,
    ChildForm,
    ConsentForm,
    ConsentRevokeForm,
    ContactForm,
    CoverForm,
    DischargeReasonAddForm,
    DischargeReasonForm,
    EndAssignmentForm,
    EnrollForm,
    HigherCareEndForm,
    HigherCareForm,
    PatientForm,
    PregnancyForm,
    ReenrollForm,
    SignedConsentForm,
    StatusForm,
    TransferForm,
)
from patients.models import Child, ChildCustody, Pregnancy, where_she_is
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.once import creates_once
from recovery_program.uploads import document_response

PAGE_SIZE = 25


def _filtered_patients(request) -> PatientFilter:
    if not permissions.can_list_patients(request.user):
        raise Http404
    return PatientFilter(request.GET, queryset=permissions.patients_visible_to(request.user), request=request)


def patient_list(request):
    patient_filter = _filtered_patients(request)
    patients = patient_filter.qs.with_current_coach().with_course() if patient_filter.is_valid() else []
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    log_access_many(actor_from(request), AccessAction.VIEW, [p.pk for p in page], record_type="patient list")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/patient_list.html",
        {
            "filter": patient_filter,
            "page": page,
            "query": query.urlencode(),
            "can_enroll": permissions.can_enroll(request.user),
            "can_export": permissions.can_export(request.user),
        },
    )


@require_http_methods(["GET", "POST"])
@creates_once
def patient_enroll(request):
    if not permissions.can_enroll(request.user):
        raise Http404
    form = EnrollForm(
        request.POST or None,
        coaches=permissions.coaches_assignable_by(request.user),
        providers=permissions.clinical_providers_for(request.user),
    )
    if request.method == "POST" and form.is_valid():
        asked = ("coach", "over_cap_confirmed", "compliance_override_reason")
        fields = {name: value for name, value in form.cleaned_data.items() if name not in asked}
        try:
            patient, _ = services.patient_enroll(
                actor=actor_from(request),
                fields=fields,
                coach=form.cleaned_data["coach"],
                over_cap_confirmed=form.cleaned_data["over_cap_confirmed"],
                compliance_override_reason=form.cleaned_data["compliance_override_reason"],
            )
        except ValidationError as error:
            form.ask_to_confirm(error)
        else:
            messages.success(request, gettext("%(name)s is enrolled.") % {"name": patient.display_name})
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/patient_enroll.html", {"form": form})


def patient_detail(request, pk):
    patient = permissions.get_patient_for_user(request.user, pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    consents = list(permissions.consents_visible_to(request.user, patient))
    coach_history = permissions.coach_history_for(request.user, patient)
    episodes = permissions.episodes_for(request.user, patient)
    today = timezone.localdate()
    pregnancies = list(permissions.pregnancies_for(request.user, patient)[:10])
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "patient_perms": permissions.patient_perms(request.user, patient),
            "children": permissions.children_for(request.user, patient),
            "pregnancies": pregnancies,
            "where_she_is": where_she_is(patient, today),
            "pregnancy_due": [item for pregnancy in pregnancies[:1] for item in pregnancy.what_is_due(today)],
            "can_keep_pregnancies": permissions.can_keep_pregnancies(request.user, patient),
            "sees_custody": permissions.sees_custody(request.user, patient),
            "status_changes": permissions.status_history_for(request.user, patient),
            "assignments": [assignment for assignment, _ in coach_history],
            "coach_history": coach_history,
            "consents": consents,
            "consent_summary": permissions.consent_summary_for(request.user, patient) if not consents else [],
            "has_current_consent": any(consent.is_current() for consent in consents),
            "break_glass": permissions.break_glass_open_for(request.user, patient),
            "episodes": episodes,
            "last_episode": episodes[0][0] if episodes else None,
            "open_stay": patient.open_stay,
            "can_change_course": permissions.can_change_course(request.user, patient),
            "waiting_for_consent": services.logging_refusal([patient]) if not patient.has_left_the_program else "",
            "interviews": permissions.interviews_for(request.user, patient),
            "interviews_can_record": permissions.can_record_interviews(request.user, patient),
            "interviews_can_correct": permissions.can_correct_interviews_of(request.user, patient),
        },
    )


def _edit(request, pk, *, perm, form_class, template, **form_kwargs):
    patient = permissions.get_patient_for_change(request.user, pk, perm)
    form = form_class(request.POST or None, instance=patient, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        try:
            if changed:
                services.patient_update(
                    actor=actor_from(request),
                    patient=patient,
                    fields=changed,
                    version=form.cleaned_data["version"],
                )
        except ValidationError as error:
            form.refuse(error)
        else:
            if changed:
                messages.success(request, gettext("Saved."))
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(request, template, {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def patient_contact(request, pk):
    return _edit(
        request,
        pk,
        perm="patients.change_patient_contact",
        form_class=ContactForm,
        template="patients/patient_contact.html",
    )


@require_http_methods(["GET", "POST"])
def patient_edit(request, pk):
    return _edit(
        request,
        pk,
        perm="patients.change_patient",
        form_class=PatientForm,
        template="patients/patient_edit.html",
        providers=permissions.clinical_providers_for(request.user),
    )


@require_http_methods(["GET", "POST"])
@creates_once
def patient_status(request, pk):
    patient = permissions.get_patient_for_change(request.user, pk, "patients.change_patient_status")
    form = StatusForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        services.patient_change_status(actor=actor_from(request), patient=patient, **form.cleaned_data)
        messages.success(request, gettext("Status changed."))
        return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(request, "patients/patient_status.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
@creates_once
def patient_assign(request, pk):
    patient = permissions.get_patient_for_change(request.user, pk, "patients.assign_coach")
    coaches = permissions.coaches_assignable_by(request.user)
    form = AssignmentForm(request.POST or None, coaches=coaches, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_start(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.ask_to_confirm(error)
        else:
            messages.success(request, gettext("%(coach)s is now her coach.") % {"coach": form.cleaned_data["coach"]})
            return redirect("patients:detail", pk=patient.pk)
    return _render_assign(request, patient, form, EndAssignmentForm())


@require_POST
def patient_unassign(request, pk):
    patient = permissions.get_patient_for_change(request.user, pk, "patients.assign_coach")
    form = EndAssignmentForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_end(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("She has no coach now. Assign one soon."))
            return redirect("patients:detail", pk=patient.pk)
    coaches = permissions.coaches_assignable_by(request.user)
    return _render_assign(request, patient, AssignmentForm(coaches=coaches, patient=patient), form)


@require_http_methods(["GET", "POST"])
@creates_once
def patient_transfer(request, pk):
    """A supervisor moves her from her coach to another, with a handoff note; see services.assignment_transfer."""
    patient = permissions.get_patient_for_transfer(request.user, pk)
    form = TransferForm(request.POST or None, coaches=permissions.coaches_assignable_by(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            assignment = services.assignment_transfer(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.ask_to_confirm(error)
        else:
            messages.success(
                request,
                gettext("%(name)s is transferred to %(coach)s.")
                % {"name": patient.display_name, "coach": assignment.coach},
            )
            return redirect("patients:detail", pk=patient.pk)
    current = patient.assignments.filter(ended_on__isnull=True).select_related("coach").first()
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(request, "patients/patient_transfer.html", {"patient": patient, "form": form, "current": current})


def _render_assign(request, patient, assign_form, end_form):
    current = patient.assignments.filter(ended_on__isnull=True).select_related("coach").first()
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(
        request,
        "patients/patient_assign.html",
        {"patient": patient, "form": assign_form, "end_form": end_form, "current": current},
    )


@require_http_methods(["GET", "POST"])
@creates_once
def consent_add(request, pk):
    patient = permissions.get_patient_for_change(request.user, pk, "patients.add_consent")
    form = ConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_record(
                actor=actor_from(request),
                patient=patient,
                fields=form.consent_fields(),
                signed_form=form.cleaned_data["signed_form"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Consent recorded."))
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(request, "patients/consent_form.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def consent_signed_form_add(request, pk, consent_pk):
    """Keeps the form she signed with a consent recorded without it (or a better copy)."""
    patient = permissions.get_patient_for_change(request.user, pk, "patients.change_consent")
    consent = get_object_or_404(permissions.consents_visible_to(request.user, patient), pk=consent_pk)
    form = SignedConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_attach_signed_form(
                actor=actor_from(request), consent=consent, upload=form.cleaned_data["signed_form"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("The signed consent to share with %(recipient)s is kept.") % {"recipient": consent.recipient},
            )
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=consent)
    return render(request, "patients/consent_signed_form.html", {"form": form, "patient": patient, "consent": consent})


def consent_signed_form(request, pk, consent_pk):
    """The signed form itself, from the private storage, to those who see her consents; each opening is logged."""
    patient = permissions.get_patient_for_user(request.user, pk)
    consent = permissions.get_signed_consent_for_user(request.user, patient, consent_pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=consent, record_type="signed consent")
    return document_response(consent.signed_form, f"signed-consent-{consent.pk}{Path(consent.signed_form.name).suffix}")


@require_http_methods(["GET", "POST"])
def consent_revoke(request, pk, consent_pk):
    patient = permissions.get_patient_for_change(request.user, pk, "patients.change_consent")
    consent = get_object_or_404(permissions.consents_visible_to(request.user, patient), pk=consent_pk)
    form = ConsentRevokeForm(request.POST or None, consent=consent)
    if request.method == "POST" and form.is_valid():
        services.consent_revoke(actor=actor_from(request), consent=consent, **form.cleaned_data)
        messages.success(
            request, gettext("Consent to share with %(recipient)s is revoked.") % {"recipient": consent.recipient}
        )
        return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=consent)
    return render(request, "patients/consent_revoke.html", {"form": form, "patient": patient, "consent": consent})


@require_http_methods(["GET", "POST"])
@creates_once
def child_edit(request, pk, child_pk=None):
    perm = "patients.change_child" if child_pk else "patients.add_child"
    patient = permissions.get_patient_for_change(request.user, pk, perm)
    child = get_object_or_404(patient.children, pk=child_pk) if child_pk else Child(patient=patient)
    form = ChildForm(request.POST or None, instance=child)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_save(actor=actor_from(request), patient=patient, child=form.instance)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=child if child.pk else patient)
    return render(request, "patients/child_form.html", {"form": form, "patient": patient, "child": child})


def access_log(request, pk):
    patient = permissions.get_patient_for_change(request.user, pk, "patients.view_access_log")
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="access log")
    entries = permissions.access_log_for(request.user, patient)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "patients/access_log.html", {"patient": patient, "page": page})


@require_http_methods(["GET", "POST"])
@creates_once
def cover(request):
    """A supervisor gives a coach another coach's caseload for dated days; the covers not yet over are listed."""
    if not permissions.can_give_cover(request.user):
        raise Http404
    form = CoverForm(request.POST or None, coaches=permissions.coaches_assignable_by(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            cover = services.cover_give(actor=actor_from(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                gettext("%(covering)s covers %(covered)s's caseload from %(starts)s to %(ends)s.")
                % {
                    "covering": cover.covering,
                    "covered": cover.covered,
                    "starts": date_format(cover.starts_on, gettext("F j")),
                    "ends": date_format(cover.ends_on, gettext("F j")),
                },
            )
            return redirect("patients:cover")
    covers = permissions.covers_not_over(request.user)
    return render(request, "patients/cover.html", {"form": form, "covers": covers})


@require_POST
def cover_end(request, pk):
    """A supervisor ends a cover before its last day: the covering coach's access stops at once."""
    cover = permissions.get_cover_for_end(request.user, pk)
    try:
        services.cover_end(actor=actor_from(request), cover=cover)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            gettext("%(covering)s no longer covers %(covered)s's caseload.")
            % {"covering": cover.covering, "covered": cover.covered},
        )
    return redirect("patients:cover")


@require_http_methods(["GET", "POST"])
@creates_once
def discharge_reasons(request):
    """The program's discharge reasons, kept by its supervisors: add one here, rename or retire one below."""
    reasons = permissions.discharge_reasons_kept_by(request.user)
    services.discharge_reasons_for(request.user.program)  # a program without a list is given the defaults
    form = DischargeReasonAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reason = services.discharge_reason_add(actor=actor_from(request), label=form.cleaned_data["label"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("“%(reason)s” is offered at discharge.") % {"reason": reason.label})
            return redirect("staff:discharge_reasons")
    return render(request, "patients/discharge_reasons.html", {"form": form, "reasons": reasons})


@require_http_methods(["GET", "POST"])
def discharge_reason_edit(request, pk):
    """Rename a reason, retire it (no longer offered; episodes keep it) or offer it again."""
    reason = permissions.get_discharge_reason_for_change(request.user, pk)
    form = DischargeReasonForm(request.POST or None, initial={"label": reason.label})
    actor = actor_from(request)
    if request.method == "POST":
        try:
            if "offered" in request.POST:
                offered = request.POST["offered"] == "1"
                services.discharge_reason_set_offered(actor=actor, reason=reason, offered=offered)
                done = gettext("“%(reason)s” is offered.") if offered else gettext("“%(reason)s” is retired.")
                messages.success(request, done % {"reason": reason.label})
                return redirect("staff:discharge_reasons")
            if form.is_valid():
                services.discharge_reason_rename(actor=actor, reason=reason, label=form.cleaned_data["label"])
                messages.success(request, gettext("Renamed."))
                return redirect("staff:discharge_reasons")
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "patients/discharge_reason_edit.html", {"form": form, "reason": reason})


def _course_form(request, patient, form, *, title, button, intro=""):
    log_access(actor_from(request), AccessAction.VIEW, patient=patient)
    return render(
        request,
        "patients/course_form.html",
        {"form": form, "patient": patient, "title": title, "button": button, "intro": intro},
    )


@require_http_methods(["GET", "POST"])
@creates_once
def patient_reenroll(request, pk):
    """She comes back after a discharge: the same record, a new episode that starts with a new consent."""
    patient = permissions.get_patient_for_course(request.user, pk)
    if not patient.has_left_the_program:
        log_access(actor_from(request), AccessAction.VIEW, patient=patient)
        messages.info(request, gettext("She is enrolled."))
        return redirect("patients:detail", pk=patient.pk)
    form = ReenrollForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_reenroll(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(
                request, gettext("She is enrolled again. Record the consent she signs for this time next.")
            )
            return redirect("patients:consent_add", pk=patient.pk)
    return _course_form(
        request,
        patient,
        form,
        title=gettext("Re-enroll her"),
        button=gettext("Re-enroll her"),
        intro=gettext("Her record and everything in it stay; a new time in the program begins."),
    )


@require_http_methods(["GET", "POST"])
@creates_once
def higher_care_start(request, pk):
    """She went to residential care, inpatient care, detox, or jail; she stays on her coach's caseload."""
    patient = permissions.get_patient_for_course(request.user, pk)
    form = HigherCareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.higher_care_start(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Recorded. She stays on her coach's caseload."))
            return redirect("patients:detail", pk=patient.pk)
    return _course_form(
        request,
        patient,
        form,
        title=gettext("She went to a higher level of care"),
        button=gettext("Record it"),
        intro=gettext("Her coach keeps her on her caseload and may keep visiting her and logging."),
    )


@require_http_methods(["GET", "POST"])
def higher_care_end(request, pk):
    patient = permissions.get_patient_for_course(request.user, pk)
    form = HigherCareEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.higher_care_end(actor=actor_from(request), patient=patient, **form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Welcome back: recorded."))
            return redirect("patients:detail", pk=patient.pk)
    return _course_form(request, patient, form, title=gettext("She came back"), button=gettext("Record her return"))


@require_http_methods(["GET", "POST"])
@creates_once
def pregnancy_edit(request, pk, pregnancy_pk=None):
    """Her coach or a supervisor records a pregnancy: due date, care, delivery, Plan of Safe Care."""
    patient = permissions.get_patient_for_pregnancy(request.user, pk)
    pregnancies = permissions.pregnancies_for(request.user, patient)
    pregnancy = get_object_or_404(pregnancies, pk=pregnancy_pk) if pregnancy_pk else Pregnancy(patient=patient)
    form = PregnancyForm(request.POST or None, instance=pregnancy)
    if request.method == "POST" and form.is_valid():
        try:
            services.pregnancy_save(actor=actor_from(request), patient=patient, pregnancy=form.instance)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("patients:detail", pk=patient.pk)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record=pregnancy if pregnancy.pk else patient)
    context = {"form": form, "patient": patient, "pregnancy": pregnancy}
    return render(request, "patients/pregnancy_form.html", context)


@require_http_methods(["GET", "POST"])
@creates_once
def child_custody(request, pk, child_pk):
    """A supervisor records a child's custody and child protective services' involvement."""
    child = permissions.get_child_for_custody(request.user, pk, child_pk)
    custody = getattr(child, "custody", None) or ChildCustody(child=child, program_id=child.program_id)
    form = ChildCustodyForm(request.POST or None, instance=custody)
    if request.method == "POST" and form.is_valid():
        try:
            services.child_custody_save(actor=actor_from(request), child=child, fields=form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, gettext("Saved."))
            return redirect("patients:detail", pk=child.patient_id)
    log_access(actor_from(request), AccessAction.VIEW, patient=child.patient, record=custody if custody.pk else child)
    return render(request, "patients/child_custody.html", {"form": form, "patient": child.patient, "child": child})
