"""`GET /ready`: may this node take traffic? (`/health` only says the process answers.)

Ready when the database answers with its schema at the migration head, partners and maps are
loaded, and, with the embedded worker, its thread is alive and went round its loop lately.
Otherwise 503, with every reason:

    {"status": "not ready", "reasons": ["database: database unavailable: ..."], ...}

    >>> install_ready(app, settings)
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from b2b.config import Settings
from b2b.engine import Gateway
from b2b.errors import StoreUnavailable
from b2b.store import migrations, transaction
from b2b.worker import WorkerThread

#: The worker is late after this many poll intervals without a round (and at least
#: LATE_FLOOR seconds: one slow send, up to its transport's timeout, is not a hang).
LATE_POLLS = 5
LATE_FLOOR = 30.0


def install_ready(app: FastAPI, settings: Settings) -> None:
    """Register `GET /ready` (no key: load balancers and orchestrators call it)."""

    @app.get("/ready", summary="Readiness: database, schema, partners, maps, worker")
    def ready(request: Request) -> JSONResponse:
        found, reasons = readiness(request.app, settings)
        status = "not ready" if reasons else "ready"
        body = {"status": status, **found, **({"reasons": reasons} if reasons else {})}
        return JSONResponse(body, status_code=503 if reasons else 200)


def readiness(app: FastAPI, settings: Settings) -> tuple[dict[str, Any], list[str]]:
    """What was found, and the reasons the node is not ready (none: ready)."""
    found: dict[str, Any] = {}
    reasons: list[str] = []
    gateway: Gateway | None = getattr(app.state, "gateway", None)
    if gateway is None:
        return found, ["gateway: not started"]
    found["partners"] = len(gateway.partners)
    found["maps"] = len(gateway.maps.names)
    if not found["partners"]:
        reasons.append(f"partners: no profile loaded from {settings.partners_dir}")
    if not found["maps"]:
        reasons.append(f"maps: none loaded from {settings.maps_dir}")
    reasons += _database(gateway.engine, found)
    if settings.embedded_worker:
        reasons += _worker(getattr(app.state, "worker", None), settings, found)
    return found, reasons


def _database(engine: Engine, found: dict[str, Any]) -> list[str]:
    try:
        with transaction(engine) as conn:
            revision = migrations.current(conn)
    except StoreUnavailable as exc:
        found["database"] = "unavailable"
        return [f"database: {exc.reason}"]
    found["database"] = "ok"
    found["schema"] = revision
    head = migrations.head()
    if revision != head:
        return [f"schema: at revision {revision}, this gateway needs {head} (b2b db upgrade)"]
    return []


def _worker(worker: WorkerThread | None, settings: Settings, found: dict[str, Any]) -> list[str]:
    if worker is None or not worker.is_alive():
        found["worker"] = "stopped"
        return ["worker: the embedded worker thread is not running"]
    age = worker.heartbeat.age()
    found["worker_round_seconds_ago"] = round(age, 3)
    late = max(LATE_POLLS * settings.worker_poll_seconds, LATE_FLOOR)
    if age > late:
        found["worker"] = "late"
        return [f"worker: no round for {age:.0f} s (more than {late:.0f} s)"]
    found["worker"] = "ok"
    return []
