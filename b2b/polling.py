"""Polling the `[inbound]` folders of partners (SFTP servers, local folders) on their schedules.

A file is recorded (`store.inbound.record_inbound_file`) before the poller removes it where it
was; a file seen again after a crash between the two is recognised by path, size and hash, and
removed without being read twice. `b2b.inbound` reads what was recorded.

>>> pollers = Pollers(gateway)
>>> pollers.poll_due(time.monotonic())
"""

from __future__ import annotations

import logging

from b2b.engine import Gateway
from b2b.errors import B2BError
from b2b.partners import Inbound as InboundSettings
from b2b.partners import PartnerProfile
from b2b.store import utcnow
from b2b.store.inbound import Arrival, record_inbound_file
from b2b.transport.inbound import InboundFile, Poller, Record, open_poller

log = logging.getLogger(__name__)


class Pollers:
    """The `[inbound]` folder of every partner that has one, each polled on its own schedule."""

    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._open: dict[str, Poller] = {}
        self._profiles: dict[str, PartnerProfile] = {}
        self._due: dict[str, float] = {}

    def poll_due(self, now: float) -> bool:
        """Poll every partner whose interval has passed; True if a file was recorded."""
        recorded = False
        for partner in self._gateway.partners:
            inbound = partner.inbound
            if inbound is None or self._due.get(partner.id, 0.0) > now:
                continue
            self._due[partner.id] = now + inbound.poll_seconds
            recorded |= self._poll(partner, inbound)
        return recorded

    def _poll(self, partner: PartnerProfile, inbound: InboundSettings) -> bool:
        try:
            report = self._poller(partner, inbound).poll(self._recorder(partner, inbound.kind))
        except B2BError as exc:
            self._drop(partner.id)
            log.warning("polling %s's %s inbound folder failed: %s", partner.id, inbound.kind, exc)
            return False
        for error in report.errors:
            log.warning("polling %s: %s", partner.id, error)
        if report.taken or report.already_recorded:
            log.info(
                "polled %s: %d file(s) taken, %d already recorded",
                partner.id,
                len(report.taken),
                len(report.already_recorded),
            )
        return bool(report.taken)

    def _poller(self, partner: PartnerProfile, inbound: InboundSettings) -> Poller:
        if partner.id not in self._open or self._profiles.get(partner.id) is not partner:
            self._drop(partner.id)  # the profile was reloaded: reopen with the new one
            settings = self._gateway.settings
            self._open[partner.id] = open_poller(
                inbound,
                certs_dir=settings.resolve(settings.certs_dir),
                data_dir=settings.resolve(settings.data_dir),
                kek=settings.kek_bytes(),
            )
            self._profiles[partner.id] = partner
        return self._open[partner.id]

    def _recorder(self, partner: PartnerProfile, origin: str) -> Record:
        gateway = self._gateway

        def record(file: InboundFile) -> bool:
            arrival = Arrival(partner.id, origin, file.path, file.sha256, file.data, utcnow())
            return record_inbound_file(engine=gateway.engine, blobs=gateway.blobs, arrival=arrival)

        return record

    def _drop(self, partner_id: str) -> None:
        poller = self._open.pop(partner_id, None)
        if poller is not None:
            poller.close()

    def close(self) -> None:
        """Close every open connection."""
        for partner_id in list(self._open):
            self._drop(partner_id)
