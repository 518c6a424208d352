"""Django settings of the django-pyas2 peer (loopback only, SQLite beside this project).

`AS2PEER_PORT` names the port gunicorn listens on; it also makes the MDN URL the peer advertises
when it asks a partner for an asynchronous MDN. `AS2PEER_LOGLEVEL` sets the pyas2 log level.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "as2peer-test-only-not-a-secret"  # a throwaway loopback test server
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

# The receive view needs no sessions, admin or CSRF; login_required (as2send) needs auth.
INSTALLED_APPS = ["pyas2", "django.contrib.auth", "django.contrib.contenttypes"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "as2peer_site.urls"
WSGI_APPLICATION = "as2peer_site.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"  # django-pyas2's migrations use AutoField
USE_TZ = True
TIME_ZONE = "UTC"

# SQLite under more than one gunicorn worker: a busy timeout alone still fails the read-to-write
# upgrade of update_or_create() with "database is locked"; BEGIN IMMEDIATE plus WAL does not.
DATABASES: dict[str, dict[str, Any]] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}

# django-pyas2 stores messages and MDNs through default_storage under MEDIA_ROOT. Never set an
# absolute PYAS2["DATA_DIR"]: Storage.save() rejects absolute names (HTTP 400 and no MDN).
MEDIA_ROOT = str(BASE_DIR / "media")
os.makedirs(MEDIA_ROOT, exist_ok=True)
PEER_PORT = int(os.environ.get("AS2PEER_PORT", "8080"))
PYAS2 = {"MDN_URL": f"http://127.0.0.1:{PEER_PORT}/pyas2/as2receive"}
DATA_UPLOAD_MAX_MEMORY_SIZE = None  # the view reads request.body: no 2.5 MB limit

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "pyas2": {"handlers": ["console"], "level": os.environ.get("AS2PEER_LOGLEVEL", "INFO")},
        "pyas2lib": {"handlers": ["console"], "level": "WARNING"},
        "django.request": {"handlers": ["console"], "level": "WARNING"},
    },
}
