"""B7: a 100 MB payload sent and received by AS2, peak memory as a multiple of the payload.

Each measurement runs in a fresh process so its peak RSS is its own: the figure is
(peak RSS - RSS before the payload existed) / payload size, so the payload the caller holds
counts as 1.0. tracemalloc's peak (Python-level allocations, the payload included) is shown
beside it. Target (B7): < 2.5 on each side.

  send      build_message as the gateway does it (sign SHA-256, zlib before signing, AES-256-CBC,
            binary, signed MDN requested): the payload is read from a file, the body written out.
  receive   open_message + build_mdn on the body `send` built (the body read from a file).
  e2e       two real gateways: the receiving one is `uvicorn` in its own process (the demo
            partner's configuration, examples/as2-partner); the sending one is a gateway process
            whose worker claims a queued 100 MB X12 message (its bytes in the blob store) and
            delivers it (build, store in as2_outbound, POST, check the signed MDN). Each process's
            peak RSS growth over its own baseline (VmHWM - VmRSS before the message) is reported.

Not measured here: pyas2lib on the same payload (bench/_peers.py has no large-payload mode yet).

    python -m bench.b7_as2_large [--size-mb 100] [--incompressible] [--only send,receive,e2e]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CERTS = ROOT / "certs"
TARGET = 2.5
MB = 1 << 20


# ----------------------------------------------------------------------------- payload


def write_payload(path: Path, size: int, *, incompressible: bool, seed: int = 7) -> None:
    """An X12-like interchange of about `size` bytes (850s with varied PO1 lines), or random
    bytes; written in chunks so the parent never holds it."""
    rng = random.Random(seed)
    with path.open("wb") as out:
        if incompressible:
            for _ in range(size // MB):
                out.write(rng.randbytes(MB))
            out.write(rng.randbytes(size % MB))
            return
        written = out.write(
            b"ISA*00*          *00*          *ZZ*B2BGATEWAY     *ZZ*DEMOAS2        "
            b"*261128*1200*^*00501*000000001*0*T*>~GS*PO*B2BGATEWAY*DEMOAS2*20261128*1200*1*X*005010~"
        )
        number = 0
        while written < size - 64:
            number += 1
            lines = [f"ST*850*{number:04d}~BEG*00*SA*PO-{rng.randrange(10**8):08d}**20261128~"]
            for line in range(1, rng.randrange(5, 40)):
                lines.append(
                    f"PO1*{line}*{rng.randrange(1, 500)}*EA*{rng.randrange(100, 99999) / 100:.2f}"
                    f"**BP*{rng.randrange(10**9):09d}*VP*SKU-{rng.randrange(10**6):06d}~"
                    f"PID*F****{rng.choice(_WORDS)} {rng.choice(_WORDS)} {rng.randrange(99)}~"
                )
            lines.append(f"CTT*{line}~SE*{line * 2 + 3}*{number:04d}~")
            written += out.write("".join(lines).encode())
        out.write(b"GE*1*1~IEA*1*000000001~")


_WORDS = ("WIDGET", "BOLT", "NUT", "GASKET", "VALVE", "PUMP", "HOSE", "FILTER", "SEAL", "BEARING")


# ------------------------------------------------------------------------------- memory


def rss_bytes() -> int:
    """Current resident set size."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_bytes() -> int:
    """Peak resident set size of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of another process, in bytes."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0]) * 1024
    return found


def reset_peak(pid: int | str = "self") -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def fresh_baseline() -> int:
    """The current RSS, with the peak reset to it (so imports and setup do not count)."""
    reset_peak()
    return rss_bytes()


def measured(run: Callable[[], Any], payload_size: int, baseline: int) -> dict[str, float]:
    """Run `run` under tracemalloc; ratios of peak RSS and traced peak to the payload size."""
    tracemalloc.start()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rss_ratio": (peak_bytes() - baseline) / payload_size,
        "traced_ratio": traced_peak / payload_size,
        "seconds": seconds,
    }


# ------------------------------------------------------------------------------- roles


def _identities() -> dict[str, Any]:
    from b2b.as2 import LocalIdentity, PartnerSecurity, load_key_pair

    sender = load_key_pair((CERTS / "demo" / "b2b-gateway.pem").read_bytes())
    receiver = load_key_pair((CERTS / "demo" / "demo-partner.pem").read_bytes())
    return {
        "sender": LocalIdentity("B2B-GATEWAY", (sender,)),
        "receiver": LocalIdentity("B2B-DEMO-PARTNER", (receiver,)),
        "to_receiver": PartnerSecurity("B2B-DEMO-PARTNER", (receiver.certificate,)),
        "from_sender": PartnerSecurity("B2B-GATEWAY", (sender.certificate,)),
    }


def role_send(workdir: Path) -> dict[str, float]:
    """Build the message from payload.bin; write body.bin and headers.json."""
    from b2b.as2 import Compression, OutboundSecurity, build_message

    ids = _identities()
    settings = OutboundSecurity(compression=Compression.BEFORE_SIGNING)
    baseline = fresh_baseline()
    path = workdir / "payload.bin"
    size = path.stat().st_size
    built_headers: list[tuple[str, str]] = []

    def send() -> None:
        payload = path.read_bytes()
        built = build_message(
            payload,
            settings=settings,
            ours=ids["sender"],
            partner=ids["to_receiver"],
            message_id="b7-large@b2b.example",
            filename="large.x12",
        )
        (workdir / "body.bin").write_bytes(built.body)
        built_headers.extend(built.headers)

    figures = measured(send, size, baseline)
    (workdir / "headers.json").write_text(json.dumps(built_headers))
    return figures


def role_receive(workdir: Path) -> dict[str, float]:
    """open_message + build_mdn on body.bin."""
    from b2b.as2 import build_mdn, open_message

    ids = _identities()
    headers = [tuple(pair) for pair in json.loads((workdir / "headers.json").read_text())]
    size = (workdir / "payload.bin").stat().st_size
    known = {("B2B-GATEWAY", "B2B-DEMO-PARTNER"): (ids["receiver"], ids["from_sender"])}
    baseline = fresh_baseline()

    def receive() -> None:
        body = (workdir / "body.bin").read_bytes()
        received = open_message(headers, body, find_partner=lambda a, b: known.get((a, b)))
        assert len(received.payload) == size, "the payload did not come back whole"
        build_mdn(received, mdn_message_id="b7-mdn@b2b.example", ours=ids["receiver"])

    return measured(receive, size, baseline)


# ---------------------------------------------------------------------------------- e2e


def _gateway_values(workdir: Path, name: str) -> dict[str, Any]:
    return {
        "database_url": f"sqlite:///{workdir / name}.sqlite3",
        "maps_dir": ROOT / "maps",
        "certs_dir": CERTS,
        "data_dir": workdir / f"{name}-var",
        "worker_poll_seconds": 0.2,
        "as2_max_payload_bytes": 1 << 30,
    }


def role_serve(workdir: Path, port: int) -> None:
    """The demo partner gateway (it receives), served by uvicorn until killed. Its worker is not
    embedded: reading the 100 MB of 850s it receives is the inbound stage, not the AS2 receive
    measured here, and a graceful stop would wait the minute that takes."""
    import uvicorn

    from b2b.api.app import create_app
    from b2b.config import load_settings

    values = _gateway_values(workdir, "partner") | {
        "partners_dir": ROOT / "examples" / "as2-partner" / "partners",
        "as2_id": "B2B-DEMO-PARTNER",
        "as2_keys": ("demo/demo-partner.pem",),
        "public_url": f"http://127.0.0.1:{port}",
        "embedded_worker": False,
    }
    app = create_app(load_settings(**values))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def role_deliver(workdir: Path, url: str) -> dict[str, Any]:
    """Our gateway's worker delivers one queued 100 MB X12 message to the partner at `url`."""
    from b2b.config import load_settings
    from b2b.engine import open_gateway
    from b2b.outbound import TransportCache, process_next

    folder = workdir / "our-partners"
    folder.mkdir(exist_ok=True)
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    (folder / "demo-as2.toml").write_text(
        profile.replace("http://127.0.0.1:8081", url).replace(
            "timeout_seconds = 30", "timeout_seconds = 600"
        )
    )
    settings = load_settings(**_gateway_values(workdir, "ours"), partners_dir=folder)
    gateway = open_gateway(settings)
    size = (workdir / "payload.bin").stat().st_size
    _queue_message(gateway.engine, gateway.blobs, workdir / "payload.bin")
    transports = TransportCache(settings)
    baseline = fresh_baseline()
    start = time.perf_counter()
    assert process_next(gateway, transports, worker="b7"), "no message was due"
    seconds = time.perf_counter() - start
    peak = proc_status(os.getpid())["VmHWM"]
    with gateway.engine.connect() as conn:
        from sqlalchemy import text

        state, receipt = conn.execute(
            text("select state, coalesce(receipt, last_error) from messages")
        ).one()
    transports.close()
    gateway.close()
    return {
        "rss_ratio": (peak - baseline) / size,
        "seconds": seconds,
        "state": state,
        "receipt": receipt,
    }


