"""A small threaded HTTP/1.1 server for the lab: keep-alive, a framed body on every reply, TLS, counters."""

from __future__ import annotations

import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class LabHTTPServer(ThreadingHTTPServer):
    """Binds to loopback only; counts TCP connections and requests so tests and benchmarks can read them."""

    daemon_threads = True
    allow_reuse_address = True
    # Bodies sent with ``Transfer-Encoding: chunked`` instead of ``Content-Length`` (a subclass may make it
    # a property, as the IdP does from its variant).
    chunked = False

    def __init__(
        self,
        handler: type[BaseHTTPRequestHandler],
        ssl_context: ssl.SSLContext | None = None,
        port: int = 0,
        hostname: str = "localhost",
    ) -> None:
        super().__init__(("127.0.0.1", port), handler)
        self.ssl_context = ssl_context
        self.hostname = hostname
        self._lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{self.hostname}:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        with self._lock:
            self.connections += 1
        if self.ssl_context is not None:
            # The handshake happens on the handler's thread, at its first read.
            sock = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or rejects our certificate is normal in a lab; anything else is logged."""
        import sys

        error = sys.exc_info()[1]
        if isinstance(error, (ssl.SSLError, ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)

    def count_request(self) -> None:
        with self._lock:
            self.requests += 1

    def reset_counters(self) -> None:
        with self._lock:
            self.connections = 0
            self.requests = 0

    def start(self) -> LabHTTPServer:
        """Serve on a daemon thread; returns self for chaining."""
        self._thread = threading.Thread(target=self.serve_forever, name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class LabHandler(BaseHTTPRequestHandler):
    """Keep-alive request handler: one instance per TCP connection, so per-connection state lives on self."""

    protocol_version = "HTTP/1.1"
    server: LabHTTPServer
    timeout = 30

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok:
            self.server.count_request()
        return ok

    def log_message(self, format: str, *args: Any) -> None:
        return

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(
        self,
        status: int,
        body: bytes | str = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        """Send a complete response, its body framed (Content-Length, or chunked) so the connection stays usable."""
        data = body.encode() if isinstance(body, str) else body
        chunked = self.server.chunked and status not in (204, 304)
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        if data or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if chunked:
            self.wfile.write(_chunks(data))
        else:
            self.wfile.write(data)


CHUNK_SIZE = 1024


def _chunks(data: bytes) -> bytes:
    """``data`` in chunked transfer coding (RFC 9112 section 7.1), in pieces of CHUNK_SIZE, then the last chunk."""
    pieces = [
        b"%x\r\n%s\r\n" % (len(data[i : i + CHUNK_SIZE]), data[i : i + CHUNK_SIZE])
        for i in range(0, len(data), CHUNK_SIZE)
    ]
    return b"".join(pieces) + b"0\r\n\r\n"
