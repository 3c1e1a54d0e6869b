"""Fills an empty database with a state's worth of invented data, for benchmarks (docs/performance.md).

Programs of uneven size (a few large, many small, as in a state), each with its supervisors, coaches, patients on
caseloads, and, time-ordered over the last two years, encounters, concerns and access-log rows. The big tables are
written by INSERT ... SELECT over generate_series, in PostgreSQL, with the database's triggers off for the load
(history, no-delete, the access log's seal): a state in minutes. Every column the command does not name takes its
field's default, so a field added later with a default needs nothing here.

Never on a real database: it refuses to run unless DEBUG is on and the database holds no patient yet.

    manage.py seed_scale --programs 50 --coaches 500 --supervisors 120 --patients 25000 \\
        --encounters 2500000 --concerns 100000 --access-log 5000000
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from coaching.models import (
    Barc10,
    Barc10Occasion,
    Concern,
    Encounter,
    EncounterPatient,
    GoalArea,
    GoalStep,
    RecoveryGoal,
    SafetyPlan,
)
from patients.models import (
    CoachAssignment,
    Episode,
    GrantInterview,
    InterviewKind,
    Patient,
    PatientUserObjectPermission,
    Pregnancy,
)
from patients.permissions import CASELOAD_PERMISSIONS
from recovery_program.models import AccessLog
from staff.models import Program, User
from staff.roles import Role
from supervision.models import SupervisionAssignment

# Every account made here logs in with this password (a benchmark's users; the data is invented).
PASSWORD = "scale-test-password-1"  # noqa: S105 (invented accounts of a benchmark database)

# How uneven the programs are: program i gets a share proportional to 1 / (i + 1) ** SKEW.
SKEW = 0.8

# The history the data spans, newest now.
SPAN = datetime.timedelta(days=730)


@dataclass
class ProgramShape:
    program: Program
    supervisors: list[int]
    coaches: list[int]
    patients: int = 0
    first_patient: int = 0
    encounters: int = 0
    concerns: int = 0
    access_log: int = 0


def shares(total: int, weights: list[float], *, at_least: int) -> list[int]:
    """`total` split by `weights`, each at least `at_least`, adding up to total (or to len * at_least, if more)."""
    scale = sum(weights)
    counts = [max(at_least, int(total * weight / scale)) for weight in weights]
    counts[0] += max(0, total - sum(counts))
    return counts


def insert_select(model: type[models.Model], columns: dict[str, str], source: str, params: list | tuple = ()) -> int:
    """INSERT INTO the model's table SELECT the given SQL for `columns` FROM `source`; every other column is its
    field's default (a fresh UUID for a UUID field, now() for a creation time), or NULL."""
    names, expressions, values = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in columns:
            expression = columns[field.column]
        elif field.primary_key:
            continue
        elif isinstance(field, models.UUIDField) and field.has_default():
            expression = "gen_random_uuid()"
        elif field.has_default():
            expression = "%s"
            values.append(field.get_db_prep_save(field.get_default(), connection))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            expression = "now()"
        elif field.null:
            expression = "NULL"
        elif isinstance(field, models.CharField | models.TextField) and field.blank:
            expression = "''"
        else:
            raise CommandError(f"seed_scale does not know what to put in {model.__name__}.{field.name}.")
        names.append(connection.ops.quote_name(field.column))
        expressions.append(expression)
    table = connection.ops.quote_name(model._meta.db_table)
    sql = f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(expressions)} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        return cursor.rowcount


