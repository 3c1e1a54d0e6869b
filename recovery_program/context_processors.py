"""The words the page's scripts show (static/js/*.js), in her language: base.html puts them in the page as JSON
(`json_script`, which the Content-Security-Policy allows: it is data, not script), and the scripts read them from
there, with their own English when the page has none. `{count}`, `{kind}`, `{when}` are filled in by the script."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

UI_STRINGS = {
    # forms.js: one tap saves once.
    "saving": _("Saving…"),
    "noConnection": _("Not sent: no connection. Your text is still here. Try again."),
    "serverTrouble": _("Not saved: something went wrong on our side. Your text is still here. Try again in a moment."),
    "refused": _("Not saved. Your text is still here. Reload the page if it happens again."),
    "slow": _(
        "Still sending… If nothing happens, check your signal. Your text is still here; you can press the button again."
    ),
    # keep.js: what she types is kept on this phone.
    "keptNoConnection": _("Not saved: no connection — kept on this phone."),
    "keptSessionEnded": _("Not saved: session ended — kept on this phone."),
    "keptServerError": _("Not saved: the server did not answer — kept on this phone. It is tried again as you type."),
    # offline.js: entries saved with no signal.
    "kindEncounter": _("Encounter"),
    "kindConcern": _("Concern for your supervisor"),
    "kindEntry": _("Entry"),
    "refusedGone": _(
        "It could not be saved: the patient is no longer on your caseload, or it is no longer yours to log."
    ),
    "refusedForbidden": _("It could not be saved: it was refused."),
    "mistake": _("It could not be saved as it is:"),
    "notSaved": _("It could not be saved."),
    "notSavedEntry": _("Not saved: {kind}, written {when}."),
    "whatYouWrote": _("What you wrote, to copy"),
    "discard": _("Discard it"),
    "discardSure": _("Tap again to remove it from this phone for good"),
    "waitingToSend": _("Waiting to send ({count})"),
    "keptUntilSignal": _("Kept on this phone. Sent by itself when there is signal."),
    "sent": _("Sent."),
    "sentSaved": _("What was waiting on this phone is saved ({count})."),
    "noSignal": _("No signal."),
    "formKept": _("This form was kept on this phone. What you save is sent when there is signal."),
    "logOutAnyway": _("{count} not sent yet will be removed from this phone. Log out anyway?"),
}


def ui_strings(request) -> dict:
    return {"ui_strings": UI_STRINGS}
