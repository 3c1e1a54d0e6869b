"""What the pages a logged-out visitor sees need: the on-call line of her program."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from recovery_program.ids import id_or_none
from staff.models import Program

# Set at login (staff.views.accounts.LoginView), signed, so that the login page of this phone shows her program's
# on-call line after her session ended or she was locked out. It holds a program's id and nothing else.
PROGRAM_COOKIE = "program"
PROGRAM_COOKIE_SALT = "on-call-line"


def on_call_line(request):
    """`on_call_line` for the login, lockout and password pages: the number of the program this phone last
    logged in to, or of the only program there is; empty when there is none to show. Read only if shown."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return {}
    return {"on_call_line": SimpleLazyObject(lambda: _line_for(request))}


def _line_for(request) -> str:
    program_id = id_or_none(request.get_signed_cookie(PROGRAM_COOKIE, default=None, salt=PROGRAM_COOKIE_SALT))
    if program_id is not None:
        lines = Program.objects.filter(pk=program_id).values_list("on_call_line", flat=True)
    else:
        lines = Program.objects.values_list("on_call_line", flat=True)[:2]
    found = list(lines)
    return found[0] if len(found) == 1 else ""
