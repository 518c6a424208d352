"""A plain ASGI app served the way `b2b serve --workers N` serves the gateway (connections dealt
to the processes in turn, b2b.api.workers), so that a peer app is measured on equal terms.

    python -m bench._dealt bench._baseline_app:app 18462 2
"""

from __future__ import annotations

import sys

import uvicorn

from b2b.api.workers import serve_dealt


def main() -> None:
    app, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, workers=workers, access_log=False, log_level="warning"
    )
    serve_dealt(config, workers=workers)


if __name__ == "__main__":
    main()
