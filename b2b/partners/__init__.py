"""Trading partner profiles: the schema (`profile`) and the loaded registry (`registry`)."""

from b2b.partners.profile import (
    Acknowledgments,
    As2Partner,
    As2Transport,
    Delivery,
    DirectoryInbound,
    DirectoryTransport,
    Envelope,
    Inbound,
    PartnerProfile,
    Retry,
    SftpInbound,
    SftpServer,
    SftpTransport,
    Transport,
    X12Settings,
)
from b2b.partners.registry import PartnerRegistry, load_partners, load_profile

__all__ = [
    "Acknowledgments",
    "As2Partner",
    "As2Transport",
    "Delivery",
    "DirectoryInbound",
    "DirectoryTransport",
    "Envelope",
    "Inbound",
    "PartnerProfile",
    "PartnerRegistry",
    "Retry",
    "SftpInbound",
    "SftpServer",
    "SftpTransport",
    "Transport",
    "X12Settings",
    "load_partners",
    "load_profile",
]
