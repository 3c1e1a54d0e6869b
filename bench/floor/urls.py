"""One page behind a login, and the login form (a page the benchmark's users log in through, as in the app)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path


@login_required
def page(request):
    return render(request, "floor.html", {"user": request.user, "rows": range(20)})


urlpatterns = [
    path("", page),
    path("login/", auth_views.LoginView.as_view(template_name="login.html")),
]
