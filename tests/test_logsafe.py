"""The log filter behind ``-v``: no query string, body or secret value survives, whatever logged it."""

from __future__ import annotations

import io
import json
import logging
import socket
import warnings
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from samlbroker.logsafe import HIDDEN, SecretFilter, redact

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDM1dVN+Secret+Token+Body+9a8b7c6d5e4f3a2b1c0"


@pytest.fixture
def log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose records go through SecretFilter on the handler, as the CLI sets it up."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(SecretFilter())
    logger = logging.getLogger("test.logsafe")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_a_request_line_keeps_its_path_and_loses_its_query(log) -> None:
    logger, out = log
    query = urlencode({"Action": "getSigninToken", "Session": json.dumps({"sessionKey": SECRET_KEY})})
    logger.debug('%s://%s:%s "%s %s %s" %s %s', "https", "signin.aws.amazon.com", 443, "GET",
                 f"/federation?{query}", "HTTP/1.1", 200, 83)  # fmt: skip
    assert out.getvalue() == (
        f'test.logsafe: https://signin.aws.amazon.com:443 "GET /federation?{HIDDEN} HTTP/1.1" 200 83\n'
    )


def test_bodies_headers_and_structures_show_as_their_kind(log) -> None:
    logger, out = log
    logger.debug("Response body:\n%r", b'{"SecretAccessKey": "x"}')
    logger.debug("Making request with params: %s", {"body": {"SAMLAssertion": "PHNhbWw="}})
    logger.debug("CanonicalRequest:\n%s", "POST\n/\n\nx-amz-security-token:" + TOKEN)
    logger.debug("Response headers: %r", {"Set-Cookie": "a=b"})  # one mapping argument
    text = out.getvalue()
    assert "<24 bytes>" in text and "params: <dict>" in text and "<text of 4 lines>" in text
    assert "Response headers: <dict>" in text
    for secret in ("SecretAccessKey", "SAMLAssertion", TOKEN[:20], "a=b"):
        assert secret not in text


def test_a_traceback_is_redacted_too(log) -> None:
    """requests puts the whole URL, query included, in its connection errors."""
    logger, out = log
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    try:
        requests.get(f"http://127.0.0.1:{port}/federation", params={"Session": SECRET_KEY}, timeout=5)
    except requests.ConnectionError as exc:
        logger.exception("internal error")
        logger.debug("request failed: %s", exc)
    text = out.getvalue()
    assert "Traceback" in text and "/federation?" + HIDDEN in text
    assert SECRET_KEY not in text and "wJalrXUtnFEMI" not in text


def test_ordinary_flow_lines_are_kept_as_they_are() -> None:
    for line in (
        "GET https://adfs.corp.example.com:8443/adfs/ls/IdpInitiatedSignOn.aspx [Negotiate] -> 200",
        "AssumeRoleWithSAML arn:aws:iam::111122223333:role/team/Developer at https://sts.amazonaws.com for 3600 s",
        "Loading JSON file: /usr/lib/python3/dist-packages/botocore/data/sts/2011-06-15/service-2.json.gz",
        "Kerberos ticket for alice@CORP.EXAMPLE.COM acquired; key id ASIAQWERTYUIOPASDFGH",
        "activity 6f1c2a9e-3b7d-4c5e-8f90-a1b2c3d4e5f6, status 302",
    ):
        assert redact(line) == line


secret_text = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"),
    min_size=40,
    max_size=400,
).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.islower() for c in s) and any(c.isupper() for c in s)
)
carriers = st.sampled_from(
    [
        "GET /federation?Action=getSigninToken&Session={} HTTP/1.1",
        "https://signin.aws.amazon.com/federation?SigninToken={}&Action=login",
        "posting SAMLResponse={} to the sign-in page",
        "{{'SAMLAssertion': '{}', 'RoleArn': 'arn:aws:iam::1:role/x'}}",
        '{{"sessionKey": "{}"}}',
        "headers: {{'X-Amz-Security-Token': b'{}'}}",
        "aws_secret_access_key = {}",
        "password: {}",
        "token {} accepted",
    ]
)


@given(secret=secret_text, carrier=carriers)
def test_no_secret_survives_any_usual_carrier(secret: str, carrier: str) -> None:
    assert secret not in redact(carrier.format(secret))


def test_the_cli_puts_the_filter_on_the_one_handler_every_logger_reaches(capsys) -> None:
    from samlbroker.cli import main

    names = ("", "samlbroker", "urllib3", "py.warnings")
    saved = {name: logging.getLogger(name).level for name in names}
    handlers = logging.getLogger().handlers[:]
    try:
        main._setup_logging(verbose=True)
        main._setup_logging(verbose=True)  # a second run in the same process: still one handler
        logging.getLogger("botocore.endpoint").info("Sending http request: %s", f"Authorization={SECRET_KEY}")
        logging.getLogger("somelibrary").warning("url: https://h/p?token=%s", TOKEN)
        warnings.warn(
            f"Unverified HTTPS request to https://h/p?Session={SECRET_KEY}", UserWarning, stacklevel=1
        )
    finally:
        logging.getLogger().handlers[:] = handlers
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        logging.captureWarnings(False)
    err = capsys.readouterr().err
    assert "botocore.endpoint: Sending http request: Authorization=<hidden>" in err
    assert err.count(f"somelibrary: url: https://h/p?{HIDDEN}\n") == 1
    assert f"UserWarning: Unverified HTTPS request to https://h/p?{HIDDEN}\n" in err  # its first line only
    assert SECRET_KEY not in err and "wJalrXUtnFEMI" not in err
