"""A TLS front on loopback: terminates HTTPS with a lab certificate and pipes the bytes to a plain HTTP port.

It puts HTTPS in front of servers that speak only HTTP here (PHP's built-in server running SimpleSAMLphp),
as a load balancer or reverse proxy does in front of a real IdP.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading


class TLSFront:
    """Listens on ``127.0.0.1:port`` (0: a free one) with ``ssl_context``; each connection goes to ``backend_port``."""

    def __init__(self, ssl_context: ssl.SSLContext, backend_port: int, port: int = 0) -> None:
        self.ssl_context = ssl_context
        self.backend_port = backend_port
        self._server = socket.create_server(("127.0.0.1", port))
        self.port: int = self._server.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, name="lab-tls-front", daemon=True)

    def start(self) -> TLSFront:
        self._thread.start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            with (
                self.ssl_context.wrap_socket(client, server_side=True) as tls,
                socket.create_connection(("127.0.0.1", self.backend_port), timeout=30) as backend,
            ):
                _pipe(tls, backend)
        except (OSError, ssl.SSLError):
            return  # a client that refused our certificate, or a backend that went away

    def stop(self) -> None:
        self._server.close()


def _pipe(tls: ssl.SSLSocket, plain: socket.socket, idle: float = 30) -> None:
    """Copy both ways until one side closes; bytes already decrypted (``pending``) are read without waiting."""
    while True:
        ready = [tls] if tls.pending() else select.select([tls, plain], [], [], idle)[0]
        if not ready:
            return
        for sock in ready:
            data = sock.recv(65536)
            if not data:
                return
            (plain if sock is tls else tls).sendall(data)
