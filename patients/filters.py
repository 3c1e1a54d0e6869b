from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q

from patients import permissions
from patients.models import Patient, ProgramStatus


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search", label="Name", widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"})
    )
    status = django_filters.ChoiceFilter(choices=ProgramStatus.choices, empty_label="Any status")
    coach = django_filters.ModelChoiceFilter(queryset=None, method="by_coach", label="Coach", empty_label="Any coach")
    needs_coach = django_filters.BooleanFilter(
        method="without_coach", label="Only those without a coach", widget=forms.CheckboxInput
    )
    mine = django_filters.BooleanFilter(
        method="of_mine", label="Only those whose clinical provider I am", widget=forms.CheckboxInput
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

    def by_coach(self, queryset, name, value):
        return queryset.filter(assignments__coach=value, assignments__ended_on__isnull=True)

    def without_coach(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.without_coach()

    def of_mine(self, queryset, name, value):
        return queryset.filter(clinical_provider=self.request.user) if value else queryset
