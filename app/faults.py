"""Fault drills: named pause points that a test can switch on to stop a request mid-way.

A drill sets the environment variable `LIS_TEST_FAULT_PAUSE=<point>:<path>` (read at
call time, so a test can set it in-process or for a server it starts). When a request
reaches that point it creates `<path>.reached` holding its process id, then waits until
`<path>.release` exists, at most PAUSE_TIMEOUT_SECONDS. Meanwhile the test can kill the
worker, cut its database connection, and so on.

Each drill pauses once: when `<path>.reached` already exists, the point lets the request
through, so a restarted worker or the next request runs normally. Outside demo and test
mode the variable is ignored, so a stray setting cannot stall a production portal.
Switched off, a pause point costs one environment lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENVIRONMENT_VARIABLE = "LIS_TEST_FAULT_PAUSE"
PAUSE_TIMEOUT_SECONDS = 20.0
_POLL_SECONDS = 0.01


def pause_point(name: str) -> None:
    """Pause here when a fault drill asks for this point (see the module docstring)."""
    setting = os.environ.get(ENVIRONMENT_VARIABLE)
    if not setting:
        return
    point, _, base = setting.partition(":")
    if point != name or not base or not _drills_allowed():
        return
    if not _claim(Path(f"{base}.reached")):
        return
    release = Path(f"{base}.release")
    deadline = time.monotonic() + PAUSE_TIMEOUT_SECONDS
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)


def _drills_allowed() -> bool:
    from flask import current_app, has_app_context

    return has_app_context() and bool(current_app.config.get("TESTING")
                                       or current_app.config.get("PORTAL_DEMO"))


def _claim(reached: Path) -> bool:
    """Create `reached` with our pid, all at once; False when another call already did."""
    scratch = reached.with_name(f"{reached.name}.{os.getpid()}.tmp")
    scratch.write_text(str(os.getpid()), encoding="ascii")
    try:
        # A hard link appears complete or not at all, and fails if the name exists:
        # the waiting test never reads a half-written pid, and only one caller pauses.
        os.link(scratch, reached)
    except FileExistsError:
        return False
    finally:
        scratch.unlink()
    return True
