"""Plain helpers of the outbox tests (a module of its own: ``from conftest import``
would pick whichever ``conftest`` another test folder loaded first)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# outbox_support is importable here because pytest puts this folder on sys.path;
# worker processes get it through PYTHONPATH.
OUTBOX_SETTINGS = {
    "jimu.includes": "jimucrm.tenants jimucrm.security outbox_support",
    "jimu.outbox_max_attempts": "3",
    "jimu.outbox_backoff_seconds": "1",
    "jimu.outbox_sweep_seconds": "1",
}


def outbox_environ(settings: dict) -> dict[str, str]:
    """Environment for a ``jimu`` process (a worker, the CLI) with the test handlers."""
    environ = dict(os.environ, JIMU_SECRET_KEY=settings["jimu.secret_key"],
                   PYTHONPATH=os.pathsep.join(filter(None, [str(HERE),
                                                            os.environ.get("PYTHONPATH")])))
    for name, value in OUTBOX_SETTINGS.items():
        environ["JIMU_" + name.split(".", 1)[1].upper()] = value
    return environ


def wait_for(check: Callable[[], bool], timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or check}")
        time.sleep(0.05)
