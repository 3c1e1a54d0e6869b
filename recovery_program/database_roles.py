"""The two database roles: the owner, who runs migrations, and the app's role, which only reads and writes rows.

The app's role owns no table, so it cannot TRUNCATE, ALTER TABLE ... DISABLE TRIGGER or drop a trigger.
pgtrigger lets any session skip a trigger by setting `pgtrigger.ignore` (a setting no privilege can deny), and
compiles that check into every trigger it installs (append-only, no-delete, pghistory's); so the function that
check calls is replaced after every migrate by one that honours the setting only for a role that could disable
the trigger anyway: its table's owner, or a superuser.
"""

from __future__ import annotations

from django.db import connection, connections

# Tables the app only adds to and reads: its role may not UPDATE or DELETE there at all (their triggers refuse
# it to everyone else, the owner included, unless set aside).
INSERT_ONLY_TABLES = ("recovery_program_accesslogseal",)
# Tables only the owner writes (`manage.py access_log_archive` runs as the owner): the app's role only reads them.
READ_ONLY_TABLES = ("recovery_program_accesslogarchive",)

# Same name and signature as pgtrigger's; its body adds the owner check. Each `pgtrigger` install during a
# migration puts the permissive one back, so `harden_trigger_ignore` runs after every migrate (apps.py).
HARDENED_IGNORE_FUNCTION = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME)
RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
    BEGIN
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NULL OR NOT (trigger_name = ANY(_pgtrigger_ignore)) THEN
            RETURN FALSE;
        END IF;
        RETURN EXISTS (
            SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE t.tgname = trigger_name AND pg_has_role(current_user, c.relowner, 'USAGE')
        );
    END;
$$ LANGUAGE plpgsql;
"""


def harden_trigger_ignore(using: str = "default", **kwargs) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute(HARDENED_IGNORE_FUNCTION)


def grant_app_role(name: str, password: str | None) -> None:
    """Creates (or updates) the app's login role with the rights it needs on this database, and no more.

    Run as the owner of the tables (who runs `migrate`): the grants cover the tables and sequences there now,
    and the default privileges cover those its later migrations create. On the seals of the access log
    (INSERT_ONLY_TABLES) it may only INSERT and SELECT, on the record of archived months (READ_ONLY_TABLES) only
    SELECT: run it again after every migrate.
    """
    quote = connection.ops.quote_name
    role, database = quote(name), quote(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT")
        if password:
            cursor.execute(f"ALTER ROLE {role} PASSWORD %s", [password])
        for statement in (
            f"GRANT CONNECT ON DATABASE {database} TO {role}",
            f"GRANT USAGE ON SCHEMA public TO {role}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
            *(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {role}" for table in INSERT_ONLY_TABLES),
            *(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {role}" for table in READ_ONLY_TABLES),
        ):
            cursor.execute(statement)
