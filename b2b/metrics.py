"""Prometheus metrics: the store's figures at scrape time, and what this process measured.

From the database (the same whichever node is scraped; see b2b.store.figures):

    b2b_documents_total{direction="in|out",partner,type}   850, 860, 997, 999, TA1, cXML/855,
                                                           cxml, coupa-xml, 855, 856, 810, ISA
    b2b_messages{state,partner}          messages not sent: received, queued, awaiting-mdn...
    b2b_dead_letters{partner}            b2b_acks_overdue{partner}  (counted once a minute)
    b2b_retries_total{partner}           b2b_rejections_total{source}   (cxml, coupa-xml, x12, as2)
    b2b_store_up                         0 when the database did not answer the scrape

From this process: `b2b_send_seconds{partner,transport}` (the worker's sends),
`b2b_certificate_days_left{owner,subject,serial}`; the HTTP side adds its own (b2b.api.metrics).

    >>> metrics = Metrics(lambda: gateway, tls_certificate=None)
    >>> with observing_sends(metrics): run_worker(...)      # the worker's thread
    >>> with timed_send("acme", "sftp"): transport.send(...)  # where a message leaves
    >>> metrics.render()
"""

from __future__ import annotations

import contextvars
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from b2b.errors import StoreUnavailable
from b2b.store import utcnow
from b2b.store.figures import (
    AS2_INBOUND,
    BUSINESS_DOCUMENTS,
    DOCUMENTS,
    INTERCHANGES,
    OUTBOUND_EVENTS,
    QUEUE_STATES,
    REJECTIONS,
    Tally,
    acks_overdue,
    queue_states,
)

if TYPE_CHECKING:
    from b2b.engine import Gateway

#: Seconds: from a LAN SFTP upload to a slow partner's synchronous MDN.
SEND_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
UNKNOWN = "unknown"  # a partner no profile names (an interchange from a stranger)
REJECTED = "R"  # TA104: the interchange was rejected
OVERDUE_SECONDS = 60.0

GatewaySource = Callable[[], "Gateway | None"]
_sends: contextvars.ContextVar[Histogram | None] = contextvars.ContextVar(
    "b2b_send_seconds", default=None
)


class Metrics:
    """One registry per application (never prometheus_client's global one).

    >>> Metrics(lambda: app.state.gateway, tls_certificate=None).render()
    """

    def __init__(self, gateway: GatewaySource, *, tls_certificate: Path | None) -> None:
        self.registry = CollectorRegistry()
        self.send_seconds = Histogram(
            "b2b_send_seconds",
            "Seconds a send took, from handing the bytes to the transport to its answer",
            ["partner", "transport"],
            buckets=SEND_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(StoreCollector(gateway))
        self.registry.register(CertificateCollector(gateway, tls_certificate))

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition the scraper's Accept header asks for (OpenMetrics, or the text
        format 0.0.4 every Prometheus reads), and its content type."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


@contextmanager
def observing_sends(metrics: Metrics | None) -> Iterator[None]:
    """Sends timed in this block (this thread, this context) go to `metrics`."""
    token = _sends.set(metrics.send_seconds if metrics is not None else None)
    try:
        yield
    finally:
        _sends.reset(token)


@contextmanager
def timed_send(partner: str, transport: str) -> Iterator[None]:
    """Time one send, whatever its outcome (nothing is kept outside `observing_sends`)."""
    histogram = _sends.get()
    start = time.perf_counter()
    try:
        yield
    finally:
        if histogram is not None:
            histogram.labels(partner, transport).observe(time.perf_counter() - start)


class StoreCollector(Collector):
    """The database's figures, counted at each scrape."""

    def __init__(self, gateway: GatewaySource) -> None:
        self._gateway = gateway
        self._events = Tally(OUTBOUND_EVENTS)
        self._documents = Tally(DOCUMENTS)
        self._business = Tally(BUSINESS_DOCUMENTS)
        self._interchanges = Tally(INTERCHANGES)
        self._rejections = Tally(REJECTIONS)
        self._as2 = Tally(AS2_INBOUND)
        self._overdue: tuple[float, dict[str, int] | None] = (0.0, None)

    def collect(self) -> Iterator[Metric]:
        gateway = self._gateway()
        if gateway is None:
            return
        up = GaugeMetricFamily("b2b_store_up", "1 when the database answered this scrape")
        try:
            families = self._families(gateway)
        except StoreUnavailable:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self, gateway: Gateway) -> list[Metric]:
        engine, now = gateway.engine, utcnow()
        partners = [p.id for p in gateway.partners]
        events = self._events.counts(engine=engine, now=now)
        interchanges = self._interchanges.counts(engine=engine, now=now)
        states = queue_states(engine=engine)
        return [
            _documents(events, interchanges, self._inbound(gateway, now)),
            _queue(states, partners),
            _by_partner(
                GaugeMetricFamily("b2b_dead_letters", "Dead messages", labels=["partner"]),
                {p: n for (state, p), n in states.items() if state == "dead"},
                partners,
            ),
            _by_partner(
                GaugeMetricFamily(
                    "b2b_acks_overdue",
                    "Sent messages whose 997/999/TA1 is overdue",
                    labels=["partner"],
                ),
                self._acks_overdue(gateway),
                partners,
            ),
            _by_partner(
                CounterMetricFamily("b2b_retries", "Send attempts retried", labels=["partner"]),
                _retries(events),
                partners,
            ),
            self._rejected(gateway, now, interchanges),
        ]

    def _acks_overdue(self, gateway: Gateway) -> dict[str, int]:
        """Counted at most every OVERDUE_SECONDS: the query reads every message that expects
        an acknowledgment (ix_messages_ack_due), and being overdue takes hours anyway."""
        at, found = self._overdue
        if found is None or time.monotonic() - at > OVERDUE_SECONDS:
            found = acks_overdue(engine=gateway.engine, now=utcnow())
            self._overdue = (time.monotonic(), found)
        return found

    def _inbound(self, gateway: Gateway, now: dt.datetime) -> Counter[tuple[str, str]]:
        engine = gateway.engine
        found: Counter[tuple[str, str]] = Counter()
        for (partner, source_format), n in self._documents.counts(engine=engine, now=now).items():
            found[(partner, source_format)] += n
        for (partner, transaction_set), n in self._business.counts(engine=engine, now=now).items():
            found[(partner, transaction_set)] += n
        return found

    def _rejected(
        self, gateway: Gateway, now: dt.datetime, interchanges: dict[tuple[str, ...], int]
    ) -> Metric:
        family = CounterMetricFamily(
            "b2b_rejections", "Documents refused, by where they came from", labels=["source"]
        )
        found: Counter[str] = Counter({"cxml": 0, "coupa-xml": 0, "x12": 0, "as2": 0})
        for (source,), n in self._rejections.counts(engine=gateway.engine, now=now).items():
            found[source] += n
        found["x12"] += sum(n for (_, status), n in interchanges.items() if status == REJECTED)
        as2 = self._as2.counts(engine=gateway.engine, now=now)
        found["as2"] += sum(n for (_, status), n in as2.items() if status == "error")
        for source, n in sorted(found.items()):
            family.add_metric([source], n)
        return family


