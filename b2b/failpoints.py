"""Crash switches for reliability tests: kill this process at a named step of a send.

TEST-ONLY. `failpoint(name)` does nothing unless the environment variable B2B_FAILPOINT,
read once when this module is imported, names it; then the process sends itself SIGKILL
there, as a power cut or an OOM kill would. Unset, a call costs one string comparison.

    $ B2B_FAILPOINT=as2.after-post b2b worker     # dies after the POST, before the MDN is kept

The steps (tests/reliability/ kills a `b2b worker` at each, then checks nothing is lost):

    as2.before-post            b2b/as2flow.py   the AS2 message is built and stored, not posted
    as2.after-post             b2b/as2flow.py   posted, the MDN not yet checked or recorded
    directory.before-write     b2b/transport/directory.py   nothing written yet
    sftp.before-upload         b2b/transport/sftp.py   connected, nothing written yet
    sftp.during-upload         b2b/transport/sftp.py   part of the bytes in the temporary file
    sftp.before-rename         b2b/transport/sftp.py   uploaded under the temporary name
    outbound.before-record-sent  b2b/outbound.py   delivered, `sent` not yet recorded
"""

from __future__ import annotations

import os
import signal

# Deliberately outside Settings: a crash switch is not configuration, and must cost nothing.
_ARMED = os.environ.get("B2B_FAILPOINT", "")

NAMES = (
    "as2.before-post",
    "as2.after-post",
    "directory.before-write",
    "sftp.before-upload",
    "sftp.during-upload",
    "sftp.before-rename",
    "outbound.before-record-sent",
)


def failpoint(name: str) -> None:
    """Kill this process with SIGKILL if B2B_FAILPOINT names `name`; otherwise nothing.

    >>> failpoint("sftp.before-rename")   # a no-op unless B2B_FAILPOINT=sftp.before-rename
    """
    if name == _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