def _queue_message(engine: Any, blobs: Any, payload_path: Path) -> None:
    """A mapped 850 ready to send, as the ingest + mapping stages would have left it
    (a large interchange in the blob store, as `record_mapped` keeps it)."""
    from sqlalchemy import insert

    from b2b.store.schema import documents, messages

    now = datetime.now(UTC) - timedelta(seconds=1)
    with engine.begin() as conn:
        document_id = conn.execute(
            insert(documents).values(
                source_format="cxml",
                document_key="b7-large",
                partner_id="demo-as2",
                po_number="B7-LARGE",
                order_type="new",
                received_at=now,
                raw=b"<cXML/>",
                response_status=200,
                response_body=b"",
            )
        ).inserted_primary_key[0]
        payload, payload_blob = blobs.offload(payload_path.read_bytes())
        conn.execute(
            insert(messages).values(
                document_id=document_id,
                partner_id="demo-as2",
                po_number="B7-LARGE",
                transaction_set="850",
                state="queued",
                attempts=0,
                next_attempt_at=now,
                interchange_control_number=1,
                filename="large.x12",
                payload=payload,
                payload_blob=payload_blob,
                created_at=now,
                updated_at=now,
            )
        )
        del payload


def run_e2e(workdir: Path) -> dict[str, Any]:
    """Start the receiving gateway, run the sending worker, read both processes' peaks."""
    from tests.fixtures.ports import free_port

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--role",
            "serve",
            "--workdir",
            str(workdir),
            "--port",
            str(port),
        ],
        cwd=ROOT,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/health")
        time.sleep(1.0)
        server_before = proc_status(server.pid)["VmRSS"]
        reset_peak(server.pid)
        sender = _child("deliver", workdir, "--url", f"http://127.0.0.1:{port}")
        time.sleep(0.5)
        server_peak = proc_status(server.pid)["VmHWM"]
    finally:
        server.terminate()
        server.wait(timeout=30)
    size = (workdir / "payload.bin").stat().st_size
    return {"sender": sender, "receiver_rss_ratio": (server_peak - server_before) / size}


