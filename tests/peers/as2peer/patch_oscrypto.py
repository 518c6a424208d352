"""Patch oscrypto 1.3.0 so it reads OpenSSL version strings with a two-digit part ('3.0.19').

oscrypto 1.3.0 matches the version with '\\b(\\d\\.\\d\\.\\d[a-z]*)\\b', so on OpenSSL >= 3.0.10
`import pyas2lib` fails with "LibraryNotFoundError: Error detecting the version of libcrypto"
(oscrypto issue #78; the fix is unreleased). Patches the oscrypto of the running interpreter:

    <peer venv>/bin/python patch_oscrypto.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

OLD = r"re.search('\\b(\\d\\.\\d\\.\\d[a-z]*)\\b', version_string)"
NEW = r"re.search('\\b(\\d+\\.\\d+\\.\\d+[a-z]*)\\b', version_string)"


def patch() -> int:
    """Rewrite the version regex in both libcrypto bindings; 0 when both are patched."""
    spec = importlib.util.find_spec("oscrypto")
    if spec is None or not spec.submodule_search_locations:
        print("oscrypto is not installed in", sys.prefix)
        return 1
    base = Path(next(iter(spec.submodule_search_locations))) / "_openssl"
    failures = 0
    for name in ("_libcrypto_cffi.py", "_libcrypto_ctypes.py"):
        path = base / name
        text = path.read_text()
        if OLD in text:
            path.write_text(text.replace(OLD, NEW))
            print("patched", path)
        elif NEW not in text:
            print("pattern not found in", path)
            failures += 1
    return failures


if __name__ == "__main__":
    sys.exit(patch())
