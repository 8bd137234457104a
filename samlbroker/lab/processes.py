"""Stopping a child process the lab or a test fixture started: ask, wait a bounded time, then kill."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen, timeout: float, *, terminate: bool = True) -> None:  # type: ignore[type-arg]
    """SIGTERM ``process`` (not when ``terminate`` is False: it was told to end another way, e.g. its stdin
    closed), give it ``timeout`` seconds to exit, then SIGKILL it and reap it."""
    if terminate:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
