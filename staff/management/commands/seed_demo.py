"""Invented demo data. Idempotent: running it again changes nothing.

Every name, phone number and e-mail address here is made up (phone numbers are
in the 555-01xx range kept for fiction).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from staff.models import Program, User
from staff.roles import Role
from staff.services import user_set_role

DEMO_PASSWORD = "recovery-demo-2026"
DEMO_PROGRAM = "Riverbend Family Recovery Program"

DEMO_STAFF = [
    # username, first name, last name, phone, role
    ("coach1", "Jolene", "Marsh", "603-555-0141", Role.COACH),
    ("coach2", "Tasha", "Greer", "603-555-0142", Role.COACH),
    ("supervisor1", "Ruth", "Okonkwo", "603-555-0151", Role.SUPERVISOR),
    ("supervisor2", "Elena", "Brandt", "603-555-0152", Role.SUPERVISOR),
    ("admin1", "Pat", "Lindqvist", "603-555-0161", Role.ADMIN),
]


class Command(BaseCommand):
    help = "Create the demo program and staff (all invented). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any staff account exists.")

    @transaction.atomic
    def handle(self, *args, if_empty: bool = False, **options):
        if if_empty and User.objects.exists():
            self.stdout.write("The database already has staff accounts: no demo data added.")
            return
        program, _ = Program.objects.get_or_create(name=DEMO_PROGRAM)
        for username, first_name, last_name, phone, role in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "email": f"{username}@riverbend.example.org",
                    "phone": phone,
                    "program": program,
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                user_set_role(user=user, role=role)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo account's password is {DEMO_PASSWORD!r}."))
        for username, *_rest, role in DEMO_STAFF:
            self.stdout.write(f"  {username:<12} {role.label}")
