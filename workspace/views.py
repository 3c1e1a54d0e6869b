from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from coaching import permissions as coaching_permissions
from coaching.week import Week, week_of
from patients import permissions as patient_permissions
from patients.forms import DischargeForm
from patients.services import discharge_reasons_for
from recovery_program.audit import AccessAction, actor_from, log_access, log_access_many
from recovery_program.confirm import confirm_page, confirmed
from recovery_program.models import ExportFormat, ExportKind
from recovery_program.once import creates_once
from recovery_program.routers import replica_reads
from recovery_program.spreadsheet import csv_download, streamed_download
from staff import permissions
from staff import services as staff_services
from staff.forms import RoleForm
from staff.roles import Role
from staff.training import compliance_for
from staff.views.people import detail_page
from supervision import permissions as supervision_permissions
from workspace import exports, services
from workspace import overview as figures
from workspace import permissions as workspace_permissions
from workspace import reports as report_figures
from workspace.forms import ExportForm, ReportForm

# A few at most: each says to open the concern; more would push the rest of the page away.
FAILED_PAGES_SHOWN = 5
BREAK_GLASS_SHOWN = 10
HER_PATIENTS_SHOWN = 10
STEPS_DUE_SHOWN = 10
# "This week" on a coach's home: steps due in the next seven days, and any overdue.
STEPS_DUE_AHEAD = datetime.timedelta(days=7)
INTERVIEWS_DUE_SHOWN = 5


def home(request):
    user = request.user
    her_patients = workspace_permissions.her_patients_for(user, shown=HER_PATIENTS_SHOWN)
    if her_patients:
        named = {c.patient_id for c in her_patients.concerns} | {r.patient_id for r in her_patients.referrals}
        log_access_many(actor_from(request), AccessAction.VIEW, named, record_type="home: her patients")
    steps_due = _steps_due(request)
    return render(
        request,
        "workspace/home.html",
        {
            "supervisors": permissions.supervisors_reachable_by(user),
            "staff_counts": permissions.staff_counts_for(user),
            "patient_counts": patient_permissions.patient_counts_for(user),
            "caseload_size": patient_permissions.active_caseload_size(user),
            "can_enroll": patient_permissions.can_enroll(user),
            "has_caseload": coaching_permissions.patients_for_logging(user).exists(),
            "concern_counts": coaching_permissions.open_concern_counts(user),
            "new_notes": coaching_permissions.new_notes_for(user),
            "failed_pages": supervision_permissions.failed_pages_for(user)[:FAILED_PAGES_SHOWN],
            "rota_gaps": supervision_permissions.rota_gaps_for(user, timezone.now()),
            "held_pages": supervision_permissions.held_pages_for(user)[:FAILED_PAGES_SHOWN],
            "drafts": coaching_permissions.drafts_of(user),
            "patients_without_coach": patient_permissions.patients_without_coach_count(user),
            "my_compliance": compliance_for([user], timezone.localdate()).get(user.pk),
            "sees_coach_overview": workspace_permissions.sees_coach_overview(user),
            "sees_program_figures": workspace_permissions.sees_program_figures(user),
            "break_glass_to_review": _break_glass_to_review(user),
            "can_break_glass": patient_permissions.can_break_glass(user),
            "can_give_cover": patient_permissions.can_give_cover(user),
            "can_keep_discharge_reasons": patient_permissions.can_keep_discharge_reasons(user),
            "covers": list(patient_permissions.cover_grants_for(user)),
            "today": timezone.localdate(),
            "her_patients": her_patients,
            "my_week": _my_week(request),
            "steps_due": steps_due,
            "interviews_due": _interviews_due(request),
            # A clinician with the supervisor role and no coaches or shifts: her own women come first.
            "clinician_only": her_patients is not None
            and not supervision_permissions.has_supervision_work(user, timezone.now()),
        },
    )


