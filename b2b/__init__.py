"""b2b: an EDI/B2B gateway from Coupa procurement XML to ANSI X12 over AS2 or SFTP."""

__version__ = "0.1.0"