def _wait_for(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


# ------------------------------------------------------------------------------ driver


def _child(role: str, workdir: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--role", role, "--workdir", str(workdir), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{role} failed:\n{done.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _row(name: str, ratio: float, extra: str = "") -> None:
    verdict = "ok" if ratio < TARGET else "OVER"
    print(f"  {name:<44} {ratio:5.2f}x  {verdict:<4} {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--incompressible", action="store_true", help="random bytes, not X12")
    parser.add_argument("--only", default="send,receive,e2e", help="comma-separated sides")
    parser.add_argument("--role", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.role:
        if args.role == "serve":
            role_serve(args.workdir, args.port)
            return
        roles = {"send": role_send, "receive": role_receive}
        result = (
            role_deliver(args.workdir, args.url)
            if args.role == "deliver"
            else roles[args.role](args.workdir)
        )
        print(json.dumps(result))
        return
    _drive(args)


def _drive(args: argparse.Namespace) -> None:
    sides = set(args.only.split(","))
    size = int(args.size_mb * MB)
    with tempfile.TemporaryDirectory(prefix="b2b-b7-") as tmp:
        workdir = Path(tmp)
        write_payload(workdir / "payload.bin", size, incompressible=args.incompressible)
        size = (workdir / "payload.bin").stat().st_size
        kind = "random bytes" if args.incompressible else "X12 850s"
        print(f"B7: {size / MB:.1f} MB payload ({kind}); target < {TARGET}x the payload")
        print("  (peak RSS growth over the process's baseline / payload; the payload counts 1.0)")
        send = _child("send", workdir)
        body_size = (workdir / "body.bin").stat().st_size
        print(f"  AS2 body: {body_size / MB:.1f} MB (sign SHA-256, zlib, AES-256-CBC, binary)")
        if "send" in sides:
            _row("send: build_message", send["rss_ratio"], _extra(send))
        if "receive" in sides:
            received = _child("receive", workdir)
            _row("receive: open_message + build_mdn", received["rss_ratio"], _extra(received))
        if "e2e" in sides:
            e2e = run_e2e(workdir)
            sender = e2e["sender"]
            detail = f"{sender['seconds']:.1f}s, {sender['state']}: {str(sender['receipt'])[:160]}"
            _row("e2e: sending gateway (worker: build+store+POST)", sender["rss_ratio"], detail)
            _row("e2e: receiving gateway (HTTP+open+store+MDN)", e2e["receiver_rss_ratio"])


def _extra(figures: dict[str, Any]) -> str:
    return f"tracemalloc peak {figures['traced_ratio']:.2f}x, {figures['seconds']:.1f}s"


if __name__ == "__main__":
    main()
