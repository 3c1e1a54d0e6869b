"""Who supervises whom, and who may change it. The only place that decides it."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from coaching.models import Concern, ConcernStatus
from coaching.permissions import concerns_visible_to
from patients import permissions as patient_permissions
from staff.models import User
from staff.permissions import supervisees_of
from staff.roles import Role, members_with_role
from supervision import rota
from supervision.models import (
    ActionItem,
    AgendaItem,
    AgendaKind,
    DualRelationship,
    OnCallShift,
    Page,
    ShiftCover,
    SupervisionAssignment,
    SupervisionSession,
    Unavailability,
)


def current_supervisor_of(coach: User) -> User | None:
    assignment = (
        SupervisionAssignment.objects.filter(coach=coach, ended_on__isnull=True).select_related("supervisor").first()
    )
    return assignment.supervisor if assignment else None


def can_assign_supervisors(user: User) -> bool:
    """Admins and supervisors keep the supervision links of their program."""
    return user.has_perm("supervision.add_supervisionassignment")


def get_coach_for_supervision(user: User, pk: int) -> User:
    """A coach of her program whose supervisor she may set; 404 for anyone else."""
    if not can_assign_supervisors(user):
        raise Http404
    try:
        return members_with_role(Role.COACH, program_id=user.program_id, active_only=False).get(pk=pk)
    except (User.DoesNotExist, ValueError):
        raise Http404 from None


def supervision_history(coach: User) -> QuerySet[SupervisionAssignment]:
    return coach.supervised_by.select_related("supervisor", "assigned_by")


def coaches_supervised_by(user: User) -> QuerySet[User]:
    """The coaches whose weekly queue she runs: her supervisees (active ones)."""
    return supervisees_of(user).filter(is_active=True).order_by("first_name", "last_name")


def has_supervision_work(user: User, now: datetime.datetime) -> bool:
    """A coach she supervises now, or a shift on the rota (primary or backup) not over yet. A clinician who holds
    the supervisor role for her patients has neither, and her home page leaves out what would be empty."""
    mine = Q(primary=user) | Q(backup=user)
    return coaches_supervised_by(user).exists() or OnCallShift.live.filter(mine, ends_at__gt=now).exists()


def sees_program_supervision(user: User) -> bool:
    """Supervisors see supervision sessions of their program."""
    return user.has_perm("supervision.view_supervisionsession")


def get_coach_for_queue(user: User, pk: int) -> User:
    """A coach whose queue she may open: any coach of her program for a supervisor, herself for a coach; else 404."""
    try:
        coach = members_with_role(Role.COACH, program_id=user.program_id, active_only=False).get(pk=pk)
    except (User.DoesNotExist, ValueError):
        raise Http404 from None
    if coach.pk == user.pk or sees_program_supervision(user):
        return coach
    raise Http404


def sessions_visible_to(user: User) -> QuerySet[SupervisionSession]:
    """Supervisors: the sessions of their program. A coach: her own. Anyone else: none."""
    sessions = SupervisionSession.objects.filter(coach__program_id=user.program_id)
    if sees_program_supervision(user):
        return sessions
    if user.has_perm("coaching.log_encounters"):
        return sessions.filter(coach=user)
    return SupervisionSession.objects.none()


def get_session_for_user(user: User, pk: int) -> SupervisionSession:
    try:
        return sessions_visible_to(user).select_related("coach", "supervisor").get(pk=pk)
    except (SupervisionSession.DoesNotExist, ValueError):
        raise Http404 from None


def get_session_for_change(user: User, pk: int) -> SupervisionSession:
    """A session of her program that a supervisor may correct; 404 for anyone else (the coach included)."""
    if not can_change_sessions(user):
        raise Http404
    return get_session_for_user(user, pk)


def can_change_sessions(user: User) -> bool:
    """Supervisors correct the sessions of their program."""
    return user.has_perm("supervision.change_supervisionsession")


def can_record_sessions(user: User) -> bool:
    return user.has_perm("supervision.add_supervisionsession")


def can_keep_rota(user: User) -> bool:
    """Supervisors and admins keep the on-call rota."""
    return user.has_perm("supervision.add_oncallshift")


def can_change_rota(user: User) -> bool:
    """Supervisors change, swap, cover and remove their program's shifts (admins only add them; coaches neither)."""
    return user.is_active and user.has_perm("supervision.change_oncallshift")


def get_shift_for_change(user: User, pk: int) -> OnCallShift:
    """A shift on her program's rota, for a supervisor to change, swap, cover or remove; 404 for anyone else."""
    if not can_change_rota(user):
        raise Http404
    try:
        return OnCallShift.live.select_related("program", "primary", "backup").get(pk=pk, program_id=user.program_id)
    except (OnCallShift.DoesNotExist, ValueError):
        raise Http404 from None


