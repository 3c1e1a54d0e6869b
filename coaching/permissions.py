"""Who may see and do what with encounters and concerns. The only place that decides it.

Coaches see their own encounters, the warm handoffs they were at, the earlier
encounters of the women of their caseload (with other women's part of a group
withheld), and the concerns they shared; they log and share only about patients
of their caseload. Supervisors see all of their program's
encounters and concerns and act on concerns. Admins see none of it; they keep
the program's list of resources. No access and no such record both give 404.
"""

from __future__ import annotations

import datetime

from django.db.models import BooleanField, Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404

from coaching.barc import with_barc10_due
from coaching.models import (
    Appointment,
    Barc10,
    Concern,
    ConcernNote,
    ConcernQuerySet,
    ConcernStatus,
    Draft,
    Encounter,
    EncounterPatient,
    GoalStatus,
    GoalStep,
    RecoveryGoal,
    Reminder,
    Resource,
    SafetyPlan,
    StepStatus,
    Urgency,
)
from patients import permissions as patient_permissions
from patients.models import Patient, ProgramStatus
from recovery_program.ids import id_or_404
from staff.models import User


def encounters_visible_to(user: User) -> QuerySet[Encounter]:
    """Supervisors: every encounter of their program. Coaches: their own, the warm handoffs they were at (another
    coach logged them, naming her), and every encounter of the program with a woman of her caseload now, whoever
    logged it (a coach given a woman by a transfer reads her earlier encounters; what of them she may read is
    `encounters_shown_to`). Anyone else: none."""
    if not user.is_active:
        return Encounter.objects.none()
    program_encounters = Encounter.objects.filter(program_id=user.program_id)
    if user.has_perm("coaching.view_encounter"):
        return program_encounters
    if user.has_perm("coaching.log_encounters"):
        with_her_women = EncounterPatient.objects.filter(encounter=OuterRef("pk"), patient__in=_caseload_now(user))
        return program_encounters.filter(Q(coach=user) | Q(other_coach=user) | Q(Exists(with_her_women)))
    return Encounter.objects.none()


def encounter_patients_visible_to(user: User) -> QuerySet[EncounterPatient]:
    """Who was at which of the encounters she may see (`encounters_visible_to`), a row per woman. A supervisor's are
    her program's rows, read by their own program column: no join to every encounter of the program."""
    if user.is_active and user.has_perm("coaching.view_encounter"):
        return EncounterPatient.objects.filter(program_id=user.program_id)
    return EncounterPatient.objects.filter(encounter__in=encounters_visible_to(user))


def _caseload_now(user: User) -> QuerySet[Patient]:
    """The women of her own open assignments (not a cover's: a cover is for days, not her history)."""
    return Patient.objects.filter(
        program_id=user.program_id, assignments__coach=user, assignments__ended_on__isnull=True
    )


def encounters_shown_to(user: User, encounters: QuerySet[Encounter]) -> QuerySet[Encounter]:
    """Marks each encounter `withheld` when she reads it only because a woman of her caseload was there and other
    women were too (a group logged by another coach): she sees when, what kind and how long, and her own women
    (`hers_present`), never what was written, the place, the resources or the other women. One query more for a
    page, whatever its length. Supervisors, and her own encounters and handoffs, are never withheld."""
    if user.has_perm("coaching.view_encounter") or not user.has_perm("coaching.log_encounters"):
        return encounters.annotate(withheld=Value(False))
    others = EncounterPatient.objects.filter(encounter=OuterRef("pk")).exclude(patient__in=_caseload_now(user))
    return encounters.annotate(
        withheld=Case(
            When(Q(coach=user) | Q(other_coach=user), then=Value(False)),
            default=Exists(others),
            output_field=BooleanField(),
        )
    ).prefetch_related(Prefetch("patients", queryset=_caseload_now(user), to_attr="hers_present"))


def patients_shown(encounter: Encounter) -> list[Patient]:
    """The women she may read on this encounter (from `encounters_shown_to`): all of them, or her own if withheld."""
    if getattr(encounter, "withheld", False):
        return list(encounter.hers_present)  # type: ignore[attr-defined]  # the Prefetch's to_attr
    return list(encounter.patients.all())


