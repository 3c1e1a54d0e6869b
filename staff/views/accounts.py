from __future__ import annotations

from django.contrib.auth import views as auth_views

from staff.forms import LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True
