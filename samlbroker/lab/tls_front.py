"""A TLS front on loopback: terminates HTTPS with a lab certificate and pipes the bytes to a plain HTTP port.

It puts HTTPS in front of servers that speak only HTTP here (PHP's built-in server running SimpleSAMLphp),
as a load balancer or reverse proxy does in front of a real IdP.
"""

from __future__ import annotations

import socket
import ssl
import threading

from .loopback import accept_each, pipe


class TLSFront:
    """Listens on ``127.0.0.1:port`` (0: a free one) with ``ssl_context``; each connection goes to ``backend_port``."""

    def __init__(self, ssl_context: ssl.SSLContext, backend_port: int, port: int = 0) -> None:
        self.ssl_context = ssl_context
        self.backend_port = backend_port
        self._server = socket.create_server(("127.0.0.1", port))
        self.port: int = self._server.getsockname()[1]
        self.connections = 0
        self._counting = threading.Lock()

    def start(self) -> TLSFront:
        accept_each(self._server, self._serve, "lab-tls-front")
        return self

    def _serve(self, client: socket.socket) -> None:
        with self._counting:
            self.connections += 1
        try:
            with (
                self.ssl_context.wrap_socket(client, server_side=True) as tls,
                socket.create_connection(("127.0.0.1", self.backend_port), timeout=30) as backend,
            ):
                pipe(tls, backend)
        except (OSError, ssl.SSLError):
            return  # a client that refused our certificate, or a backend that went away

    def stop(self) -> None:
        self._server.close()