def _my_week(request) -> Week | None:
    """A coach's next seven days and her overdue reminders; reading it names the women in it."""
    if not coaching_permissions.can_keep_week(request.user):
        return None
    week = week_of(request.user, request.user)
    log_access_many(actor_from(request), AccessAction.VIEW, week.patient_ids(), record_type="home: my week")
    return week


def _steps_due(request) -> list:
    """Open steps of her caseload's recovery plans due this week (or overdue): one query, each woman logged."""
    today = timezone.localdate()
    steps = list(coaching_permissions.steps_due_for(request.user, today + STEPS_DUE_AHEAD)[:STEPS_DUE_SHOWN])
    if steps:
        named = {step.goal.patient_id for step in steps}
        log_access_many(actor_from(request), AccessAction.VIEW, named, record_type="home: steps due")
    return steps


def _interviews_due(request) -> dict | None:
    """The first interviews due in the next 30 days (her caseload, or the program), and whether there are more, in
    one query whatever their number; None for those who see no interviews."""
    if not patient_permissions.can_see_interviews_due(request.user):
        return None
    due = list(patient_permissions.interviews_due_for(request.user)[: INTERVIEWS_DUE_SHOWN + 1])
    shown = due[:INTERVIEWS_DUE_SHOWN]
    if shown:
        log_access_many(
            actor_from(request), AccessAction.VIEW, {e.patient_id for e in shown}, record_type="home: interviews due"
        )
    return {"shown": shown, "more": len(due) > INTERVIEWS_DUE_SHOWN}


def _break_glass_to_review(user) -> list[tuple[object, bool]]:
    """Records opened in an emergency that wait for her review, each with whether it is past its 72 hours."""
    now = timezone.now()
    waiting = patient_permissions.break_glass_awaiting_review(user)[:BREAK_GLASS_SHOWN]
    return [(grant, now > grant.review_due()) for grant in waiting]


@require_http_methods(["GET", "POST"])
def staff_deactivate(request, pk):
    """Says what deactivating her ends; the button on that page deactivates her."""
    member = permissions.get_staff_member_for_manager(request.user, pk)
    if not member.is_active:
        messages.info(request, _("%(name)s's account is already deactivated.") % {"name": member})
        return redirect("staff:detail", pk=member.pk)
    if not confirmed(request):
        return confirm_page(
            request,
            title=_("Deactivate %(name)s's account?") % {"name": member},
            effects=services.staff_deactivate_effects(member, now=timezone.now()),
            button=_("Deactivate her account"),
            action=reverse("staff:deactivate", args=[member.pk]),
            cancel_url=reverse("staff:detail", args=[member.pk]),
            back_label=str(member),
        )
    try:
        left = services.staff_deactivate(actor=actor_from(request), user=member)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("staff:detail", pk=member.pk)
    messages.success(
        request, _("%(name)s can no longer log in; her sessions have ended.") % {"name": member} + _waiting(left)
    )
    return redirect("staff:detail", pk=member.pk)


@require_POST
@creates_once
def staff_role(request, pk):
    """An admin makes someone an admin at once, and proposes a clinical role (a supervisor approves it)."""
    member = permissions.get_staff_member_for_manager(request.user, pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        role = Role(form.cleaned_data["role"])
        try:
            if permissions.needs_a_second_person(role):
                staff_services.role_change_propose(actor=actor_from(request), user=member, role=role)
                done = _("Proposed: %(name)s as %(role)s. A supervisor of the program approves it.") % {
                    "name": member,
                    "role": str(role.label).lower(),
                }
            elif member.role != role and not confirmed(request):
                return confirm_page(
                    request,
                    title=_("Make %(name)s %(role)s?") % {"name": member, "role": str(role.label).lower()},
                    effects=services.staff_role_change_effects(member, role, now=timezone.now()),
                    button=_("Make her %(role)s") % {"role": str(role.label).lower()},
                    action=reverse("staff:role", args=[member.pk]),
                    cancel_url=reverse("staff:detail", args=[member.pk]),
                    back_label=str(member),
                    hidden=[("role", role.value)],
                )
            else:
                left = services.staff_role_change(actor=actor_from(request), user=member, role=role)
                done = _("%(name)s is now %(role)s. Her access changed at once.") % {
                    "name": member,
                    "role": str(role.label).lower(),
                } + _waiting(left)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done)
            return redirect("staff:detail", pk=member.pk)
    return detail_page(request, member, role_form=form)


