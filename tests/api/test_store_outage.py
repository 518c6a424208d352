"""A database outage: Coupa gets a 500 (so it retries), nothing is half-stored, the retry works."""

from __future__ import annotations

import psycopg
from lxml import etree

from tests.api.conftest import GatewayFactory
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.fixtures.postgres import Postgres, create_database


def _admin(pg: Postgres, *statements: str) -> None:
    with psycopg.connect(
        f"host=127.0.0.1 port={pg.port} user=b2b dbname=postgres", autocommit=True
    ) as conn:
        for statement in statements:
            conn.execute(statement)


def test_database_down_is_500_and_the_retry_is_stored_once(
    start_gateway: GatewayFactory, postgres: Postgres
) -> None:
    gateway = start_gateway(database_url=create_database(postgres, "outage"))
    _admin(
        postgres,
        "ALTER DATABASE outage ALLOW_CONNECTIONS false",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'outage'",
    )
    try:
        response = gateway.post_cxml(SAMPLE)
        assert response.status_code == 500
        status = etree.fromstring(response.content).find("Response/Status")
        assert status is not None
        assert status.get("code") == "500"
    finally:
        _admin(postgres, "ALTER DATABASE outage ALLOW_CONNECTIONS true")
    assert gateway.post_cxml(SAMPLE).status_code == 200  # Coupa's retry
    message = gateway.wait_for(SAMPLE_PO, "sent")
    assert len(gateway.messages(SAMPLE_PO)["messages"]) == 1
    assert message["control_numbers"]["ISA13"] == "000000001"
