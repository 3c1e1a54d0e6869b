from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("coaches/<int:pk>/supervisor/", views.coach_supervisor, name="coach_supervisor"),
]