def reserve_ids(model: type[models.Model], count: int) -> int:
    """The first of `count` ids taken from the table's sequence for rows inserted with explicit ids."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


class Command(BaseCommand):
    help = "Fills an empty benchmark database with a state's worth of invented programs, staff and records."

    def add_arguments(self, parser):
        parser.add_argument("--programs", type=int, default=50)
        parser.add_argument("--supervisors", type=int, default=120)
        parser.add_argument("--coaches", type=int, default=500)
        parser.add_argument("--patients", type=int, default=25_000)
        parser.add_argument("--encounters", type=int, default=2_500_000)
        parser.add_argument("--concerns", type=int, default=100_000)
        parser.add_argument("--access-log", type=int, default=5_000_000)

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_scale fills a benchmark database: run it with DEBUG=true, never on real data.")
        if Patient.objects.exists():
            raise CommandError("seed_scale needs a database with no patients (migrate a new one).")
        if options["programs"] < 1 or options["coaches"] < options["programs"]:
            raise CommandError("Give at least one program, and at least one coach per program.")
        self.now = timezone.now()
        started = time.monotonic()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")  # no triggers during the load
            shapes = self._staff(options)
            self._patients(shapes, options["patients"])
            self._interviews()
            self._her_records()
            self._encounters(shapes, options["encounters"])
            self._concerns(shapes, options["concerns"])
            self._access_log(shapes, options["access_log"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"Seeded {len(shapes)} programs in {time.monotonic() - started:.0f} s: every account's password is "
            f"{PASSWORD!r}; usernames like p1-coach1, p1-supervisor1, p1-admin."
        )

    def _say(self, what: str, count: int) -> None:
        self.stdout.write(f"  {count:>10,} {what}")

    def _staff(self, options) -> list[ProgramShape]:
        count = options["programs"]
        weights = [1 / (index + 1) ** SKEW for index in range(count)]
        coaches = shares(options["coaches"], weights, at_least=1)
        supervisors = shares(options["supervisors"], weights, at_least=1)
        programs = Program.objects.bulk_create(
            [Program(name=f"Scale program {index + 1}", time_zone="America/New_York") for index in range(count)]
        )
        password = make_password(PASSWORD)
        groups = {role: Group.objects.get(name=role.value) for role in Role}
        users, roles = [], []
        for number, program in enumerate(programs, start=1):
            for role, how_many in ((Role.SUPERVISOR, supervisors[number - 1]), (Role.COACH, coaches[number - 1])):
                for index in range(1, how_many + 1):
                    name = f"p{number}-{role.value}{index}"
                    users.append(self._user(program, name, password, role))
                    roles.append(role)
            users.append(self._user(program, f"p{number}-admin", password, Role.ADMIN))
            roles.append(Role.ADMIN)
        users = User.objects.bulk_create(users, batch_size=2000)
        User.groups.through.objects.bulk_create(
            [
                User.groups.through(user_id=user.pk, group_id=groups[role].pk)
                for user, role in zip(users, roles, strict=True)
            ]
        )
        shapes = {program.pk: ProgramShape(program, [], []) for program in programs}
        for user, role in zip(users, roles, strict=True):
            if role == Role.SUPERVISOR:
                shapes[user.program_id].supervisors.append(user.pk)
            elif role == Role.COACH:
                shapes[user.program_id].coaches.append(user.pk)
        SupervisionAssignment.objects.bulk_create(
            [
                SupervisionAssignment(
                    program_id=shape.program.pk,
                    coach_id=coach,
                    supervisor_id=shape.supervisors[index % len(shape.supervisors)],
                    started_on=(self.now - SPAN).date(),
                    assigned_by_id=shape.supervisors[0],
                )
                for shape in shapes.values()
                for index, coach in enumerate(shape.coaches)
            ],
            batch_size=2000,
        )
        self._say("staff accounts", len(users))
        return list(shapes.values())

    def _user(self, program: Program, username: str, password: str, role: Role) -> User:
        return User(
            username=username,
            password=password,
            first_name=role.label,
            last_name=username,
            email=f"{username}@example.org",
            program=program,
            start_date=(self.now - SPAN).date(),
        )

    def _patients(self, shapes: list[ProgramShape], total: int) -> None:
        """Caseloads: a program's patients go round its coaches; ids are consecutive within a program. Enrollments
        spread over two years however few the women (g * 37 steps through the 700 days)."""
        counts = shares(total, [len(shape.coaches) for shape in shapes], at_least=1)
        start = reserve_ids(Patient, sum(counts))
        for shape, count in zip(shapes, counts, strict=True):
            shape.patients, shape.first_patient = count, start
            rows = f"(SELECT g, %s::date AS today FROM generate_series(0, {count - 1}) AS g) AS s"  # noqa: S608 (ints)
            insert_select(
                Patient,
                {
                    "id": f"{start} + g",
                    "program_id": str(shape.program.pk),
                    "legal_name": f"'Scale patient ' || ({start} + g)",
                    "date_of_birth": "today - (7000 + mod(g, 5000))",
                    "enrollment_date": "today - mod(g * 37, 700)",
                    "status": "CASE WHEN mod(g, 12) = 0 THEN 'disconnected' ELSE 'active' END",
                    "clinical_provider_id": f"{_pick(shape.supervisors, 'g')}",
                    # A birth's pregnancy was due the day she delivered (as enrolling with a delivery date records it).
                    "due_date": "CASE WHEN mod(g, 3) = 0 THEN today + mod(g, 200) "
                    "WHEN mod(g, 3) = 1 THEN today - mod(g, 300) END",
                    "delivery_date": "CASE WHEN mod(g, 3) = 1 THEN today - mod(g, 300) END",
                },
                rows,
                [self.now.date()],
            )
            insert_select(
                CoachAssignment,
                {
                    "program_id": str(shape.program.pk),
                    "patient_id": f"{start} + g",
                    "coach_id": _pick(shape.coaches, "g"),
                    "started_on": "today - mod(g * 37, 700)",
                    "assigned_by_id": str(shape.supervisors[0]),
                },
                rows,
                [self.now.date()],
            )
            start += count
        # Each woman's one episode of care, from her enrollment (as migrations give existing women).
        insert_select(
            Episode,
            {"program_id": "p.program_id", "patient_id": "p.id", "started_on": "p.enrollment_date"},
            f"{Patient._meta.db_table} AS p",
        )
        permissions = list(
            Permission.objects.filter(
                content_type__app_label="patients", codename__in=[p.split(".")[1] for p in CASELOAD_PERMISSIONS]
            ).values_list("pk", flat=True)
        )
        insert_select(
            PatientUserObjectPermission,
            {
                "program_id": "a.program_id",
                "permission_id": "perm",
                "user_id": "a.coach_id",
                "content_object_id": "a.patient_id",
            },
            f"{CoachAssignment._meta.db_table} AS a CROSS JOIN unnest(%s::int[]) AS perm",
            [permissions],
        )
        self._say("patients, each on a coach's caseload", sum(counts))

    def _interviews(self) -> None:
        """The grant's interviews as a program keeps them: the intake within ten days of enrolling (none yet for
        one woman in 25, and for women enrolled in the last two weeks), and the follow-up for four in five of those
        whose window has opened, at six months or today. The episodes' copies are set here (triggers are off)."""
        episodes, assignments = Episode._meta.db_table, CoachAssignment._meta.db_table
        today = f"'{self.now.date().isoformat()}'::date"  # a literal: insert_select's defaults take the %s
        source = f"{episodes} AS e JOIN {assignments} AS a ON a.patient_id = e.patient_id"
        intakes = insert_select(
            GrantInterview,
            {
                "program_id": "e.program_id",
                "patient_id": "e.patient_id",
                "episode_id": "e.id",
                "kind": f"'{InterviewKind.INTAKE.value}'",
                "dated_on": f"LEAST(e.started_on + mod(e.id, 10)::int, {today})",
                "recorded_by_id": "a.coach_id",
            },
            f"{source} WHERE mod(e.id, 25) <> 0 AND e.started_on <= {today} - 14",
        )
        intake_table = GrantInterview._meta.db_table
        follow_ups = insert_select(
            GrantInterview,
            {
                "program_id": "i.program_id",
                "patient_id": "i.patient_id",
                "episode_id": "i.episode_id",
                "kind": f"'{InterviewKind.FOLLOW_UP.value}'",
                "dated_on": f"LEAST((i.dated_on + interval '6 months')::date, {today})",
                "recorded_by_id": "i.recorded_by_id",
            },
            f"{intake_table} AS i WHERE i.kind = '{InterviewKind.INTAKE.value}' AND mod(i.episode_id, 5) <> 0 "
            f"AND (i.dated_on + interval '5 months')::date <= {today}",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {episodes} AS e SET intake_on = i.dated_on, follow_up_recorded = EXISTS ("  # noqa: S608
                f"SELECT 1 FROM {intake_table} AS f WHERE f.episode_id = e.id AND f.kind = %s) "
                f"FROM {intake_table} AS i WHERE i.episode_id = e.id AND i.kind = %s",
                [InterviewKind.FOLLOW_UP.value, InterviewKind.INTAKE.value],
            )
        self._say("grant interviews (intake and follow-up)", intakes + follow_ups)

    def _her_records(self) -> None:
        """What her page and her coach's home show besides encounters, as a program keeps them: her pregnancies
        (her due and delivery dates), a safety plan for every other woman (reviewed within the last 200 days), a
        BARC-10 every 90 days since she enrolled, and two recovery goals of three steps each, some due this week."""
        today = f"'{self.now.date().isoformat()}'::date"  # a literal: insert_select's defaults take the %s
        patients, assignments = Patient._meta.db_table, CoachAssignment._meta.db_table
        women = f"{patients} AS p JOIN {assignments} AS a ON a.patient_id = p.id"
        pregnancies = insert_select(
            Pregnancy,
            {
                "program_id": "p.program_id",
                "patient_id": "p.id",
                "due_date": "coalesce(p.due_date, p.delivery_date)",
                "delivery_date": "p.delivery_date",
                "created_at": "now()",
                "updated_at": "now()",
            },
            f"{patients} AS p WHERE p.due_date IS NOT NULL OR p.delivery_date IS NOT NULL",
        )
        plans = insert_select(
            SafetyPlan,
            {
                "program_id": "p.program_id",
                "patient_id": "p.id",
                "warning_signs": "'Stops answering her phone; talks about old friends.'",
                "what_helps": "'Calling her sister; the Tuesday meeting.'",
                "reviewed_at": f"({today} - mod(p.id, 200)::int)::timestamptz",
                "reviewed_by_id": "a.coach_id",
                "created_by_id": "a.coach_id",
            },
            f"{women} WHERE mod(p.id, 2) = 0",
        )
        # One every 90 days since she enrolled; all ten answers alike (the total is their sum, as the CHECK holds).
        answer = "(1 + mod(p.id + k, 6))"
        barcs = insert_select(
            Barc10,
            {
                "program_id": "p.program_id",
                "patient_id": "p.id",
                "taken_on": "p.enrollment_date + 90 * k::int",
                "occasion": f"CASE WHEN k = 0 THEN '{Barc10Occasion.INTAKE.value}' "
                f"ELSE '{Barc10Occasion.NINETY_DAY.value}' END",
                **{f"item_{n}": answer for n in range(1, 11)},
                "total": f"10 * {answer}",
                "entered_by_id": "a.coach_id",
            },
            f"{women} CROSS JOIN LATERAL generate_series(0, ({today} - p.enrollment_date) / 90) AS k",
        )
        areas = "ARRAY[" + ", ".join(f"'{area.value}'" for area in GoalArea) + "]"  # literals, as `today`
        goals = insert_select(
            RecoveryGoal,
            {
                "program_id": "p.program_id",
                "patient_id": "p.id",
                "area": f"({areas})[1 + mod(p.id + n, {len(GoalArea)})]",
                "in_her_words": "'To keep the apartment and have my kids over on Sundays.'",
                "created_by_id": "a.coach_id",
            },
            f"{women} CROSS JOIN generate_series(0, 1) AS n",
        )
        steps = insert_select(
            GoalStep,
            {
                "program_id": "g.program_id",
                "goal_id": "g.id",
                "what": "'Call the housing office'",
                "due_on": f"{today} + mod(g.id * 7 + o, 40)::int - 10",
                "order": "o",
                "created_by_id": "g.created_by_id",
            },
            f"{RecoveryGoal._meta.db_table} AS g CROSS JOIN generate_series(1, 3) AS o",
        )
        self._say(
            "pregnancies, safety plans, BARC-10s, recovery goals and steps", pregnancies + plans + barcs + goals + steps
        )

    def _rows(self, shape: ProgramShape, count: int, spread: int) -> str:
        """Rows g = 0 .. count - 1, oldest first, each with `now_at`, a moment `at` (row g of n happened (n - g) / n
        of SPAN ago), a patient of the program (spread over them by `spread`) and her coach: patient k of the
        program is on the caseload of coach k mod coaches (see _patients). Its parameters: ROWS_PARAMS."""
        k = f"mod(g::bigint * {spread}, {shape.patients})"
        return (
            f"(SELECT g, n.now_at, n.now_at - ({count} - g) * (n.span / {count}) AS at, "  # noqa: S608 (ints)
            f"{shape.first_patient} + {k} AS patient, {_pick(shape.coaches, k)} AS coach "
            f"FROM (SELECT %s::timestamptz AS now_at, %s::interval AS span) AS n "
            f"CROSS JOIN generate_series(0, {count - 1}) AS g) AS s"
        )

    def _encounters(self, shapes: list[ProgramShape], total: int) -> None:
        counts = shares(total, [shape.patients for shape in shapes], at_least=1)
        start = reserve_ids(Encounter, sum(counts))
        kinds = "ARRAY['community', 'phone', 'group', 'twelve_step', 'family_resource', 'medical']"
        for shape, count in zip(shapes, counts, strict=True):
            rows = self._rows(shape, count, 7919)
            insert_select(
                Encounter,
                {
                    "id": f"{start} + g",
                    "program_id": str(shape.program.pk),
                    "coach_id": "coach",
                    "kind": f"({kinds})[1 + mod(g, 6)]",
                    "occurred_at": "at",
                    "duration_minutes": "15 + mod(g, 6) * 15",
                    "summary": "'Checked in about her week.'",
                    "created_at": "LEAST(at + interval '1 hour', now_at)",
                    "updated_at": "LEAST(at + interval '1 hour', now_at)",
                },
                rows,
                [self.now, SPAN],
            )
            insert_select(
                EncounterPatient,
                {
                    "program_id": str(shape.program.pk),
                    "encounter_id": f"{start} + g",
                    "patient_id": "patient",
                    # The encounter's copies (triggers are off for the load); no kind above is an outreach attempt.
                    "occurred_at": "at",
                    "reached": "true",
                },
                rows,
                [self.now, SPAN],
            )
            shape.encounters = count
            start += count
        self._say("encounters, time-ordered over two years", sum(counts))

    def _concerns(self, shapes: list[ProgramShape], total: int) -> None:
        counts = shares(total, [shape.patients for shape in shapes], at_least=1)
        for shape, count in zip(shapes, counts, strict=True):
            # Older than two weeks: closed three days after. Any not routine: seen within the hour (none pages).
            old = "at < now_at - interval '14 days'"
            seen = f"({old} OR mod(g, 5) = 0)"
            supervisor = _pick(shape.supervisors, "g")
            insert_select(
                Concern,
                {
                    "program_id": str(shape.program.pk),
                    "patient_id": "patient",
                    "coach_id": "coach",
                    "category": "(ARRAY['basic_needs', 'return_to_use', 'disconnected', 'patient_request'])"
                    "[1 + mod(g, 4)]",
                    "description": "'Needs help with housing.'",
                    "urgency": "CASE WHEN mod(g, 50) = 0 THEN 'urgent_now' WHEN mod(g, 5) = 0 THEN 'within_24h' "
                    "ELSE 'routine' END",
                    "status": f"CASE WHEN {old} THEN 'closed' WHEN {seen} THEN 'seen' ELSE 'shared' END",
                    "created_at": "at",
                    "acknowledged_at": f"CASE WHEN {seen} THEN at + interval '1 hour' END",
                    "acknowledged_by_id": f"CASE WHEN {seen} THEN {supervisor} END",
                    "closed_at": f"CASE WHEN {old} THEN at + interval '3 days' END",
                    "closed_by_id": f"CASE WHEN {old} THEN {supervisor} END",
                    "close_reason": f"CASE WHEN {old} THEN 'Talked it through.' ELSE '' END",
                },
                self._rows(shape, count, 104729),
                [self.now, SPAN],
            )
            shape.concerns = count
        self._say("concerns, those older than two weeks closed", sum(counts))

    def _access_log(self, shapes: list[ProgramShape], total: int) -> None:
        counts = shares(total, [shape.patients for shape in shapes], at_least=1)
        for shape, count in zip(shapes, counts, strict=True):
            insert_select(
                AccessLog,
                {
                    "at": "at",
                    "user_id": "coach",
                    "action": "'view'",
                    "patient_id": "patient",
                    "record_type": "(ARRAY['patient', 'encounter', 'caseload', 'concern'])[1 + mod(g, 4)]",
                },
                self._rows(shape, count, 31),
                [self.now, SPAN],
            )
            shape.access_log = count
        self._say("access-log rows", sum(counts))


def _pick(ids: list[int], index: str) -> str:
    """SQL for the id at `index` (mod their number) of a list of ids, written into the statement (they are ints)."""
    return f"(ARRAY[{', '.join(str(int(pk)) for pk in ids)}]::bigint[])[1 + mod({index}, {len(ids)})]"