def _documents(
    events: dict[tuple[str, ...], int],
    interchanges: dict[tuple[str, ...], int],
    inbound: Counter[tuple[str, str]],
) -> Metric:
    family = CounterMetricFamily(
        "b2b_documents",
        "Documents received (in) and delivered (out), by partner and type",
        labels=["direction", "partner", "type"],
    )
    out: Counter[tuple[str, str]] = Counter()
    for (state, partner, transaction_set, destination), n in events.items():
        if state == "sent":
            out[(partner, document_type(transaction_set, destination))] += n
    for (partner, _status), n in interchanges.items():
        inbound[(partner or UNKNOWN, "ISA")] += n
    for direction, counts in (("in", inbound), ("out", out)):
        for (partner, kind), n in sorted(counts.items()):
            family.add_metric([direction, partner or UNKNOWN, kind], n)
    return family


def document_type(transaction_set: str, destination: str) -> str:
    """The type label of an outbound message: its X12 set, or "cXML/<set>" for Coupa.

    >>> document_type("855", "coupa")
    'cXML/855'
    """
    return f"cXML/{transaction_set}" if destination == "coupa" else transaction_set


def _queue(states: dict[tuple[str, str], int], partners: list[str]) -> Metric:
    family = GaugeMetricFamily(
        "b2b_messages", "Messages not (yet) sent, by state and partner", labels=["state", "partner"]
    )
    found = Counter({(s, p): 0 for s in QUEUE_STATES for p in partners})
    found.update(states)
    for (state, partner), n in sorted(found.items()):
        family.add_metric([state, partner], n)
    return family


def _retries(events: dict[tuple[str, ...], int]) -> dict[str, int]:
    """Retry events by partner (of every transaction set and destination)."""
    found: Counter[str] = Counter()
    for (state, partner, _, _), n in events.items():
        if state == "retry":
            found[partner] += n
    return dict(found)


def _by_partner(
    family: GaugeMetricFamily | CounterMetricFamily, counts: dict[str, int], partners: list[str]
) -> Metric:
    """One sample a partner: every configured one (0 when none), and any other with a count."""
    found = Counter(dict.fromkeys(partners, 0))
    found.update(counts)
    for partner, n in sorted(found.items()):
        family.add_metric([partner or UNKNOWN], n)
    return family


class CertificateCollector(Collector):
    """Days left on our AS2 keys' certificates, every partner's, and the TLS serving one."""

    def __init__(self, gateway: GatewaySource, tls_certificate: Path | None) -> None:
        self._gateway = gateway
        self._tls = _read_certificates(tls_certificate)

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "b2b_certificate_days_left",
            "Days until the certificate's notAfter (negative: expired)",
            labels=["owner", "subject", "serial"],
        )
        now = utcnow()
        for owner, certificate in self._named():
            left = (certificate.not_valid_after_utc - now).total_seconds() / 86400
            subject = certificate.subject.rfc4514_string()
            family.add_metric([owner, subject, f"{certificate.serial_number:x}"], round(left, 3))
        yield family

    def _named(self) -> Iterator[tuple[str, x509.Certificate]]:
        gateway = self._gateway()
        if gateway is not None:
            ours = gateway.as2.ours
            for pair in ours.keys if ours else ():
                yield "ours", pair.certificate
            for entry in gateway.as2.partners.values():
                for certificate in entry.security.certificates:
                    yield entry.profile.id, certificate
        for certificate in self._tls:
            yield "tls", certificate


def _read_certificates(path: Path | None) -> list[x509.Certificate]:
    """The leaf of a PEM chain (the serving certificate); none when unset or unreadable."""
    if path is None:
        return []
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())[:1]
    except (OSError, ValueError):
        return []
