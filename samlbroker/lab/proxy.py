"""An HTTPS (CONNECT) proxy on loopback that can map outside host names to lab servers, counting tunnels."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Mapping


class ConnectProxy:
    """Tunnels ``CONNECT host:port`` to loopback only: a name in ``routes`` goes to its lab port."""

    def __init__(self, routes: Mapping[str, int] | None = None) -> None:
        self.routes = dict(routes or {})
        self.tunnels: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, name="lab-proxy", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _target(self, authority: str) -> int | None:
        host, _, port = authority.rpartition(":")
        if authority in self.routes or host in self.routes:
            return self.routes.get(authority, self.routes.get(host))
        return int(port) if host in ("localhost", "127.0.0.1") and port.isdigit() else None

    def _tunnel(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 16384:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            parts = head.split(b" ", 2)
            port = self._target(parts[1].decode("ascii", "replace")) if parts[0] == b"CONNECT" else None
            if port is None:
                client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.tunnels.append(parts[1].decode("ascii"))
            with socket.create_connection(("127.0.0.1", port)) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                _pipe(client, upstream)

    def close(self) -> None:
        self._server.close()


def _pipe(a: socket.socket, b: socket.socket, idle: float = 30) -> None:
    while True:
        ready, _, _ = select.select([a, b], [], [], idle)
        if not ready:
            return
        for sock in ready:
            try:
                data = sock.recv(65536)
                if data:
                    (b if sock is a else a).sendall(data)
            except OSError:  # a browser that quits resets its tunnels: that ends this one, nothing more
                return
            if not data:
                return