def get_encounter_for_user(user: User, pk: int) -> Encounter:
    try:
        return encounters_shown_to(user, encounters_visible_to(user).select_related("coach", "other_coach")).get(pk=pk)
    except Encounter.DoesNotExist:
        raise Http404("No such encounter.") from None


def handoff_coaches_for(user: User) -> QuerySet[User]:
    """The coaches she may name at a warm handoff: the active coaches of her program but herself."""
    if not can_log_encounters(user):
        return User.objects.none()
    return patient_permissions.coaches_assignable_by(user).exclude(pk=user.pk)


def get_encounter_for_change(user: User, pk: int) -> Encounter:
    """Her own encounter, for a correction or an addendum: 404 if she cannot see it or it is not hers."""
    encounter = get_encounter_for_user(user, pk)
    if encounter.coach_id != user.pk or not user.has_perm("coaching.log_encounters"):
        raise Http404
    return encounter


def can_log_encounters(user: User) -> bool:
    return user.has_perm("coaching.log_encounters")


def can_see_encounters(user: User) -> bool:
    """Coaches see their own encounters; supervisors their program's; admins none."""
    return can_log_encounters(user) or user.has_perm("coaching.view_encounter")


def sees_program_concerns(user: User) -> bool:
    """Supervisors see every encounter and concern of their program (coaches only their own)."""
    return user.has_perm("coaching.view_encounter") and user.has_perm("coaching.view_concern")


def reads_notes_before_per_woman(user: User) -> bool:
    """A group encounter's text from before each woman had her own note may name any of them, so it is in no
    woman's record: supervisors read it on the whole encounter; coaches and everyone else never."""
    return user.is_active and user.has_perm("coaching.view_encounter")


def can_keep_resources(user: User) -> bool:
    return user.has_perm("coaching.change_resource")


def patients_for_logging(user: User) -> QuerySet[Patient]:
    """The patients she may log an encounter or share a concern about: her caseload, active ones first."""
    if not (can_log_encounters(user) or can_share_concerns(user)):
        return Patient.objects.none()
    return (
        patient_permissions.patients_visible_to(user)
        .exclude(status__in=[ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED])
        .order_by("status", "legal_name")
    )