@require_POST
def role_change_decide(request, pk):
    """The second person approves (the change happens now) or declines a proposal: a role, two-step login off."""
    proposal = permissions.get_role_change_for_decider(request.user, pk)
    try:
        if request.POST.get("decision") == "approve":
            left = services.account_change_approve(actor=actor_from(request), request=proposal)
            messages.success(
                request,
                _("Approved and done: %(what)s for %(name)s.") % {"what": proposal.what, "name": proposal.subject}
                + _waiting(left),
            )
        else:
            staff_services.account_change_decide(actor=actor_from(request), request=proposal, approve=False)
            messages.success(
                request,
                _("Declined: %(what)s for %(name)s. Nothing changed.")
                % {"what": proposal.what, "name": proposal.subject},
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("staff:list")


def _waiting(left: list[int]) -> str:
    if not left:
        return ""
    return " " + ngettext(
        "%(count)d of her patients now need a coach; supervisors see them listed.",
        "%(count)d of her patients now need a coach; supervisors see them listed.",
        len(left),
    ) % {"count": len(left)}


def overview(request):
    """A supervisor's coaches at a glance: counts only, each linked to the records behind it. 404 for anyone else.

    ?all=1: every coach of the program; ?coach=<id>: one coach; ?mine=1: only women whose clinical provider she is.
    The lists the counts lead to log the women they name; this page logs one row for the program-level read."""
    everyone, mine = request.GET.get("all") == "1", request.GET.get("mine") == "1"
    coaches = workspace_permissions.overview_coaches_for(
        request.user, everyone=everyone, coach_id=request.GET.get("coach")
    )
    log_access(actor_from(request), AccessAction.VIEW, record_type="coach overview")
    return render(
        request,
        "workspace/overview.html",
        {
            "overview": figures.coach_overview(request.user, coaches, mine=mine, now=timezone.now()),
            "everyone": everyone,
            "mine": mine,
            "one_coach": coaches[0] if request.GET.get("coach") else None,
        },
    )


@replica_reads
def program_figures(request):
    """An admin's counts of the program: staff, training, supervision and encounters. No patient's name."""
    admin = workspace_permissions.get_user_for_program_figures(request.user)
    numbers = figures.program_figures(admin, now=timezone.now())
    return render(
        request,
        "workspace/program_figures.html",
        {
            "figures": numbers,
            "chart": figures.bars(numbers.encounters_per_week),
            "charts": report_figures.program_figure_tables(numbers),
        },
    )


@replica_reads
def reports(request):
    """A supervisor's reports of her program for a period (and one coach): charts, their tables, and each table
    as a CSV (?download=<section>). Counts only; the page and each download write an access-log row naming the
    period and coach. Bad dates are told next to their field. 404 for anyone but the program's supervisors."""
    sources = workspace_permissions.report_sources_for(request.user)
    today = timezone.localtime(timezone.now(), sources.program.zone).date()
    form = ReportForm(request.GET, coaches=sources.coaches, today=today, program=sources.program)
    if not form.is_valid():
        return render(request, "workspace/reports.html", {"form": form, "report": None})
    coach = form.cleaned_data["coach"]
    report = report_figures.program_report(sources, form.cleaned_data["range"], coach)
    filters = f"{report.period.key}" + (f" coach {coach.pk}" if coach else "")
    slug = request.GET.get("download")
    if slug is not None:
        table = report.table(slug)
        if table is None:
            raise Http404
        log_access(actor_from(request), AccessAction.EXPORT, record_type=f"program report: {slug}", record_id=filters)
        response, writer = csv_download(f"{slug}-{report.period.start}-{report.period.end}.csv", table.header)
        for cells in table.cells():
            writer.writerow(cells)
        return response
    log_access(actor_from(request), AccessAction.VIEW, record_type="program report", record_id=filters)
    query = request.GET.copy()
    query.pop("download", None)
    return render(request, "workspace/reports.html", {"form": form, "report": report, "query": query.urlencode()})


@require_http_methods(["GET", "POST"])
def patient_discharge(request, pk):
    """A supervisor discharges a woman: the reason, a summary, and what is still open about her, each closed or
    carried. A page then says what will happen; its button discharges her."""
    patient = patient_permissions.get_patient_for_course(request.user, pk)
    if patient.has_left_the_program:
        messages.info(request, _("She is already %(status)s.") % {"status": patient.get_status_display().lower()})
        return redirect("patients:detail", pk=patient.pk)
    open_items = services.open_items_of(request.user, patient)
    reasons = discharge_reasons_for(patient.program, offered_only=True)
    form = DischargeForm(request.POST or None, reasons=reasons, open_items=open_items, patient=patient)
    log_access(actor_from(request), AccessAction.VIEW, patient=patient, record_type="discharge")
    if request.method == "POST" and form.is_valid():
        if not confirmed(request):
            return confirm_page(
                request,
                title=_("Discharge %(name)s?") % {"name": patient.display_name},
                effects=services.discharge_effects(patient, open_items, form.closing()),
                button=_("Discharge her"),
                action=reverse("patients:discharge", args=[patient.pk]),
                cancel_url=reverse("patients:detail", args=[patient.pk]),
                back_label=patient.display_name,
                hidden=[(name, value) for name, value in request.POST.items() if name != "csrfmiddlewaretoken"],
            )
        try:
            services.patient_discharge(
                actor=actor_from(request),
                patient=patient,
                reason=form.cleaned_data["reason"],
                ended_on=form.cleaned_data["ended_on"],
                summary=form.cleaned_data["summary"],
                closing=form.closing(),
            )
        except ValidationError as error:
            form.refuse(error)
        else:
            messages.success(request, _("%(name)s is discharged. Her record stays.") % {"name": patient.display_name})
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "workspace/patient_discharge.html", {"form": form, "patient": patient})


