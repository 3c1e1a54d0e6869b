from django.urls import path

from staff.views import people, program, training

app_name = "staff"

urlpatterns = [
    path("", people.staff_list, name="list"),
    path("new/", people.staff_new, name="new"),
    path("program/", program.program_settings, name="program"),
    path("history/", people.staff_history, name="history"),
    path("<int:pk>/", people.staff_detail, name="detail"),
    path("<int:pk>/edit/", people.staff_edit, name="edit"),
    # "<int:pk>/role/" (staff:role), "<int:pk>/deactivate/" (staff:deactivate) and "role-changes/<int:pk>/"
    # (staff:role_change_decide) are added in workspace/urls.py: they reach into patients, coaching and supervision.
    path("<int:pk>/propose-role/", people.staff_role_propose, name="role_propose"),
    path("<int:pk>/reactivate/", people.staff_reactivate, name="reactivate"),
    path("<int:pk>/password-link/", people.staff_password_link, name="password_link"),
    path("<int:pk>/two-step-off/", people.staff_two_step_off, name="two_step_off"),
    path("<int:pk>/training/", training.member_training, name="training"),
    path("<int:pk>/training/add/", training.training_add, name="training_add"),
    path("me/training/", training.my_training, name="my_training"),
    path("certificates/<int:record_pk>/", training.certificate, name="certificate"),
    path("compliance/", training.compliance, name="compliance"),
    path("compliance.csv", training.compliance_csv, name="compliance_csv"),
    path("training-kinds/", training.kinds, name="training_kinds"),
    path("training-kinds/<int:pk>/", training.kind_edit, name="training_kind_edit"),
    path("training-requirements/<int:pk>/remove/", training.requirement_remove, name="requirement_remove"),
]
