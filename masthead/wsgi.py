"""WSGI entry point for gunicorn: `gunicorn masthead.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "masthead.settings")

application = get_wsgi_application()
