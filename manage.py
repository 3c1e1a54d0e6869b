#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "recovery_program.settings")
    # manage.py is the developer's tool: without DEBUG set it runs in development mode. Production sets
    # DEBUG=false in its environment (docker-compose.yml does), and gunicorn and Celery never get this default.
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
