"""Who may see and change which staff members and their training. The only place that decides it."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext

from staff.models import AccountChangeRequest, StaffEvent, TrainingKind, TrainingRecord, User
from staff.roles import CLINICAL_ROLES, Role, members_with_role


def staff_visible_to(user: User) -> QuerySet[User]:
    """Supervisors and admins see the staff of their own program; coaches see no staff list."""
    if not can_see_staff_list(user):
        return User.objects.none()
    return User.objects.filter(program_id=user.program_id).prefetch_related(
        Prefetch("groups", queryset=Group.objects.only("name"))
    )


def supervisors_reachable_by(user: User) -> QuerySet[User]:
    """Everyone may see who the active supervisors of her own program are, and how to reach them."""
    return members_with_role(Role.SUPERVISOR, program_id=user.program_id)


def supervisees_of(user: User) -> QuerySet[User]:
    """The coaches she supervises now (none for anyone who is not a supervisor).

    Read from the staff side of supervision's links (`User.supervised_by`): staff sits below supervision
    and does not import it; supervision.permissions uses this one.
    """
    return User.objects.filter(
        program_id=user.program_id,
        supervised_by__supervisor=user,
        supervised_by__ended_on__isnull=True,
    )


def supervisors_of_coach(user: User) -> QuerySet[User]:
    """Who supervises her now (her primary supervisor), read from the staff side of supervision's links as
    `supervisees_of` is: for the notices her work sends her supervisor."""
    return User.objects.filter(
        program_id=user.program_id, supervises__coach=user, supervises__ended_on__isnull=True, is_active=True
    )


def staff_counts_for(user: User) -> dict[str, int] | None:
    """Active staff of her program counted by role, for those who see the staff list; otherwise None."""
    if not user.has_perm("staff.view_program_staff"):
        return None
    counts = User.objects.filter(program_id=user.program_id, is_active=True).aggregate(
        **{role.value: Count("pk", filter=Q(groups__name=role.value), distinct=True) for role in Role}
    )
    plural = {Role.COACH: gettext("Coaches"), Role.SUPERVISOR: gettext("Supervisors"), Role.ADMIN: gettext("Admins")}
    return {plural[Role(name)]: count for name, count in counts.items()}


def can_see_staff_list(user: User) -> bool:
    """Supervisors and admins see the staff of their program."""
    return user.has_perm("staff.view_program_staff")


def can_export_compliance(user: User) -> bool:
    """Admins, who follow everyone's training."""
    return user.has_perm("staff.view_trainingrecord")


def can_manage_staff(user: User) -> bool:
    """Admins create, change and deactivate accounts of their own program."""
    return user.has_perm("staff.manage_staff")


def can_see_staff_history(user: User) -> bool:
    """Admins, who make these changes, see the staff history of their program; supervisors and coaches do not."""
    return can_manage_staff(user)


def staff_events_visible_to(user: User) -> QuerySet[StaffEvent]:
    """The staff history of her own program, for admins; none for anyone else."""
    if not can_see_staff_history(user):
        return StaffEvent.objects.none()
    return StaffEvent.objects.filter(program_id=user.program_id).select_related("actor", "subject")


def get_staff_member_for_user(user: User, pk: int) -> User:
    """A staff member of her program, for those who see the staff list; 404 otherwise."""
    try:
        return staff_visible_to(user).get(pk=pk)
    except (User.DoesNotExist, ValueError):
        raise Http404 from None


def get_staff_member_for_manager(user: User, pk: int) -> User:
    """A staff member of her program whom she may change (admins); 404 for anyone else."""
    if not can_manage_staff(user):
        raise Http404
    return get_staff_member_for_user(user, pk)


def can_propose_role_changes(user: User) -> bool:
    """Admins and supervisors propose (and approve each other's) clinical roles for their program's staff."""
    return user.has_perm("staff.propose_role_change")


def needs_a_second_person(role: Role | None) -> bool:
    """Clinical access takes two people: granting a clinical role (coach, supervisor), and changing the e-mail
    address or turning off the two-step login of someone who holds one, wait for a second person's approval."""
    return role in CLINICAL_ROLES