def shifts_to_swap_with(user: User, shift: OnCallShift, now: datetime.datetime) -> QuerySet[OnCallShift]:
    """The other shifts still ahead on her program's rota with another primary, for a supervisor who swaps one."""
    if not can_change_rota(user):
        return OnCallShift.objects.none()
    return (
        OnCallShift.live.filter(program_id=user.program_id, ends_at__gt=now)
        .exclude(pk=shift.pk)
        .exclude(primary_id=shift.primary_id)
        .select_related("program", "primary")
    )


def get_cover_for_change(user: User, pk: int) -> ShiftCover:
    """A cover on her program's rota, for a supervisor to remove; 404 for anyone else."""
    if not can_change_rota(user):
        raise Http404
    try:
        return ShiftCover.live.select_related("shift__program", "substitute").get(
            pk=pk, shift__program_id=user.program_id, shift__removed_at__isnull=True
        )
    except (ShiftCover.DoesNotExist, ValueError):
        raise Http404 from None


def rota_gaps_for(user: User, now: datetime.datetime) -> list[tuple[rota.ShiftRow, rota.Span]]:
    """Supervisors: the hours of the coming week with no one on call (the primary away, nobody covering), for their
    home page. Anyone else: none."""
    if not can_change_rota(user):
        return []
    return rota.needs_cover_soon(user.program, now)


def can_mark_unavailable(user: User) -> bool:
    """A supervisor marks the days she cannot answer pages (she is on the rota; others are not)."""
    return user.is_active and user.has_perm("supervision.add_unavailability")


def unavailability_of(user: User) -> QuerySet[Unavailability]:
    """Her own days away, still to come or under way; none for anyone who does not mark them."""
    if not can_mark_unavailable(user):
        return Unavailability.objects.none()
    return Unavailability.live.filter(supervisor=user)


def get_own_unavailability(user: User, pk: int) -> Unavailability:
    """One of her own days away; 404 for anyone else's."""
    try:
        return unavailability_of(user).get(pk=pk)
    except (Unavailability.DoesNotExist, ValueError):
        raise Http404 from None


ON_CALL_RELATED = ("patient", "coach", "program", "acknowledged_by")


def answers_pages(user: User) -> bool:
    """Supervisors answer pages about their program's concerns (coaches and admins do not)."""
    return user.is_active and user.has_perm("coaching.change_concern")


def get_page_for_user(user: User, pk: int) -> Page:
    """A page, for the supervisors of its program (the link in the message); 404 for anyone else."""
    if not answers_pages(user):
        raise Http404
    try:
        return Page.objects.select_related(*(f"concern__{name}" for name in ON_CALL_RELATED)).get(
            pk=pk, concern__program_id=user.program_id
        )
    except (Page.DoesNotExist, ValueError):
        raise Http404 from None


def get_concern_for_on_call(user: User, pk: int) -> Concern:
    """A concern of her program, for a supervisor answering it on call (the on-call page); 404 for anyone else."""
    if not answers_pages(user):
        raise Http404
    try:
        return concerns_visible_to(user).select_related(*ON_CALL_RELATED).get(pk=pk)
    except (Concern.DoesNotExist, ValueError):
        raise Http404 from None


def pages_of(concern: Concern) -> QuerySet[Page]:
    """Every page about a concern, oldest first, with its recipient: for the supervisors who may open it."""
    return concern.pages.select_related("recipient").order_by("created_at", "step", "round", "id")


def failed_pages_for(user: User) -> QuerySet[Page]:
    """Supervisors: pages about their program's open concerns that could not be delivered, so that someone
    calls instead. Anyone else: none."""
    if not user.has_perm("coaching.change_concern"):
        return Page.objects.none()
    return (
        Page.objects.filter(status=Page.Status.FAILED, concern__program_id=user.program_id)
        .exclude(concern__status=ConcernStatus.CLOSED)
        .select_related("recipient")
        .order_by("-failed_at", "-id")
    )


def held_pages_for(user: User) -> QuerySet[Page]:
    """Supervisors: pages about their program's concerns held after a restore of the database, for one of them to
    send now or drop as no longer needed. Anyone else: none."""
    if not answers_pages(user):
        return Page.objects.none()
    return (
        Page.objects.filter(status=Page.Status.HELD, concern__program_id=user.program_id)
        .select_related("recipient")
        .order_by("created_at", "id")
    )


def get_held_page_for_user(user: User, pk: int) -> Page:
    """A held page of her program, for a supervisor to send or drop; 404 for anyone else or a page not held."""
    try:
        return held_pages_for(user).select_related("concern__patient").get(pk=pk)
    except (Page.DoesNotExist, ValueError):
        raise Http404 from None


def sees_only_shared_parts(user: User, session: SupervisionSession) -> bool:
    """The coach a session was with sees its notes for her and the cases marked for her, nothing else."""
    return not sees_program_supervision(user)


