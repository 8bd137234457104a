"""A container-credentials endpoint on loopback: the one route AWS SDKs and the AWS CLI poll for credentials.

The protocol is the one ECS and EKS speak (``AWS_CONTAINER_CREDENTIALS_FULL_URI`` and
``AWS_CONTAINER_AUTHORIZATION_TOKEN``): ``GET`` the URL with the token as the ``Authorization`` header, get
JSON ``AccessKeyId``, ``SecretAccessKey``, ``Token``, ``Expiration`` (and ``AccountId``). Errors are JSON
``{"code": ..., "message": ...}`` with the same two again as ``Code`` and ``Message`` (the spelling the AWS SDK
for JavaScript reads). Only 127.0.0.1 is ever bound; a request must carry the token (compared in constant
time), use ``GET`` and name this endpoint in its ``Host`` header as ``127.0.0.1:PORT`` or ``localhost:PORT``
(the two loopback names the SDKs accept in the URL; a page that rebinds its own DNS name to 127.0.0.1 sends
its own name there), else it gets a 403. There is no other route: nothing here
assumes another role. Where the credentials come from is :mod:`.refresher`'s business.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .errors import SAMLBrokerError

log = logging.getLogger("samlbroker")

LOOPBACK = "127.0.0.1"
PATH = "/credentials"
TOKEN_BYTES = 32


class EndpointError(SAMLBrokerError):
    """What a request is answered with instead of credentials: an HTTP status, a code and a one-line message."""

    def __init__(self, message: str, code: str = "CredentialsUnavailable", status: int = 503) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def new_token() -> str:
    """A fresh authorization token: 32 random bytes, URL-safe base64 (a legal header value, no newline)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


Answer = Callable[[], "dict[str, Any]"]


class CredentialEndpoint(ThreadingHTTPServer):
    """The endpoint on 127.0.0.1:``port`` (0: a free port); ``answer()`` returns the credentials document or
    raises :class:`EndpointError`. ``start()`` serves from a thread; ``stop()`` closes the socket."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, answer: Answer, token: str, port: int = 0) -> None:
        try:
            super().__init__((LOOPBACK, port), _Handler)
        except OSError as exc:
            raise SAMLBrokerError(f"cannot listen on {LOOPBACK}:{port}: {exc.strerror or exc}") from None
        self.answer = answer
        self.token = token.encode("ascii")
        self.host = f"{LOOPBACK}:{self.server_port}"
        self.hosts = (self.host, f"localhost:{self.server_port}")
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """What ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` is set to."""
        return f"http://{self.host}{PATH}"

    def start(self) -> CredentialEndpoint:
        self._thread = threading.Thread(target=self.serve_forever, name="samlbroker-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("endpoint: a request failed", exc_info=True)  # a client that went away; never a traceback


class _Handler(BaseHTTPRequestHandler):
    server: CredentialEndpoint
    protocol_version = "HTTP/1.1"  # keep-alive: an SDK's connection pool reuses its connection
    # One send per answer (headers and body buffered, flushed after the request), and no Nagle delay: else
    # the body waits for the client's delayed ACK of the headers, 40 ms a request.
    wbufsize = -1
    disable_nagle_algorithm = True
    server_version = "samlbroker"
    sys_version = ""

    def do_GET(self) -> None:
        refused = self._refusal()
        if refused is not None:
            self._error(403, "AccessDenied", refused)
            return
        if self.path.split("?", 1)[0] != PATH:
            self._error(404, "NotFound", f"the only route is {PATH}")
            return
        try:
            document = self.server.answer()
        except EndpointError as exc:
            self._error(exc.status, exc.code, str(exc))
            return
        self._send(200, document)

    def __getattr__(self, name: str) -> Any:
        """Every method other than GET (``do_POST``, ``do_PUT``, ...) is refused with a 403."""
        if name.startswith("do_"):
            return self._refuse_method
        raise AttributeError(name)

    def _refuse_method(self) -> None:
        self.close_connection = True  # its body, if any, is never read
        self._error(403, "AccessDenied", f"method {self.command} is not allowed: use GET")

    def _refusal(self) -> str | None:
        """Why this request is refused (a wrong Host or token), or None."""
        hosts = self.headers.get_all("Host") or []
        if len(hosts) != 1 or hosts[0].lower() not in self.server.hosts:
            return "the Host header does not name this endpoint"
        given = self.headers.get_all("Authorization") or []
        token = given[0].encode("latin-1", "replace") if len(given) == 1 else b""
        if not hmac.compare_digest(token, self.server.token):
            return "a missing or wrong authorization token"
        return None

    def _error(self, status: int, code: str, message: str) -> None:
        """An error answer: botocore and the AWS CLI show the body as it is; the JS SDK reads Code and Message."""
        self._send(status, {"code": code, "message": message, "Code": code, "Message": message})

    def _send(self, status: int, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("endpoint: %s", format % args)  # the request line and status: never a header
