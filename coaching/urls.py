from django.urls import path

from coaching.views import barc, concerns, drafts, encounters, resources, safety

app_name = "coaching"

urlpatterns = [
    path("encounters/", encounters.encounter_list, name="encounter_list"),
    path("encounters/new/", encounters.encounter_new, name="encounter_new"),
    path("encounters/new/discard-draft/", encounters.encounter_draft_discard, name="encounter_draft_discard"),
    path("encounters/<int:pk>/", encounters.encounter_detail, name="encounter_detail"),
    path("encounters/<int:pk>/edit/", encounters.encounter_edit, name="encounter_edit"),
    path("encounters/<int:pk>/edit/draft/", drafts.encounter_edit_draft, name="encounter_edit_draft"),
    path("encounters/<int:pk>/addendum/", encounters.encounter_addendum, name="encounter_addendum"),
    path("encounters/<int:pk>/entered-in-error/", encounters.encounter_error, name="encounter_error"),
    path("concerns/", concerns.concern_list, name="concern_list"),
    path("concerns/new/", concerns.concern_new, name="concern_new"),
    path("concerns/new/discard-draft/", concerns.concern_draft_discard, name="concern_draft_discard"),
    path("concerns/<int:pk>/", concerns.concern_detail, name="concern_detail"),
    path("concerns/<int:pk>/seen/", concerns.concern_acknowledge, name="concern_acknowledge"),
    path("concerns/<int:pk>/note/", concerns.concern_note, name="concern_note"),
    path("concerns/<int:pk>/close/", concerns.concern_close, name="concern_close"),
    path("drafts/<str:form>/", drafts.draft_save, name="draft_save"),
    path("safety-plans/<int:pk>/", safety.safety_plan, name="safety_plan"),
    path("safety-plans/<int:pk>/edit/", safety.safety_plan_edit, name="safety_plan_edit"),
    path("safety-plans/<int:pk>/reviewed/", safety.safety_plan_review, name="safety_plan_review"),
    path("safety-plans/<int:pk>/history/", safety.safety_plan_history, name="safety_plan_history"),
    path("barc10/<int:pk>/", barc.barc10_list, name="barc10"),
    path("barc10/<int:pk>/new/", barc.barc10_new, name="barc10_new"),
    path("barc10/<int:pk>/<int:barc_pk>/correct/", barc.barc10_correct, name="barc10_correct"),
    path("resources/", resources.resource_list, name="resources"),
    path("resources/<int:pk>/", resources.resource_edit, name="resource_edit"),
]