def needs_a_supervisor(member: User) -> bool:
    """Coaches have a primary supervisor; other staff do not."""
    return member.role == Role.COACH


def can_assign_supervisor_of(user: User, member: User) -> bool:
    return can_assign_supervisors(user) and needs_a_supervisor(member) and member.program_id == user.program_id


def get_action_item_for_update(user: User, pk: int) -> ActionItem:
    """An open action item she may tick off: supervisors of the program, or the coach it was given to. 404 else."""
    try:
        item = ActionItem.objects.select_related("session").get(
            pk=pk, session__in=sessions_visible_to(user), done_at__isnull=True
        )
    except (ActionItem.DoesNotExist, ValueError):
        raise Http404 from None
    if not (sees_program_supervision(user) or item.owner_id == user.pk):
        raise Http404
    return item


def can_add_agenda_items(user: User) -> bool:
    """Coaches bring their own questions to supervision."""
    return user.has_perm("supervision.add_agendaitem")


def sees_supervision(user: User) -> bool:
    """Supervisors run weekly supervision; coaches keep their own agenda."""
    return sees_program_supervision(user) or can_add_agenda_items(user)


def is_linked_supervisor(user: User, coach: User) -> bool:
    """She supervises this coach now (an open SupervisionAssignment): a private check-in is for her eyes."""
    return SupervisionAssignment.objects.filter(supervisor=user, coach=coach, ended_on__isnull=True).exists()


def reads_check_ins_of(user: User, coach: User) -> bool:
    """A coach's private check-ins are read by the coach herself and by the supervisors linked to her now;
    never by another coach, another supervisor of the program, or an admin."""
    if not user.is_active:
        return False
    return user.pk == coach.pk or (sees_program_supervision(user) and is_linked_supervisor(user, coach))


def agenda_of(user: User, coach: User) -> QuerySet[AgendaItem]:
    """Her open agenda as `user` may read it (a coach's queue is open to the program's supervisors; her
    check-ins only to those who read them)."""
    items = AgendaItem.objects.filter(coach=coach, discussed_in__isnull=True)
    if not reads_check_ins_of(user, coach):
        items = items.exclude(kind=AgendaKind.CHECK_IN)
    return items


def can_answer_boundary_questions(user: User) -> bool:
    """Supervisors record how a coach's boundary question was answered."""
    return user.has_perm("supervision.change_agendaitem")


def get_boundary_question_for_answer(user: User, pk: int) -> AgendaItem:
    """A boundary question of a coach of her program, for a supervisor; 404 for anyone else."""
    if not can_answer_boundary_questions(user):
        raise Http404
    try:
        return AgendaItem.objects.select_related("coach").get(
            pk=pk, kind=AgendaKind.BOUNDARY, coach__program_id=user.program_id
        )
    except (AgendaItem.DoesNotExist, ValueError):
        raise Http404 from None


def can_declare_dual_relationships(user: User) -> bool:
    """Coaches declare that they know a woman of their caseload outside the program."""
    return user.has_perm("supervision.add_dualrelationship")


def can_decide_dual_relationships(user: User) -> bool:
    """Supervisors decide how a declared dual relationship is handled."""
    return user.has_perm("supervision.change_dualrelationship")


def dual_relationships_visible_to(user: User) -> QuerySet[DualRelationship]:
    """A record about the patient: those who see her see it (supervisors of her program; her coach, for the women
    on her caseload, her own declarations only). Anyone else: none."""
    patients = patient_permissions.patients_visible_to(user)
    declared = DualRelationship.objects.filter(patient__in=patients)
    if can_decide_dual_relationships(user):
        return declared
    if can_declare_dual_relationships(user):
        return declared.filter(coach=user)
    return DualRelationship.objects.none()


def own_declarations(user: User) -> QuerySet[DualRelationship]:
    """The coach's own declarations, those about women no longer on her caseload included: she sees that it was
    decided, and the name only while the woman is hers (the view asks `dual_relationships_visible_to`)."""
    if not can_declare_dual_relationships(user):
        return DualRelationship.objects.none()
    return DualRelationship.objects.filter(coach=user)


def get_dual_relationship_for_decision(user: User, pk: int) -> DualRelationship:
    """A declaration about a patient of her program, for a supervisor to decide; 404 for anyone else."""
    if not can_decide_dual_relationships(user):
        raise Http404
    try:
        return dual_relationships_visible_to(user).select_related("coach", "patient").get(pk=pk)
    except (DualRelationship.DoesNotExist, ValueError):
        raise Http404 from None


def sees_outside_hours_of(user: User, coach: User) -> bool:
    """Her after-hours and weekend hours: the coach herself, and the supervisors of her program."""
    return user.pk == coach.pk or (sees_program_supervision(user) and user.program_id == coach.program_id)
