"""Log lines as a log pipeline reads them: JSON with the PO, message and partner they concern."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from b2b.config import load_settings
from b2b.logs import UVICORN_LOGGERS, bind, configure_logging, log_context
from tests.conftest import ROOT, NewDatabase
from tests.fixtures.ports import free_port

log = logging.getLogger("b2b.test")


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """configure_logging(json) writing to a buffer; the logging setup restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    loggers = [logging.getLogger(name) for name in UVICORN_LOGGERS]
    uvicorn = [(x, list(x.handlers), x.propagate, x.level) for x in loggers]
    stream = io.StringIO()
    configure_logging(load_settings(log_format="json", log_level="INFO"), stream)
    yield stream
    root.handlers[:], root.level = saved
    for logger, handlers, propagate, level in uvicorn:
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_is_json_with_time_level_logger_message_and_its_context(
    json_lines: io.StringIO,
) -> None:
    with log_context(message_id=12):
        bind(po="4711", partner="acme", payload_id=None)
        log.info("sent message %d", 12)
    log.warning("outside")
    inside, outside = _lines(json_lines)
    assert inside["time"].endswith("Z")
    assert (inside["level"], inside["logger"], inside["message"]) == (
        "INFO",
        "b2b.test",
        "sent message 12",
    )
    assert (inside["po"], inside["message_id"], inside["partner"]) == ("4711", 12, "acme")
    assert "payload_id" not in inside
    assert set(outside) == {"time", "level", "logger", "message"}  # the context has ended


def test_an_exception_is_its_type_and_first_line_not_its_traceback(
    json_lines: io.StringIO,
) -> None:
    try:
        raise ValueError("bad ISA segment\nsecond line with <cXML> payload")
    except ValueError:
        log.exception("reading failed")
    [line] = _lines(json_lines)
    assert (line["exc_type"], line["exc"]) == ("ValueError", "bad ISA segment")
    assert "Traceback" not in json_lines.getvalue()
    assert "<cXML>" not in json_lines.getvalue()


def test_uvicorns_access_line_goes_through_the_same_formatter_without_its_query(
    json_lines: io.StringIO,
) -> None:
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.7:5123", "GET", "/messages?po=4711", "1.1", 200)
    [line] = _lines(json_lines)
    assert (line["logger"], line["method"], line["path"], line["status"]) == (
        "uvicorn.access",
        "GET",
        "/messages",
        200,
    )


def test_an_unknown_context_field_is_refused() -> None:
    with pytest.raises(ValueError, match="authorization"), log_context(authorization="Basic x"):  # type: ignore[arg-type]
        pass


def test_b2b_serve_with_json_logs_writes_json_lines_only(
    tmp_path: Path, new_database: NewDatabase
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "B2B_LOG_FORMAT": "json",
        "B2B_PORT": str(port),
        "B2B_DATABASE_URL": new_database(),
        "B2B_DATA_DIR": str(tmp_path / "var"),
        "B2B_COUPA_SHARED_SECRET": "demo-secret",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "b2b", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _until_ready(f"http://127.0.0.1:{port}", process)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert {"b2b.worker", "uvicorn.error", "uvicorn.access"} <= {x["logger"] for x in lines}
    access = [x for x in lines if x["logger"] == "uvicorn.access"]
    assert {(x["method"], x["path"], x["status"]) for x in access} >= {("GET", "/ready", 200)}
    assert "demo-secret" not in err


def _until_ready(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "b2b serve exited"
        try:
            if httpx.get(f"{url}/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("b2b serve did not become ready")
