"""Serve a WSGI app on a free local port in a background thread, for browser tests."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.serving import make_server


@dataclass(frozen=True)
class LiveServer:
    """A running server: its base URL (no trailing slash) and how to stop it."""

    url: str
    stop: Callable[[], None]


def start_live_server(app: Callable[..., object]) -> LiveServer:
    """Start `app` on 127.0.0.1 with a port the OS picks; return once it accepts requests.

    The listening socket is bound before this returns, so the URL is usable at once.
    The thread is a daemon so a crashed test run cannot hang on it.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()

    def stop() -> None:
        """Stop serving, close the socket and wait for the thread to end."""
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return LiveServer(url=f"http://127.0.0.1:{server.server_port}", stop=stop)
