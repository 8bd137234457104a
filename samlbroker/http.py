"""The HTTP session every authenticator drives: TLS verified, proxies, a timeout on each request, safe logging."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests

log = logging.getLogger("samlbroker.http")

BROWSER_USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 samlbroker"


class BrokerSession(requests.Session):
    """A ``requests.Session`` whose defaults cannot be lost on the way.

    ``verify`` is passed on every request, because requests lets ``REQUESTS_CA_BUNDLE`` beat a
    ``Session.verify`` path: a CA bundle given here must win over that variable.
    """

    def __init__(
        self,
        verify: bool | str = True,
        proxies: Mapping[str, str] | None = None,
        timeout: float = 30,
    ) -> None:
        super().__init__()
        self.ca_verify = verify
        self.request_timeout: float | tuple[float, float] = timeout
        if proxies:
            self.proxies.update(proxies)
        self.headers["User-Agent"] = BROWSER_USER_AGENT
        self.hooks["response"].append(self._log_response)

    @contextmanager
    def answers_within(self, seconds: float) -> Iterator[None]:
        """Requests made inside wait up to ``seconds`` for the answer (a poll the IdP holds open until the user
        acts); connecting keeps the session's own bound."""
        saved = self.request_timeout
        connect = saved[0] if isinstance(saved, tuple) else saved
        self.request_timeout = (connect, seconds)
        try:
            yield
        finally:
            self.request_timeout = saved

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.request_timeout)
        if self.ca_verify is not True:
            kwargs.setdefault("verify", self.ca_verify)
        return super().request(method, url, *args, **kwargs)

    def _log_response(self, response: requests.Response, **_: Any) -> requests.Response:
        request = response.request
        scheme = (request.headers.get("Authorization") or "").split(" ", 1)[0]
        auth = f" [{scheme}]" if scheme else ""
        parts = urlsplit(response.url)
        log.info(
            "%s %s://%s%s%s -> %s",
            request.method,
            parts.scheme,
            parts.netloc,
            parts.path,
            auth,
            response.status_code,
        )
        return response


def describe_request_error(exc: requests.RequestException, url: str, timeout: float | None = None) -> str:
    """A one-line, secret-free reason for a failed request; ``timeout`` (seconds) is named when it ran out."""
    host = urlsplit(url).netloc or url
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"the TLS certificate of {host} is not trusted ({_innermost(exc)}); "
            "set ca_bundle on the endpoint or REQUESTS_CA_BUNDLE"
        )
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"the proxy refused the connection to {host}: {_innermost(exc)}"
    if isinstance(exc, requests.exceptions.Timeout):
        if timeout is not None:
            return f"{host} did not answer within {timeout:g} s (the request timeout)"
        return f"{host} did not answer in time"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return f"cannot connect to {host}: {_innermost(exc)}"
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return f"{host} redirected too many times"
    return f"request to {host} failed: {_innermost(exc)}"


def _innermost(exc: BaseException) -> str:
    """The deepest cause's message, on one line (urllib3 nests its reasons several levels)."""
    while exc.__cause__ is not None or (exc.args and isinstance(exc.args[0], BaseException)):
        exc = exc.__cause__ if exc.__cause__ is not None else exc.args[0]
        reason = getattr(exc, "reason", None)
        if isinstance(reason, BaseException):
            exc = reason
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
