"""URLs of the peer: django-pyas2 under /pyas2/ (its receive endpoint is /pyas2/as2receive)."""

from __future__ import annotations

from django.urls import include, path  # type: ignore[import-not-found]

urlpatterns = [path("pyas2/", include("pyas2.urls"))]
