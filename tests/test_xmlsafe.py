"""Hardened XML parsing: XXE, parameter entities, entity bombs and DOCTYPEs give a clean SAMLResponseError."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from samlbroker.assertion import SAMLAssertion
from samlbroker.errors import SAMLResponseError
from samlbroker.lab.httpd import LabHandler, LabHTTPServer
from samlbroker.xmlsafe import MAX_XML_BYTES, parse_xml

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


class _DtdHandler(LabHandler):
    def do_GET(self) -> None:
        self.reply(200, '<!ENTITY x "PWNED">', content_type="application/xml-dtd")


@pytest.fixture
def listener() -> Iterator[LabHTTPServer]:
    """A loopback HTTP server that would serve an evil DTD; its counters show whether anyone connected."""
    server = LabHTTPServer(_DtdHandler).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text("TOPSECRET-CONTENT")
    return path


def _response(doctype: str, body: str = "&x;") -> bytes:
    root = f'<samlp:Response xmlns:samlp="{SAMLP}">{body}</samlp:Response>'
    return f'<?xml version="1.0"?>{doctype}{root}'.encode()


def _billion_laughs() -> bytes:
    entities = ['<!ENTITY x0 "lol">'] + [f'<!ENTITY x{i} "{f"&x{i - 1};" * 10}">' for i in range(1, 10)]
    return _response("<!DOCTYPE r [" + "".join(entities) + "]>", "&x9;")


def test_a_permissive_parser_would_leak_the_local_file(secret_file):
    # Control: proves the payload below is live, so the hardened parser's refusal means something.
    doc = _response(f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>')
    leaked = etree.fromstring(doc, etree.XMLParser(resolve_entities=True))
    assert "TOPSECRET" in "".join(leaked.itertext())


def test_external_entity_to_a_local_file_is_refused_without_reading_it(secret_file):
    doc = _response(f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>')
    with pytest.raises(SAMLResponseError, match="DOCTYPE") as caught:
        parse_xml(doc)
    assert "TOPSECRET" not in str(caught.value)


def test_external_entity_to_a_loopback_url_is_refused_without_connecting(listener):
    doc = _response(f'<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{listener.server_address[1]}/x">]>')
    with pytest.raises(SAMLResponseError, match="DOCTYPE"):
        SAMLAssertion.from_base64(base64.b64encode(doc).decode())
    assert listener.connections == 0


def test_parameter_entity_from_a_loopback_url_is_refused_without_connecting(listener):
    port = listener.server_address[1]
    doc = _response(f'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/evil.dtd"> %p;]>')
    with pytest.raises(SAMLResponseError, match="DOCTYPE"):
        parse_xml(doc)
    assert listener.connections == 0


def test_external_dtd_subset_is_refused_without_connecting(listener):
    doc = _response(f'<!DOCTYPE r SYSTEM "http://127.0.0.1:{listener.server_address[1]}/evil.dtd">', "")
    with pytest.raises(SAMLResponseError, match="DOCTYPE"):
        parse_xml(doc)
    assert listener.connections == 0


def test_billion_laughs_is_a_clean_saml_response_error():
    with pytest.raises(SAMLResponseError, match="DOCTYPE"):
        SAMLAssertion.from_base64(base64.b64encode(_billion_laughs()).decode())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_doctype_hidden_by_a_wide_encoding_is_still_refused(secret_file, listener, encoding):
    # The byte scan cannot see these; the check after parsing must.
    port = listener.server_address[1]
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret_file.as_uri()}">'
        f'<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/evil.dtd">]>'
        f'<samlp:Response xmlns:samlp="{SAMLP}">&x;</samlp:Response>'
    )
    with pytest.raises(SAMLResponseError) as caught:
        parse_xml(text.encode(encoding))
    assert "TOPSECRET" not in str(caught.value)
    assert listener.connections == 0


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_billion_laughs_in_a_wide_encoding_is_a_clean_error(encoding):
    text = (
        _billion_laughs()
        .decode()
        .replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    )
    with pytest.raises(SAMLResponseError):
        parse_xml(text.encode(encoding))


def test_harmless_doctype_is_refused_too():
    with pytest.raises(SAMLResponseError, match="DOCTYPE"):
        parse_xml(_response("<!DOCTYPE samlp:Response>", ""))


def test_undefined_entity_reference_is_a_saml_response_error():
    with pytest.raises(SAMLResponseError):
        parse_xml(_response("", "&undefined;"))


def test_input_above_the_size_limit_is_refused():
    body = "<a/>" * (MAX_XML_BYTES // 4 + 1)
    with pytest.raises(SAMLResponseError, match="too large"):
        parse_xml(_response("", body))


def test_plain_xml_parses_with_predefined_and_character_entities():
    root = parse_xml(_response("", "a &amp; b &#65;"))
    assert root.text == "a & b A"


@pytest.mark.parametrize(
    "doctype",
    ['<!DOCTYPE r [<!ENTITY x "y">]>', '<!DOCTYPE r SYSTEM "http://127.0.0.1:9/x.dtd">', "<!DOCTYPE r>"],
)
def test_the_check_after_parsing_refuses_a_doctype_the_scan_missed(monkeypatch, doctype):
    import samlbroker.xmlsafe as xmlsafe

    monkeypatch.setattr(xmlsafe, "_declares_dtd", lambda data: False)
    with pytest.raises(SAMLResponseError, match=r"DOCTYPE|network"):
        xmlsafe.parse_xml(_response(doctype, ""))


def test_an_external_dtd_the_scan_missed_is_never_opened(monkeypatch, tmp_path):
    import samlbroker.xmlsafe as xmlsafe

    fifo = tmp_path / "evil.dtd"
    os.mkfifo(fifo)
    opened = threading.Event()

    def writer() -> None:  # blocks until someone opens the FIFO for reading
        with open(fifo, "w") as out:
            opened.set()
            out.write('<!ENTITY x "FROM-THE-DTD">')

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    monkeypatch.setattr(xmlsafe, "_declares_dtd", lambda data: False)
    try:
        with pytest.raises(SAMLResponseError, match="DOCTYPE"):
            xmlsafe.parse_xml(_response(f'<!DOCTYPE r SYSTEM "{fifo.as_uri()}">', "&x;"))
        assert not opened.wait(0.2)
    finally:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # release the writer
        thread.join(timeout=5)
        os.close(fd)
