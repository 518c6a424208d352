"""pyas2lib and django-pyas2 figures for B1, B2 and B3, measured in the AS2 peer's own venv.

pyas2lib is GPL and needs a patched oscrypto: it never runs in this process. Each function makes
(or reuses) `<repo>/.cache/as2peer-venv`, copies the peer's scripts into a temporary folder with
fresh RSA-2048 certificates, runs tests/peers/as2peer/bench_pyas2lib.py there as a subprocess and
returns its figures ("rate" in messages/s, "count", "seconds", ...). Raises
tests.peers.venv.PeerUnavailable when the venv cannot be made (no PyPI), RuntimeError on failure.

    from bench._peers import pyas2lib_build_rate
    print(pyas2lib_build_rate(payload_size=10_240, seconds=3)["rate"])
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fixtures.ports import free_port
from tests.peers.peer_site import PeerSite, serve
from tests.peers.venv import PeerUnavailable, peer_python

__all__ = [
    "PeerUnavailable",
    "django_pyas2_http_rate",
    "peer_rate",
    "pyas2lib_build_rate",
    "pyas2lib_receive_rate",
]

SCRIPT = "bench_pyas2lib.py"


def pyas2lib_build_rate(payload_size: int = 10_240, seconds: float = 3.0) -> dict[str, Any]:
    """B1: pyas2lib builds sign+encrypt+compress messages (RSA-2048, one core), per second."""
    with tempfile.TemporaryDirectory(prefix="b2b-as2peer-") as tmp:
        site = PeerSite.scripts_only(Path(tmp) / "site", peer_python())
        figures = _run(site, "build", "--size", payload_size, "--seconds", seconds)
    return figures | {"peer": f"pyas2lib {figures['pyas2lib']}"}


def pyas2lib_receive_rate(payload_size: int = 10_240, seconds: float = 3.0) -> dict[str, Any]:
    """B2: pyas2lib parses+decrypts+verifies+decompresses and builds a signed MDN, per second."""
    with tempfile.TemporaryDirectory(prefix="b2b-as2peer-") as tmp:
        site = PeerSite.scripts_only(Path(tmp) / "site", peer_python())
        figures = _run(site, "receive", "--size", payload_size, "--seconds", seconds)
    return figures | {"peer": f"pyas2lib {figures['pyas2lib']}"}


def django_pyas2_http_rate(
    payload_size: int = 10_240, count: int = 200, concurrency: int = 2, workers: int = 2
) -> dict[str, Any]:
    """B3: django-pyas2 under gunicorn on 127.0.0.1 answers POSTed messages with signed sync MDNs.

    `count` messages are prebuilt, then POSTed by `concurrency` client threads; only the POST
    phase is timed, then every MDN is verified ("failed" counts those that were not processed).
    """
    with tempfile.TemporaryDirectory(prefix="b2b-as2peer-") as tmp:
        site = PeerSite.create(Path(tmp) / "site", peer_python(), free_port())
        with serve(site, workers=workers):
            figures = _run(
                site, "http", "--size", payload_size, "--count", count,
                "--concurrency", concurrency, "--url", site.url,
            )  # fmt: skip
    peer = f"django-pyas2 1.2.3 (pyas2lib {figures['pyas2lib']}), gunicorn {workers} sync workers"
    return figures | {"peer": peer, "workers": workers}


def peer_rate(measure: Callable[..., dict[str, Any]], label: str) -> dict[str, float] | None:
    """{"<peer> <label>": rate} for a bench's side-by-side line, or None (said why) without it."""
    try:
        figures = measure(payload_size=10_240, seconds=3.0)
    except PeerUnavailable as exc:
        print(f"  peer unavailable: {exc}")
        return None
    return {f"{figures['peer']} {label}": float(figures["rate"])}


def _run(site: PeerSite, *args: str | int | float) -> dict[str, Any]:
    done = site.run_checked(SCRIPT, *map(str, args))
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures
