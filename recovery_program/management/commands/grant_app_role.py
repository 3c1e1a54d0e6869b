"""Creates the app's database role, which reads and writes rows but owns nothing (see README, "Database roles")."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand

from recovery_program.database_roles import grant_app_role


class Command(BaseCommand):
    help = (
        "Run as the database owner, after migrate: creates or updates the app's login role with SELECT, INSERT, "
        "UPDATE and DELETE on the tables and USAGE on the sequences, now and for later migrations; no TRUNCATE, "
        "no ownership. Its password is read from the environment variable named by --password-env."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the app's role, e.g. recovery_app")
        parser.add_argument("--password-env", default="APP_DATABASE_PASSWORD", help="where its password is")

    def handle(self, *args, name, password_env, **options):
        grant_app_role(name, os.environ.get(password_env) or None)
        self.stdout.write(f"The role {name} may read and write rows, and nothing more.")
