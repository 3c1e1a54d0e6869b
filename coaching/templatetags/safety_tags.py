"""Her safety plan, for the patient page (patients does not import coaching).

It asks coaching.permissions, which answers None for anyone who may not read safety plans.
"""

from __future__ import annotations

from django import template

from coaching import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def safety_plan_summary(context, patient) -> dict | None:
    """{"plan": her plan or None, "days": days since it was gone over with her}; None for who may not read it."""
    user = context["request"].user
    if not permissions.can_see_safety_plans(user):
        return None
    plan = permissions.safety_plan_of(user, patient)
    return {"plan": plan, "days": plan.days_since_review() if plan else None}
