"""`GET /ready` on real gateways: ready when everything answers, 503 with the reason when not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import uvicorn
from fastapi import FastAPI

from b2b.api.app import create_app
from b2b.config import load_settings
from b2b.store import migrations
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.conftest import ROOT, NewDatabase
from tests.fixtures.ports import free_port
from tests.fixtures.postgres import Postgres, create_database


def test_a_started_gateway_is_ready_without_a_key(gateway: RunningGateway) -> None:
    response = httpx.get(f"{gateway.url}/ready")
    assert response.status_code == 200
    found = response.json()
    assert found["status"] == "ready"
    assert (found["database"], found["schema"], found["worker"]) == (
        "ok",
        migrations.head(),
        "ok",
    )
    assert found["partners"] == 3
    assert found["maps"] > 0
    assert "reasons" not in found


def test_a_gateway_whose_worker_stopped_is_not_ready(
    tmp_path: Path, new_database: NewDatabase
) -> None:
    settings = load_settings(
        partners_dir=ROOT / "partners",
        maps_dir=ROOT / "maps",
        certs_dir=ROOT / "certs",
        data_dir=tmp_path / "var",
        database_url=new_database(),
        worker_poll_seconds=0.2,
    )
    app = create_app(settings)
    with _served(app) as url:
        assert httpx.get(f"{url}/ready").status_code == 200
        worker = app.state.worker
        worker.stop.set()  # as if the worker's thread had died
        app.state.gateway.wake.set()
        worker.join(timeout=30)
        response = httpx.get(f"{url}/ready")
        assert response.status_code == 503
        assert response.json()["worker"] == "stopped"
        assert response.json()["reasons"] == ["worker: the embedded worker thread is not running"]
        assert httpx.get(f"{url}/health").status_code == 200  # alive all the same


@contextmanager
def _served(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn on a free port (the app kept at hand, unlike start_gateway)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "the gateway did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_a_gateway_without_its_database_is_not_ready_until_it_is_back(
    start_gateway: GatewayFactory, postgres: Postgres
) -> None:
    gateway = start_gateway(database_url=create_database(postgres, "gone"))
    _admin(
        postgres,
        "ALTER DATABASE gone ALLOW_CONNECTIONS false",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'gone'",
    )
    try:
        response = httpx.get(f"{gateway.url}/ready")
        assert response.status_code == 503
        found = response.json()
        assert found["database"] == "unavailable"
        [reason] = found["reasons"]
        assert reason.startswith("database: database unavailable")
        scraped = gateway.client.get("/metrics")  # still answers, saying the store is down
        assert scraped.status_code == 200
        assert "b2b_store_up 0.0" in scraped.text
    finally:
        _admin(postgres, "ALTER DATABASE gone ALLOW_CONNECTIONS true")
    assert httpx.get(f"{gateway.url}/ready").status_code == 200


def _admin(pg: Postgres, *statements: str) -> None:
    with psycopg.connect(
        f"host=127.0.0.1 port={pg.port} user=b2b dbname=postgres", autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)
