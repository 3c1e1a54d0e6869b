from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("reach/", views.reach, name="reach"),
    path("on-call/", views.rota, name="rota"),
    path("on-call/shifts/<int:pk>/edit/", views.shift_edit, name="shift_edit"),
    path("on-call/shifts/<int:pk>/swap/", views.shift_swap, name="shift_swap"),
    path("on-call/shifts/<int:pk>/remove/", views.shift_remove, name="shift_remove"),
    path("on-call/shifts/<int:pk>/cover/", views.cover_add, name="cover_add"),
    path("on-call/covers/<int:pk>/remove/", views.cover_remove, name="cover_remove"),
    path("on-call/away/", views.away, name="away"),
    path("on-call/away/<int:pk>/remove/", views.away_remove, name="away_remove"),
    path("pages/<int:pk>/", views.page_detail, name="page"),
    path("pages/<int:pk>/held/", views.page_release, name="page_release"),
    path("concerns/<int:pk>/on-call/", views.on_call, name="on_call"),
    path("queue/", views.queues, name="queues"),
    path("queue/<int:coach_pk>/", views.queue, name="queue"),
    path("agenda/add/", views.agenda_add, name="agenda_add"),
    path("agenda/check-in/", views.check_in_add, name="check_in_add"),
    path("agenda/boundary-question/", views.boundary_question_add, name="boundary_question_add"),
    path("agenda/<int:pk>/answer/", views.boundary_answer, name="boundary_answer"),
    path("dual-relationships/new/", views.dual_relationship_add, name="dual_relationship_add"),
    path("dual-relationships/<int:pk>/", views.dual_relationship_decide, name="dual_relationship_decide"),
    path("coaches/<int:coach_pk>/sessions/new/", views.session_new, name="session_new"),
    path("coaches/<int:coach_pk>/sessions/new/draft/", views.session_draft, name="session_draft"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("weeks/", views.weeks, name="weeks"),
    path("action-items/<int:pk>/done/", views.action_item_done, name="action_item_done"),
    path("coaches/<int:pk>/supervisor/", views.coach_supervisor, name="coach_supervisor"),
    path("break-glass/", views.break_glass_open, name="break_glass"),
    path("break-glass/<int:pk>/", views.break_glass_review, name="break_glass_review"),
]
