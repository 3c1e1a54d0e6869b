"""What supervisors recorded, for pages of the apps below referrals (patients, coaching), which do not import it.

Each asks referrals.permissions, which answers None for anyone who may not see clinical actions.
"""

from __future__ import annotations

from django import template

from referrals import permissions

register = template.Library()


@register.simple_tag(takes_context=True)
def clinical_actions_counts(context, patient) -> dict[str, int] | None:
    return permissions.clinical_actions_counts(context["request"].user, patient)


@register.simple_tag(takes_context=True)
def records_for_concern(context, concern) -> dict[str, list] | None:
    return permissions.records_for_concern(context["request"].user, concern)


@register.simple_tag(takes_context=True)
def in_person_disclosure_allowed(context, patient) -> bool:
    return permissions.can_record_in_person(context["request"].user, patient)
