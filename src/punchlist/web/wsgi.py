"""The WSGI application for gunicorn: `gunicorn punchlist.web.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "punchlist.settings")
application = get_wsgi_application()