def get_patient_for_logging(user: User, pk: int | str) -> Patient:
    """A patient of her caseload by id; a forged id is a 404, as if there were no such patient."""
    try:
        return patients_for_logging(user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient.") from None


def resources_for(user: User) -> QuerySet[Resource]:
    """The active resources of her own program, for the pick list."""
    return Resource.objects.filter(program_id=user.program_id, is_active=True)


def resources_managed_by(user: User) -> QuerySet[Resource]:
    """Admins keep their own program's list, retired resources included; 404 for anyone else."""
    if not user.has_perm("coaching.change_resource"):
        raise Http404
    return Resource.objects.filter(program_id=user.program_id)


def concerns_visible_to(user: User) -> ConcernQuerySet:
    """Supervisors: every concern of their program. A coach: the concerns she shared herself. Anyone else: none."""
    if not user.is_active:
        return Concern.objects.none()
    program_concerns = Concern.objects.filter(program_id=user.program_id)
    if user.has_perm("coaching.view_concern"):
        return program_concerns
    if user.has_perm("coaching.share_concerns"):
        return program_concerns.filter(coach=user)
    return Concern.objects.none()


def get_concern_for_user(user: User, pk: int) -> Concern:
    try:
        return concerns_visible_to(user).select_related("patient", "coach", "acknowledged_by", "closed_by").get(pk=pk)
    except Concern.DoesNotExist:
        raise Http404("No such concern.") from None


def get_concern_for_action(user: User, pk: int) -> Concern:
    """For acknowledging, noting and closing: supervisors only (404 for the coach who shared it)."""
    concern = get_concern_for_user(user, pk)
    if not can_act_on_concerns(user):
        raise Http404
    return concern


def can_share_concerns(user: User) -> bool:
    return user.has_perm("coaching.share_concerns")


def can_act_on_concerns(user: User) -> bool:
    return user.has_perm("coaching.change_concern")


def concern_queue_for(user: User) -> QuerySet[Concern]:
    """Open concerns of her program, most urgent and oldest first: the supervisors' queue."""
    if not can_act_on_concerns(user):
        return Concern.objects.none()
    return concerns_visible_to(user).open().queue_order().select_related("patient__clinical_provider", "coach")


def open_concern_counts(user: User) -> dict[str, int] | None:
    """For a supervisor's home page: how many open concerns, how many not yet seen, and how many urgent ones
    nobody has acknowledged yet."""
    if not can_act_on_concerns(user):
        return None
    return (
        concerns_visible_to(user)
        .open()
        .aggregate(
            open=Count("pk"),
            urgent=Count("pk", filter=Q(urgency=Urgency.URGENT_NOW, acknowledged_at__isnull=True)),
            unseen=Count("pk", filter=Q(status=ConcernStatus.SHARED)),
        )
    )


def new_notes_for(user: User) -> int | None:
    """For a coach's home page: how many notes supervisors wrote on the concerns she shared that she has not
    opened yet (None for anyone who shares no concerns)."""
    if not can_share_concerns(user):
        return None
    return ConcernNote.objects.filter(
        concern__in=concerns_visible_to(user).filter(coach=user), seen_by_coach__isnull=True
    ).count()


def drafts_of(user: User) -> QuerySet[Draft]:
    """Her own drafts, and nobody else's."""
    return Draft.objects.filter(user=user)


def get_draft_form_for(user: User, form: str) -> Draft.Form:
    """The form she may keep a draft of: an encounter if she logs encounters, a concern if she shares them
    (coaches). 404 for anyone else, and for a form that has no drafts."""
    allowed = {Draft.Form.ENCOUNTER: can_log_encounters, Draft.Form.CONCERN: can_share_concerns}
    if form not in allowed or not allowed[Draft.Form(form)](user):
        raise Http404("No such draft.")
    return Draft.Form(form)


def coach_filter_for(user: User, coach_id: str | None) -> User | None:
    """For supervisors narrowing a list to one coach of their program; None when no coach is asked for.
    A coach id out of her reach is a 404."""
    if not coach_id:
        return None
    if not user.has_perm("coaching.view_encounter"):
        raise Http404
    try:
        return patient_permissions.coaches_assignable_by(user).get(pk=coach_id)
    except (User.DoesNotExist, ValueError):
        raise Http404 from None


def coaches_to_filter_by(user: User) -> QuerySet[User]:
    if not user.has_perm("coaching.view_encounter"):
        return User.objects.none()
    return patient_permissions.coaches_assignable_by(user).order_by("first_name", "last_name")


def can_see_safety_plans(user: User) -> bool:
    """Her coaches keep a woman's safety plan with her; her program's supervisors read it and its history. Admins
    never see one."""
    return user.has_perm("coaching.change_safetyplan") or user.has_perm("coaching.view_safetyplan")


def can_see_safety_plan_history(user: User) -> bool:
    """Every version of a plan, who saved it and when: for supervisors."""
    return user.has_perm("coaching.view_safetyplan")


def get_patient_for_safety_plan(user: User, pk: int) -> Patient:
    """The woman whose plan she may read: one she can see (a coach's caseload or cover, a supervisor's program),
    if her role reads plans at all; 404 otherwise."""
    if not can_see_safety_plans(user):
        raise Http404
    return patient_permissions.get_patient_for_user(user, pk)


def get_patient_for_safety_plan_change(user: User, pk: int) -> Patient:
    """The woman whose plan she may keep with her: a coach's own caseload (or cover), while the woman is in the
    program. Supervisors read it only; out of reach is a 404."""
    if not user.has_perm("coaching.change_safetyplan"):
        raise Http404
    return get_patient_for_logging(user, pk)


def can_change_safety_plan(user: User, patient: Patient) -> bool:
    """For the plan's page: may she keep this woman's plan with her (see get_patient_for_safety_plan_change)?"""
    return user.has_perm("coaching.change_safetyplan") and patients_for_logging(user).filter(pk=patient.pk).exists()


def get_patient_for_safety_plan_history(user: User, pk: int) -> Patient:
    """The woman whose plan's every version she may read: supervisors of her program; 404 for anyone else."""
    if not can_see_safety_plan_history(user):
        raise Http404
    return patient_permissions.get_patient_for_user(user, pk)


def safety_plan_of(user: User, patient: Patient) -> SafetyPlan | None:
    """Her plan, for someone who may read it (the patient came through the permission layer); None if none yet."""
    if not can_see_safety_plans(user):
        return None
    return SafetyPlan.objects.filter(patient=patient).select_related("reviewed_by").first()


def can_keep_week(user: User) -> bool:
    """Coaches keep their own week: the appointments they go to with a woman, and the contacts they mean to make."""
    return user.is_active and user.has_perm("coaching.keep_week")


def can_read_weeks(user: User) -> bool:
    """Coaches read their own week; supervisors their coaches' weeks (`week_coaches_for`); admins never."""
    return user.is_active and (can_keep_week(user) or user.has_perm("coaching.view_appointment"))


def picks_a_coachs_week(user: User) -> bool:
    """Supervisors choose whose week to read."""
    return user.is_active and user.has_perm("coaching.view_appointment")


def week_coaches_for(user: User) -> QuerySet[User]:
    """Whose week she may read. A coach: her own. A supervisor: every active coach of her program, or, where the
    program keeps each supervisor to her own (`Program.supervisors_see_all` off), the coaches she supervises now.
    Admins and anyone else: nobody."""
    if not user.is_active:
        return User.objects.none()
    if user.has_perm("coaching.view_appointment"):
        coaches = patient_permissions.coaches_assignable_by(user)
        if not user.program.supervisors_see_all:
            coaches = coaches.filter(supervised_by__supervisor=user, supervised_by__ended_on__isnull=True)
        return coaches.order_by("first_name", "last_name")
    if can_keep_week(user):
        return User.objects.filter(pk=user.pk)
    return User.objects.none()


def get_week_coach(user: User, coach_id: int | str | None) -> User:
    """The coach whose week she asked for (a coach: herself when none is named); 404 for a coach out of reach."""
    if not coach_id and can_keep_week(user):
        return user
    if coach_id is None:
        raise Http404("No such coach.")
    try:
        return week_coaches_for(user).get(pk=coach_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise Http404("No such coach.") from None


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    """The appointments of the coaches whose week she reads (`week_coaches_for`), in her program; a coach's own only
    about the women she can see now (a woman transferred away leaves her week). Anyone else: none."""
    if not user.is_active:
        return Appointment.objects.none()
    rows = Appointment.objects.filter(program_id=user.program_id, coach__in=week_coaches_for(user))
    if not user.has_perm("coaching.view_appointment"):
        rows = rows.filter(patient__in=patient_permissions.patients_visible_to(user))
    return rows


def reminders_visible_to(user: User) -> QuerySet[Reminder]:
    """As `appointments_visible_to`, for her next-contact reminders."""
    if not user.is_active:
        return Reminder.objects.none()
    rows = Reminder.objects.filter(program_id=user.program_id, coach__in=week_coaches_for(user))
    if not user.has_perm("coaching.view_appointment"):
        rows = rows.filter(patient__in=patient_permissions.patients_visible_to(user))
    return rows


def get_appointment_for_change(user: User, pk: int | str) -> Appointment:
    """Her own appointment, for logging, cancelling or saying she did not come: 404 for anyone else's, and for
    supervisors (who read weeks, never change them)."""
    if not can_keep_week(user):
        raise Http404
    try:
        return appointments_visible_to(user).select_related("patient").get(pk=pk, coach=user)
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such appointment.") from None


def get_appointment_to_log(user: User, pk: int | str | None) -> Appointment | None:
    """Her own appointment that the encounter she logs will mark done (the service refuses one no longer planned);
    None when none is asked for."""
    return get_appointment_for_change(user, id_or_404(pk)) if pk else None


def get_reminder_for_change(user: User, pk: int | str) -> Reminder:
    """Her own reminder, for marking it done or dismissing it; 404 for anyone else."""
    if not can_keep_week(user):
        raise Http404
    try:
        return reminders_visible_to(user).select_related("patient").get(pk=pk, coach=user)
    except (Reminder.DoesNotExist, ValueError, TypeError):
        raise Http404("No such reminder.") from None


def can_see_recovery_plans(user: User) -> bool:
    """Her coaches keep a woman's recovery plan with her; her program's supervisors read it, its history, and may
    change it. Admins never see one."""
    return user.has_perm("coaching.change_recoverygoal") or user.has_perm("coaching.view_recoverygoal")


def can_see_recovery_plan_history(user: User) -> bool:
    """Every change to her goals and steps, who made it and when: for supervisors."""
    return user.has_perm("coaching.view_recoverygoal")


def patients_for_goals(user: User) -> QuerySet[Patient]:
    """The women whose recovery plan she may change: for a coach her caseload (and a covered caseload on its days),
    for a supervisor the women of her program she can see; in both cases while the woman is in the program."""
    if not user.has_perm("coaching.change_recoverygoal"):
        return Patient.objects.none()
    return patient_permissions.patients_visible_to(user).exclude(
        status__in=[ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED]
    )


def get_patient_for_recovery_plan(user: User, pk: int) -> Patient:
    """The woman whose plan she may read: one she can see, if her role reads recovery plans at all; 404 otherwise."""
    if not can_see_recovery_plans(user):
        raise Http404
    return patient_permissions.get_patient_for_user(user, pk)


def get_patient_for_goal_change(user: User, pk: int) -> Patient:
    """The woman whose plan she may change (see patients_for_goals); 404 otherwise."""
    try:
        return patients_for_goals(user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient.") from None


def can_change_recovery_plan(user: User, patient: Patient) -> bool:
    """For her plan's page: may she change this woman's plan (see patients_for_goals)?"""
    return patients_for_goals(user).filter(pk=patient.pk).exists()


def get_goal_for_change(user: User, pk: int) -> RecoveryGoal:
    """A goal of a woman whose plan she may change; 404 otherwise."""
    try:
        return RecoveryGoal.objects.select_related("patient").get(pk=pk, patient__in=patients_for_goals(user))
    except (RecoveryGoal.DoesNotExist, ValueError, TypeError):
        raise Http404("No such goal.") from None


def get_step_for_change(user: User, pk: int) -> GoalStep:
    """A step of a goal of a woman whose plan she may change; 404 otherwise."""
    try:
        return GoalStep.objects.select_related("goal__patient").get(pk=pk, goal__patient__in=patients_for_goals(user))
    except (GoalStep.DoesNotExist, ValueError, TypeError):
        raise Http404("No such step.") from None


def get_patient_for_recovery_plan_history(user: User, pk: int) -> Patient:
    """The woman whose plan's every change she may read: supervisors of her program; 404 for anyone else."""
    if not can_see_recovery_plan_history(user):
        raise Http404
    return patient_permissions.get_patient_for_user(user, pk)


def goals_of(user: User, patient: Patient, *, active_only: bool = False) -> QuerySet[RecoveryGoal]:
    """Her goals with their steps (two queries), for someone who may read them (the patient came through the
    permission layer): the ones she works on first, then the newest."""
    if not can_see_recovery_plans(user):
        return RecoveryGoal.objects.none()
    goals = RecoveryGoal.objects.filter(patient=patient)
    if active_only:
        goals = goals.filter(status=GoalStatus.ACTIVE)
    return (
        goals.select_related("closed_by")
        .prefetch_related(Prefetch("steps", queryset=GoalStep.objects.select_related("done_by")))
        .order_by(Case(When(status=GoalStatus.ACTIVE, then=Value(0)), default=Value(1)), "-created_at", "-pk")
    )


def steps_due_for(user: User, until: datetime.date) -> QuerySet[GoalStep]:
    """For a coach's home: open steps of active goals of her caseload (and a covered one on its days), due by
    `until` (overdue ones too), soonest first. Supervisors and admins: none (they keep no caseload here)."""
    # Her women first (a caseload: tens), then their steps: given the whole reach as a subquery, the planner walked
    # every open step of the state in date order looking for hers (150,000 steps: 190 ms; this way 2).
    women = list(patients_for_logging(user).values_list("pk", flat=True))
    return (
        GoalStep.objects.filter(
            program_id=user.program_id,
            status=StepStatus.OPEN,
            due_on__lte=until,
            goal__status=GoalStatus.ACTIVE,
            goal__patient_id__in=women,
        )
        .select_related("goal__patient")
        .order_by("due_on", "goal__patient_id", "order")
    )


def can_see_barc10(user: User) -> bool:
    """Her coaches (and a cover on its days) take a woman's BARC-10 with her and read her trend; her program's
    supervisors read every one (and may take one with her). Admins never see one."""
    return user.is_active and (user.has_perm("coaching.add_barc10") or user.has_perm("coaching.view_barc10"))


def get_patient_for_barc10(user: User, pk: int) -> Patient:
    """The woman whose BARC-10s she may read: one she can see (a coach's caseload or cover, a supervisor's
    program), if her role reads them at all; 404 otherwise."""
    if not can_see_barc10(user):
        raise Http404
    return patient_permissions.get_patient_for_user(user, pk)


def patients_for_barc10(user: User) -> QuerySet[Patient]:
    """The women she may take a BARC-10 with: those she can see who are still in the program (not discharged or
    graduated), if her role takes them (coaches, supervisors)."""
    if not (user.is_active and user.has_perm("coaching.add_barc10")):
        return Patient.objects.none()
    return patient_permissions.patients_visible_to(user).exclude(
        status__in=[ProgramStatus.DISCHARGED, ProgramStatus.GRADUATED]
    )


def get_patient_for_barc10_entry(user: User, pk: int) -> Patient:
    """A woman she may take a BARC-10 with (see patients_for_barc10); 404 otherwise."""
    try:
        return patients_for_barc10(user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise Http404("No such patient.") from None


def can_enter_barc10(user: User, patient: Patient) -> bool:
    """For her BARC-10 page: may she take one with her now?"""
    return patients_for_barc10(user).filter(pk=patient.pk).exists()


def barc10s_of(user: User, patient: Patient) -> QuerySet[Barc10]:
    """Her BARC-10s, latest first, for someone who may read them (the patient came through the permission
    layer); none for anyone else."""
    if not can_see_barc10(user):
        return Barc10.objects.none()
    return Barc10.objects.filter(patient=patient, program_id=user.program_id).select_related("entered_by")


def get_barc10_for_correction(user: User, patient: Patient, pk: int) -> Barc10:
    """One of her BARC-10s that this user entered herself, while she may still take one with her: the one who
    entered it corrects it (within its window, held by the service). Anyone else, or another woman's: 404."""
    if not can_enter_barc10(user, patient):
        raise Http404
    try:
        return Barc10.objects.get(patient=patient, pk=pk, entered_by=user)
    except (Barc10.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def barc10_due_list_for(user: User) -> QuerySet[Patient]:
    """The women on her own caseload (and a covered one on its days) whose BARC-10 is due, for a coach's home.
    Supervisors read due and overdue ones on each coach's weekly queue instead; anyone else: none."""
    if user.has_perm("coaching.view_barc10") or not user.has_perm("coaching.add_barc10"):
        return Patient.objects.none()
    return patients_for_barc10(user)


def barc10s_for_reports(user: User) -> QuerySet[Barc10]:
    """Every BARC-10 of the women she may see in her program, for a supervisor's reports (counts only); none for
    anyone else."""
    if not (user.is_active and user.has_perm("coaching.view_barc10")):
        return Barc10.objects.none()
    return Barc10.objects.filter(program_id=user.program_id, patient__in=patient_permissions.patients_visible_to(user))


def barc10_due_of(user: User, patient: Patient) -> dict | None:
    """When her BARC-10s fall due (`barc10_due_on`, `barc10_last_on`, `barc10_episode_on`: see coaching.barc),
    for someone who may read them; None for anyone else. One query."""
    if not can_see_barc10(user):
        return None
    women = patient_permissions.patients_visible_to(user).filter(pk=patient.pk)
    return with_barc10_due(women).values("barc10_due_on", "barc10_last_on", "barc10_episode_on").first()