def can_change_role_to(user: User, role: Role) -> bool:
    """A clinical role is proposed (by admins and supervisors); any other role is given by an admin at once."""
    return can_propose_role_changes(user) if needs_a_second_person(role) else can_manage_staff(user)


def proposing_side(user: User) -> Role:
    """Which side she proposes and approves from: the admins' (who manage staff) or the supervisors'."""
    return Role.ADMIN if can_manage_staff(user) else Role.SUPERVISOR


def get_staff_member_for_proposer(user: User, pk: int) -> User:
    """A staff member of her program for whom she may propose a role (admins and supervisors); 404 otherwise."""
    if not can_propose_role_changes(user):
        raise Http404
    return get_staff_member_for_user(user, pk)


def role_changes_to_decide(user: User) -> QuerySet[AccountChangeRequest]:
    """Proposals of her program waiting for her: made from the other side (an admin's proposal goes to the
    supervisors, a supervisor's to the admins), by someone else, about someone else. None for coaches."""
    if not user.is_active or not can_propose_role_changes(user):
        return AccountChangeRequest.objects.none()
    return (
        AccountChangeRequest.objects.filter(program_id=user.program_id, status=AccountChangeRequest.Status.PENDING)
        .exclude(proposed_as=proposing_side(user))
        .exclude(proposed_by=user)
        .exclude(subject=user)
        .select_related("subject", "proposed_by")
    )


def role_change_waiting_for(user: User, member: User) -> AccountChangeRequest | None:
    """The proposal about `member` waiting for approval, for those who see her staff page; None otherwise."""
    if not can_see_staff_list(user) or member.program_id != user.program_id:
        return None
    return (
        AccountChangeRequest.objects.filter(subject=member, status=AccountChangeRequest.Status.PENDING)
        .select_related("proposed_by")
        .first()
    )


def get_role_change_for_decider(user: User, pk: int) -> AccountChangeRequest:
    """A proposal she may approve or decline (see role_changes_to_decide); 404 for anyone else."""
    try:
        return role_changes_to_decide(user).get(pk=pk)
    except (AccountChangeRequest.DoesNotExist, ValueError):
        raise Http404 from None


def can_see_training_of(user: User, member: User) -> bool:
    """Her own training record; her supervisor's look at her supervisees'; admins', at everyone's of the program."""
    if not user.is_active or member.program_id != user.program_id:
        return False
    if user.pk == member.pk or user.has_perm("staff.view_trainingrecord"):
        return True
    return supervisees_of(user).filter(pk=member.pk).exists()


def get_member_for_training(user: User, pk: int) -> User:
    try:
        member = User.objects.get(pk=pk)
    except (User.DoesNotExist, ValueError):
        raise Http404 from None
    if not can_see_training_of(user, member):
        raise Http404
    return member


def can_record_training(user: User) -> bool:
    return user.has_perm("staff.add_trainingrecord")


def get_certificate_for_user(user: User, record_pk: int) -> TrainingRecord:
    """A certificate, for the staff member herself, her supervisor and admins; 404 for anyone else."""
    try:
        record = TrainingRecord.objects.select_related("user").get(pk=record_pk)
    except (TrainingRecord.DoesNotExist, ValueError):
        raise Http404 from None
    if not record.certificate or not can_see_training_of(user, record.user):
        raise Http404
    return record


def compliance_people_for(user: User) -> QuerySet[User]:
    """Whose compliance she follows: admins, every active member of the program; supervisors, their supervisees."""
    people = User.objects.filter(program_id=user.program_id, is_active=True)
    if user.has_perm("staff.view_trainingrecord"):
        return people
    return people.filter(pk__in=supervisees_of(user).values("pk"))


def can_see_compliance(user: User) -> bool:
    return user.has_perm("staff.view_trainingrecord") or supervisees_of(user).exists()


def training_kinds_for(user: User) -> QuerySet[TrainingKind]:
    return TrainingKind.objects.filter(program_id=user.program_id)


def can_manage_training_kinds(user: User) -> bool:
    return user.has_perm("staff.change_trainingkind")
