"""Write a new revision from the difference between schema.py and a database at head.

$ python -m b2b.store.migrations "what changed" sqlite:///var/b2b.sqlite3
"""

from __future__ import annotations

import sys

from alembic import command
from alembic.script import ScriptDirectory

from b2b.store.migrations import config


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    message, url = sys.argv[1], sys.argv[2]
    cfg = config(url=url)
    newest = ScriptDirectory.from_config(cfg).get_current_head() or "0000"
    command.revision(cfg, message=message, autogenerate=True, rev_id=f"{int(newest) + 1:04d}")


if __name__ == "__main__":
    main()
