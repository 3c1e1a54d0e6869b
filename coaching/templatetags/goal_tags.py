"""Her recovery plan, for the patient page (patients does not import coaching).

It asks coaching.permissions, which answers None for anyone who may not read recovery plans.
"""

from __future__ import annotations

from django import template

from coaching import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def recovery_plan_summary(context, patient) -> dict | None:
    """{"goals": her active goals with their steps (two queries)}; None for who may not read her plan."""
    user = context["request"].user
    if not permissions.can_see_recovery_plans(user):
        return None
    return {"goals": list(permissions.goals_of(user, patient, active_only=True))}
