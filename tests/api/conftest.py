"""A real gateway: uvicorn serving the app on a free loopback port, embedded worker running."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text

from b2b.api.app import create_app
from b2b.config import Settings, load_settings
from b2b.tls import ServerTls, uvicorn_options
from tests.conftest import ROOT, NewDatabase
from tests.fixtures.ports import free_port


@dataclass
class RunningGateway:
    url: str
    settings: Settings
    client: httpx.Client

    @property
    def outbox(self) -> Path:
        return self.settings.data_dir / "outbox"

    def post_cxml(self, body: bytes) -> httpx.Response:
        return self.client.post("/coupa/cxml", content=body, headers={"Content-Type": "text/xml"})

    def messages(self, po: str) -> dict[str, Any]:
        response = self.client.get("/messages", params={"po": po})
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """The rows of `sql` on this gateway's database, SQLite or PostgreSQL."""
        engine = create_engine(self.settings.database_url)
        try:
            with engine.connect() as conn:
                return [tuple(row) for row in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def wait_for(self, po: str, state: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(po)["messages"]
            if found and found[0]["state"] == state:
                return dict(found[0])
            time.sleep(0.05)
        raise AssertionError(f"PO {po} did not reach {state}: {self.messages(po)}")


def serve(settings: Settings, port: int) -> Iterator[RunningGateway]:
    tls = settings.server_tls()
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        **uvicorn_options(tls),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the gateway did not start")
        time.sleep(0.02)
    url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    key = settings.bootstrap_api_key
    # X-API-Key, not Authorization: the Coupa routes read Authorization for their own checks.
    headers = {"X-API-Key": key.get_secret_value()} if key else {}
    with httpx.Client(base_url=url, timeout=30, verify=_trust(tls), headers=headers) as client:
        yield RunningGateway(url, settings, client)
    server.should_exit = True
    thread.join(timeout=30)


def _trust(tls: ServerTls | None) -> ssl.SSLContext | bool:
    """The test client trusts the gateway's own certificate file (its chain ends in the CA)."""
    if tls is None:
        return True
    context = ssl.create_default_context(cafile=tls.certificate)
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the leaf is trusted as it is
    return context


GatewayFactory = Callable[..., RunningGateway]
BOOTSTRAP_KEY = "test-bootstrap-operator-key"


@pytest.fixture
def start_gateway(tmp_path: Path, new_database: NewDatabase) -> Iterator[GatewayFactory]:
    """Start a gateway with the example partners; keyword arguments override settings.

    The gateways of a test share one database (SQLite, or PostgreSQL when
    B2B_TEST_DATABASE=postgresql) unless one is given its own: `database="partner"`.
    """
    stack: list[Iterator[RunningGateway]] = []

    def start(**overrides: Any) -> RunningGateway:
        values: dict[str, Any] = {
            "partners_dir": ROOT / "partners",
            "maps_dir": ROOT / "maps",
            "certs_dir": ROOT / "certs",
            "data_dir": tmp_path / "var",
            "worker_poll_seconds": 0.2,
            "bootstrap_api_key": BOOTSTRAP_KEY,  # the client sends it: admin routes need a key
        }
        port = int(overrides.pop("port", 0)) or free_port()
        values["public_url"] = f"http://127.0.0.1:{port}"  # where partners post async MDNs
        database = overrides.pop("database", "b2b")
        if "database_url" not in overrides:
            values["database_url"] = new_database(database)
        values.update(overrides)
        gen = serve(load_settings(**values), port)
        stack.append(gen)
        return next(gen)

    yield start
    for gen in reversed(stack):
        next(gen, None)


@pytest.fixture
def gateway(start_gateway: GatewayFactory) -> RunningGateway:
    return start_gateway()
