"""Her BARC-10, for the patient page and the coach's home (patients and workspace templates ask coaching here).

It asks coaching.permissions, which answers None for anyone who may not read BARC-10s.
"""

from __future__ import annotations

from django import template
from django.utils import timezone

from coaching import permissions
from coaching.barc import barc10_due

register = template.Library()

# How many women the coach's home lists as due; the rest are counted.
DUE_SHOWN = 10


@register.simple_tag(takes_context=True)
def barc10_summary(context, patient) -> dict | None:
    """{"due_on": when her next one is due (None: none owed), "last_on": her latest, "due": due today or
    before}; None for who may not read BARC-10s. One query."""
    user = context["request"].user
    if not permissions.can_see_barc10(user):
        return None
    row = permissions.barc10_due_of(user, patient)
    if row is None:
        return None
    due_on = row["barc10_due_on"]
    due = due_on is not None and due_on <= timezone.localdate()
    return {"due_on": due_on, "last_on": row["barc10_last_on"], "due": due}


@register.simple_tag(takes_context=True)
def barc10_due_home(context) -> dict | None:
    """The women of her caseload whose BARC-10 is due (the first DUE_SHOWN, longest waiting first, and how many
    in all), for a coach's home; None when there are none or she is not a coach. Two queries."""
    user = context["request"].user
    due = barc10_due(permissions.barc10_due_list_for(user), timezone.localdate())
    shown = list(due[:DUE_SHOWN])
    if not shown:
        return None
    return {"shown": shown, "count": due.count()}
