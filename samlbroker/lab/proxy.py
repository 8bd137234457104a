"""An HTTPS (CONNECT) proxy on loopback that can map outside host names to lab servers, counting tunnels."""

from __future__ import annotations

import socket
from collections.abc import Mapping

from .loopback import accept_each, pipe


class ConnectProxy:
    """Tunnels ``CONNECT host:port`` to loopback only: a name in ``routes`` goes to its lab port."""

    def __init__(self, routes: Mapping[str, int] | None = None) -> None:
        self.routes = dict(routes or {})
        self.tunnels: list[str] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        accept_each(self._server, self._tunnel, "lab-proxy")

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
                pipe(client, upstream)

    def close(self) -> None:
        self._server.close()
