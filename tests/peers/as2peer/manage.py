"""Django's command line for the peer: `python manage.py migrate`, `sendas2message`, ..."""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "as2peer_site.settings")
    from django.core.management import (  # type: ignore[import-not-found]
        execute_from_command_line,
    )

    execute_from_command_line(sys.argv)
