"""WSGI entry point for gunicorn: `gunicorn as2peer_site.wsgi:application`."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application  # type: ignore[import-not-found]

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "as2peer_site.settings")

application = get_wsgi_application()
