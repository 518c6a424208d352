"""Trading partner profiles: the schema, the loader and the directory of loaded partners."""

from b2b.partners.profile import (
    As2Partner,
    As2Transport,
    DirectoryTransport,
    Envelope,
    PartnerProfile,
    SftpTransport,
    Transport,
    X12Settings,
)
from b2b.partners.registry import PartnerRegistry, load_partners, load_profile

__all__ = [
    "As2Partner",
    "As2Transport",
    "DirectoryTransport",
    "Envelope",
    "PartnerProfile",
    "PartnerRegistry",
    "SftpTransport",
    "Transport",
    "X12Settings",
    "load_partners",
    "load_profile",
]
