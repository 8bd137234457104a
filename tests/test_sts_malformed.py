"""A malformed STS answer, from a real socket server: one clear STSError, never a traceback or the assertion."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from samlbroker.errors import STSError
from samlbroker.roles import RolePair
from samlbroker.sts import STSClient

PAIR = RolePair("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:saml-provider/lab")
ASSERTION = "PHNhbWxwOlJlc3BvbnNlIHhtbG5zOnNhbWxwPSJ1cm46b2FzaXM6bmFtZXM6dGM6U0FNTDoyLjA6cHJvdG9jb2wiLz4="
NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class BadSTS(ThreadingHTTPServer):
    """Answers every POST with ``status`` and ``body``, and counts the requests."""

    status = 200
    body = b""
    requests = 0


class _Handler(BaseHTTPRequestHandler):
    server: BadSTS

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests += 1
        self.send_response(self.server.status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(autouse=True)
def clean_aws_env(clean_aws_config: Path) -> None:
    """No AWS settings from the outside world."""


@pytest.fixture
def bad_sts() -> Iterator[BadSTS]:
    server = BadSTS(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _refusal(server: BadSTS, status: int, body: bytes) -> str:
    server.status, server.body = status, body
    client = STSClient(
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}", max_attempts=1, timeout=10
    )
    with pytest.raises(STSError) as caught:
        client.assume_role_with_saml(ASSERTION, PAIR, None)
    message = str(caught.value)
    assert "\n" not in message and ASSERTION not in message and "Traceback" not in message
    assert server.requests == 1  # the answer was read, not a connection failure
    return message


def test_an_answer_that_is_not_xml(bad_sts: BadSTS) -> None:
    message = _refusal(bad_sts, 200, b"<AssumeRoleWithSAMLResponse><Credentials><AccessKeyId>ASIA")
    port = bad_sts.server_address[1]
    assert (
        message
        == f"AWS STS at http://127.0.0.1:{port} sent an answer that cannot be read (ResponseParserError)"
    )
    assert "ASIA" not in message  # nothing of the raw answer


def test_well_formed_xml_without_credentials(bad_sts: BadSTS) -> None:
    body = (
        f'<AssumeRoleWithSAMLResponse xmlns="{NS}"><AssumeRoleWithSAMLResult><Subject>alice</Subject>'
        "</AssumeRoleWithSAMLResult></AssumeRoleWithSAMLResponse>"
    ).encode()
    assert _refusal(bad_sts, 200, body) == "AWS STS answered AssumeRoleWithSAML without usable credentials"


def test_credentials_with_an_expiration_that_is_not_a_time(bad_sts: BadSTS) -> None:
    body = (
        f'<AssumeRoleWithSAMLResponse xmlns="{NS}"><AssumeRoleWithSAMLResult><Credentials>'
        "<AccessKeyId>ASIABAD</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
        "<Expiration>next tuesday</Expiration></Credentials></AssumeRoleWithSAMLResult>"
        "</AssumeRoleWithSAMLResponse>"
    ).encode()
    message = _refusal(bad_sts, 200, body)
    assert message.endswith("sent an answer that cannot be read (ValueError)")
    assert "ASIABAD" not in message


def test_a_server_error_page_in_html(bad_sts: BadSTS) -> None:
    message = _refusal(bad_sts, 500, b"<html><body><h1>502 Bad Gateway</h1><p>upstream gone</body></html>")
    assert message == "AWS STS refused AssumeRoleWithSAML: 500: Internal Server Error"
