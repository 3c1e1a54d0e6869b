from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients import permissions
from patients.models import DISCHARGE_STATUSES, Patient, ProgramStatus

HIGHER_CARE = "higher_care"
EVERYONE = "all"
# Where she is in her course; with none chosen, those who left the program are left out.
STATUS_CHOICES = [
    (ProgramStatus.ACTIVE.value, _("Enrolled")),
    (HIGHER_CARE, _("In a higher level of care")),
    (ProgramStatus.DISCONNECTED.value, ProgramStatus.DISCONNECTED.label),
    (ProgramStatus.DISCHARGED.value, ProgramStatus.DISCHARGED.label),
    (ProgramStatus.GRADUATED.value, ProgramStatus.GRADUATED.label),
    (EVERYONE, _("Everyone, discharged included")),
]


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label=_("Name"), widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"})
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        method="by_status",
        label=_("Status"),
        empty_label=_("Enrolled, in higher care or disconnected"),
    )
    coach = django_filters.ModelChoiceFilter(
        queryset=None, method="by_coach", label=_("Coach"), empty_label=_("Any coach")
    )
    needs_coach = django_filters.BooleanFilter(
        method="without_coach", label=_("Only those without a coach"), widget=forms.CheckboxInput
    )
    mine = django_filters.BooleanFilter(
        method="of_mine", label=_("Only women I am the clinical provider for"), widget=forms.CheckboxInput
    )

    class Meta:
        model = Patient
        fields = ["q", "status", "coach", "needs_coach", "mine"]

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        if permissions.sees_whole_program(request.user):
            self.filters["coach"].queryset = permissions.coaches_assignable_by(request.user)
        else:
            del self.filters["coach"]
            del self.filters["needs_coach"]
            del self.filters["mine"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(legal_name__icontains=value) | Q(preferred_name__icontains=value))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status__in=DISCHARGE_STATUSES)
        return queryset

    def by_status(self, queryset, name, value):
        if value == EVERYONE:
            return queryset
        if value == HIGHER_CARE:
            return queryset.exclude(status__in=DISCHARGE_STATUSES).in_higher_care()
        if value == ProgramStatus.ACTIVE:
            return queryset.filter(status=value).not_in_higher_care()
        return queryset.filter(status=value)

    def by_coach(self, queryset, name, value):
        return queryset.filter(assignments__coach=value, assignments__ended_on__isnull=True)

    def without_coach(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.without_coach()

    def of_mine(self, queryset, name, value):
        return queryset.filter(clinical_provider=self.request.user) if value else queryset
