"""Cross-check: the lab STS and moto's STS answer the same requests in the same shape.

moto implements STS from AWS's service model, independently of the lab; the same assertion sent through
STSClient to both must parse into the same Credentials fields, and the raw XML must have the same elements.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from lxml import etree

from samlbroker.lab.pki import LabPKI, create_pki
from samlbroker.lab.saml import build_saml_response, encode_response
from samlbroker.lab.sts import STSServer
from samlbroker.roles import RolePair
from samlbroker.sts import Credentials, STSClient

moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] is not installed (pip install 'moto[server]')"
)

STS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
PAIR = RolePair(
    "arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:saml-provider/lab-adfs"
)
POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LabPKI:
    return create_pki(tmp_path_factory.mktemp("crosscheck-pki"))


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def lab_url(pki: LabPKI) -> Iterator[str]:
    server = STSServer({PAIR.principal_arn: pki.signing_cert_pem}).start()  # plain HTTP, like moto
    yield server.url
    server.stop()


@pytest.fixture(autouse=True)
def no_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path_factory.mktemp("aws") / "config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))


def assertion(pki: LabPKI) -> str:
    """One role and a RoleSessionName (what moto needs), signed (what the lab needs)."""
    xml = build_saml_response(
        subject="alice@lab.example",
        roles=[(PAIR.role_arn, PAIR.principal_arn)],
        signing_key_pem=pki.signing_key_pem,
        signing_cert_pem=pki.signing_cert_pem,
        role_session_name="alice@lab.example",
        session_duration=3600,
    )
    return encode_response(xml)


def credentials_from(url: str, pki: LabPKI) -> Credentials:
    return STSClient(endpoint_url=url, max_attempts=1, timeout=10).assume_role_with_saml(
        assertion(pki), PAIR, 3600
    )


def raw_result(url: str, pki: LabPKI) -> etree._Element:
    form = {
        "Action": "AssumeRoleWithSAML",
        "Version": "2011-06-15",
        "RoleArn": PAIR.role_arn,
        "PrincipalArn": PAIR.principal_arn,
        "SAMLAssertion": assertion(pki),
        "DurationSeconds": "3600",
        "Policy": POLICY,
    }
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request("POST", "/", urlencode(form), {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        assert response.status == 200
        return etree.fromstring(response.read())
    finally:
        conn.close()


def shape(element: etree._Element) -> dict[str, object]:
    """Element names, nested: the structure without the values."""
    return {child.tag.removeprefix(STS): shape(child) for child in element}


def test_both_parse_into_credentials_with_the_same_fields(moto_url: str, lab_url: str, pki: LabPKI) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    for creds in (credentials_from(moto_url, pki), credentials_from(lab_url, pki)):
        assert creds.access_key_id.startswith("ASIA")
        assert creds.secret_access_key
        assert creds.session_token
        assert creds.expiration.tzinfo is dt.timezone.utc
        assert abs((creds.expiration - now).total_seconds() - 3600) < 60
        assert creds.assumed_role_arn == "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"


def test_both_answer_in_the_same_xml_shape(moto_url: str, lab_url: str, pki: LabPKI) -> None:
    moto, lab = raw_result(moto_url, pki), raw_result(lab_url, pki)
    assert moto.tag == lab.tag == f"{STS}AssumeRoleWithSAMLResponse"
    assert shape(lab) == shape(moto)


def test_both_answer_get_caller_identity_in_the_same_shape(moto_url: str, lab_url: str, pki: LabPKI) -> None:
    import botocore.session

    answers = []
    for url in (moto_url, lab_url):
        creds = credentials_from(url, pki)
        client = botocore.session.Session().create_client(
            "sts",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id=creds.access_key_id,
            aws_secret_access_key=creds.secret_access_key,
            aws_session_token=creds.session_token,
        )
        answer = client.get_caller_identity()
        answer.pop("ResponseMetadata")
        answers.append(answer)
    moto, lab = answers
    assert set(moto) == set(lab) == {"UserId", "Account", "Arn"}
    assert moto["Account"] == lab["Account"] == "111122223333"
    # moto does not tie its issued keys to the assumed role (it answers with its default user), so only
    # the shape and the account are compared; the lab's own answer is checked in test_lab_sts.py.
    assert str(moto["Arn"]).startswith("arn:aws:sts::111122223333:")
    assert lab["Arn"] == "arn:aws:sts::111122223333:assumed-role/Developer/alice@lab.example"
