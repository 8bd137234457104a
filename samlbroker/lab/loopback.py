"""Loopback socket helpers shared by the lab's servers and the test fixtures that start real ones.

A port free for both TCP and UDP, waiting until a started process listens, an accept loop, and a two-way
byte pipe (TLS-aware: bytes a TLS socket has already decrypted are read without waiting).
"""

from __future__ import annotations

import select
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable


def free_tcp_udp_port(attempts: int = 50) -> int | None:
    """A loopback port free for both TCP and UDP (a KDC listens on both); None if none was found."""
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    return None


def wait_for_listener(port: int, process: subprocess.Popen, timeout: float) -> bool:  # type: ignore[type-arg]
    """True once ``127.0.0.1:port`` accepts a TCP connection; False when ``process`` exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


def accept_each(
    server: socket.socket, handle: Callable[[socket.socket], None], name: str
) -> threading.Thread:
    """Start a daemon thread that accepts on ``server`` until it is closed, each connection handled in its own."""

    def accept() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(client,), daemon=True).start()

    thread = threading.Thread(target=accept, name=name, daemon=True)
    thread.start()
    return thread


def pipe(a: socket.socket, b: socket.socket, idle: float = 30) -> None:
    """Copy bytes both ways until one side closes or resets, or nothing moves for ``idle`` seconds."""
    while True:
        pending = [s for s in (a, b) if isinstance(s, ssl.SSLSocket) and s.pending()]
        ready = pending or select.select([a, b], [], [], idle)[0]
        if not ready:
            return
        for sock in ready:
            try:
                data = sock.recv(65536)
                if data:
                    (b if sock is a else a).sendall(data)
            except (
                OSError
            ):  # a side that resets (a browser quitting resets its tunnels) ends the pipe quietly
                return
            if not data:
                return
