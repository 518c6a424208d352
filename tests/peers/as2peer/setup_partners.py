"""Configure the django-pyas2 peer through the Django ORM; re-running updates the rows.

Creates the Organization ORG_AS2_ID (default DJANGO_PEER: decrypts and signs MDNs with
certs/peer_keycert.pem) and the Partner PARTNER_AS2_ID (default PYAS2LIB_CLIENT, certificate
certs/client_cert.pem). Each partner keeps its own row, so several can be configured side by side.
Environment overrides (empty string = off):

    PARTNER_AS2_ID, ORG_AS2_ID, PARTNER_CERT (PEM of the partner's certificate),
    PARTNER_TARGET_URL (where the peer sends to), PARTNER_MDN_MODE (SYNC|ASYNC),
    PARTNER_ENCRYPTION (aes_256_cbc), PARTNER_SIGNATURE (sha256), PARTNER_COMPRESS (1),
    PARTNER_MDN (1), PARTNER_MDN_SIGN (sha256), PARTNER_CONTENT_TYPE (application/EDI-X12)

usage: python setup_partners.py [--migrate]    (--migrate: create the database tables first)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

BASE = Path(__file__).resolve().parent
PASSPHRASE = "test"


def option(name: str, default: str) -> str | None:
    """The override `name` or `default`; None when set to the empty string."""
    return os.environ.get(name, default) or None


def configure(migrate: bool) -> None:
    """Create or update the peer's private key, the partner certificate, org and partner."""
    sys.path.insert(0, str(BASE))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "as2peer_site.settings")
    import django  # type: ignore[import-not-found]

    django.setup()
    if migrate:
        from django.core.management import call_command  # type: ignore[import-not-found]

        call_command("migrate", verbosity=0)
    from pyas2.models import (  # type: ignore[import-not-found]
        Organization,
        Partner,
        PrivateKey,
        PublicCertificate,
    )

    org_id = os.environ.get("ORG_AS2_ID", "DJANGO_PEER")
    partner_id = os.environ.get("PARTNER_AS2_ID", "PYAS2LIB_CLIENT")
    cert_path = Path(os.environ.get("PARTNER_CERT", str(BASE / "certs" / "client_cert.pem")))
    key, _ = PrivateKey.objects.update_or_create(
        name="peer-key",
        defaults={
            "key": (BASE / "certs" / "peer_keycert.pem").read_bytes(),
            "key_pass": PASSPHRASE,
        },
    )
    cert, _ = PublicCertificate.objects.update_or_create(
        name=f"{partner_id}-cert",
        # Self-signed test certificates: no chain to validate.
        defaults={"certificate": cert_path.read_bytes(), "verify_cert": False},
    )
    org, _ = Organization.objects.update_or_create(
        as2_name=org_id,
        defaults={
            "name": "django-pyas2 interop peer",
            "email_address": "peer@example.invalid",
            "encryption_key": key,
            "signature_key": key,
        },
    )
    partner, _ = Partner.objects.update_or_create(
        as2_name=partner_id,
        defaults={
            "name": f"partner {partner_id}",
            "target_url": option("PARTNER_TARGET_URL", "http://127.0.0.1:8090/as2"),
            "subject": "AS2 interop test",
            "content_type": option("PARTNER_CONTENT_TYPE", "application/EDI-X12"),
            "compress": option("PARTNER_COMPRESS", "1") == "1",
            "encryption": option("PARTNER_ENCRYPTION", "aes_256_cbc"),
            "encryption_cert": cert,
            "signature": option("PARTNER_SIGNATURE", "sha256"),
            "signature_cert": cert,
            "mdn": option("PARTNER_MDN", "1") == "1",
            "mdn_mode": option("PARTNER_MDN_MODE", "SYNC"),
            "mdn_sign": option("PARTNER_MDN_SIGN", "sha256"),
        },
    )
    print(f"org={org.as2org.as2_name} partner={partner.as2partner.as2_name}")
    print(f"target_url={partner.target_url} mdn_mode={partner.mdn_mode}")


if __name__ == "__main__":
    configure(migrate="--migrate" in sys.argv[1:])
