"""A page whose query runs past the statement timeout (test_took_too_long.py)."""

from django.db import connection
from django.http import HttpResponse
from django.urls import include, path


def slow(request):
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = 50")
        cursor.execute("SELECT pg_sleep(2)")
    return HttpResponse("done")


urlpatterns = [path("slow/", slow), path("", include("workspace.urls"))]