@require_http_methods(["GET", "POST"])
def export_page(request):
    """The supervisors' downloads: the choices, then the file, written while it is sent."""
    if not workspace_permissions.can_export(request.user):
        raise Http404
    coaches = workspace_permissions.export_coaches_for(request.user)
    if request.method == "GET":
        form = ExportForm(initial={"kind": request.GET.get("kind") or ExportKind.ENCOUNTERS}, coaches=coaches)
        return _export_page(request, form)
    form = ExportForm(request.POST, coaches=coaches)
    if form.is_valid():
        try:
            return _download(request, **form.cleaned_data)
        except ValidationError as error:
            form.refuse(error)
    return _export_page(request, form)


def _export_page(request, form):
    recent = workspace_permissions.recent_exports_for(request.user)
    return render(request, "workspace/exports.html", {"form": form, "recent": recent})


def patient_export(request):
    """The list of women in the program, de-identified, as a CSV (the patient list's download link): this year
    so far unless `starts_on`, `ends_on` and `coach` say otherwise; other choices are on the export page."""
    if not workspace_permissions.can_export(request.user):
        raise Http404
    today = timezone.localdate()
    asked = {"starts_on": f"{today:%Y}-01-01", "ends_on": today.isoformat(), **request.GET.dict()}
    form = ExportForm(
        {**asked, "kind": ExportKind.PATIENTS, "file_format": ExportFormat.CSV},
        coaches=workspace_permissions.export_coaches_for(request.user),
    )
    if not form.is_valid():
        return _export_page(request, form)
    return _download(request, **{**form.cleaned_data, "identified": False, "reason": ""})


def _download(request, **choices):
    export = services.export_record(actor=actor_from(request), **choices)
    return streamed_download(exports.filename(export), export.file_format, exports.export_rows(export))
