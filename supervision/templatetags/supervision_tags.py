"""Supervision's part of pages that belong to apps below it (staff, coaching), which do not import it."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.formats import date_format

from supervision import permissions
from supervision.paging import paged_for_coach as _paged_for_coach

register = template.Library()


@register.simple_tag(takes_context=True)
def supervision_of(context, member) -> dict:
    """For a staff member's page: her supervisor, and whether the reader may change who it is."""
    user = context["request"].user
    return {
        "supervisor": permissions.current_supervisor_of(member),
        "needs_supervisor": permissions.needs_a_supervisor(member),
        "can_assign_supervisor": permissions.can_assign_supervisor_of(user, member),
    }


@register.simple_tag
def paged_for_coach(concern):
    """For an urgent concern's page: when a page first reached a supervisor, or that one is on its way."""
    return _paged_for_coach(concern)


@register.simple_tag(takes_context=True)
def failed_pages_of(context, concern):
    """For an urgent concern's page: pages about it that could not be delivered, for those who may see them."""
    return permissions.failed_pages_for(context["request"].user).filter(concern=concern)


@register.filter
def said_at(moment):
    """A time in the active (the program's) zone: "2:14 a.m." today, "Nov 29, 2:14 a.m." another day."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return date_format(local, "g:i a" if local.date() == timezone.localdate() else "M j, g:i a")
