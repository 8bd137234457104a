"""AdfsResponseParser: the SAMLResponse field in real-world markup, and what a page without one means."""

from __future__ import annotations

import base64
import contextlib
import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from samlbroker.assertion import ROLE_ATTRIBUTE
from samlbroker.errors import (
    AuthenticationFailedError,
    NoRolesError,
    SAMLBrokerError,
    SAMLResponseError,
    SignatureError,
)
from samlbroker.lab.saml import (
    auto_post_page,
    build_saml_response,
    encode_response,
    generate_signing_identity,
)
from samlbroker.parsers import AdfsResponseParser, ResponseParser
from samlbroker.plugins import PARSERS, load

DEV = ("arn:aws:iam::111122223333:role/Developer", "arn:aws:iam::111122223333:saml-provider/lab-adfs")
RO = ("arn:aws:iam::111122223333:role/ReadOnly", "arn:aws:iam::111122223333:saml-provider/lab-adfs")


@pytest.fixture(scope="module")
def idp() -> tuple[bytes, bytes]:
    return generate_signing_identity("lab-idp-signing")


@pytest.fixture(scope="module")
def saml_b64(idp) -> str:
    key, cert = idp
    xml = build_saml_response(
        subject="bob@lab.example", roles=[DEV, RO], signing_key_pem=key, signing_cert_pem=cert
    )
    return encode_response(xml)


def _roles(assertion) -> set[str]:
    return {pair.role_arn for pair in assertion.roles.values()}


def _login_page(error_text: str = "") -> str:
    """An AD FS 2016-style forms sign-in page; ``error_text`` goes where AD FS shows a refused sign-in."""
    return f"""<!DOCTYPE html>
<html lang="en-US"><head><title>Sign In</title>
<script type='text/javascript'>
function InputUtil(errTextElementID) {{ if (!errTextElementID) errTextElementID = 'errorText'; }}
</script></head>
<body dir="ltr" class="body">
<div id="noScript"><h1>JavaScript required</h1></div>
<div id="loginArea">
  <div id="loginMessage" class="groupMargin">Sign in with your organizational account</div>
  <form method="post" id="loginForm" autocomplete="off"
        action="/adfs/ls/IdpInitiatedSignOn.aspx?loginToRp=urn:amazon:webservices">
    <div id="error" class="fieldMargin error smallText">
      <span id="errorText" for="">{error_text}</span>
    </div>
    <div id="formsAuthenticationArea">
      <input id="userNameInput" name="UserName" type="email" value="LAB\\bob" class="text fullWidth"/>
      <input id="passwordInput" name="Password" type="password" class="text fullWidth"/>
      <span id="submitButton" class="submit" role="button">Sign in</span>
    </div>
    <input id="optionForms" type="hidden" name="AuthMethod" value="FormsAuthentication"/>
  </form>
</div></body></html>"""


# --- the parser as a plugin -----------------------------------------------------------------------------


def test_the_parser_is_registered_as_the_adfs_plugin():
    assert load(PARSERS, "adfs") is AdfsResponseParser
    assert issubclass(AdfsResponseParser, ResponseParser)
    assert AdfsResponseParser.name == "adfs"


# --- finding the SAMLResponse -----------------------------------------------------------------------------


def test_reads_the_lab_auto_post_page(saml_b64):
    assertion = AdfsResponseParser().parse(auto_post_page(saml_b64, relay_state="state-1"))
    assert _roles(assertion) == {DEV[0], RO[0]}
    assert assertion.subject == "bob@lab.example"
    assert assertion.base64 == saml_b64


def test_reads_a_page_given_as_bytes(saml_b64):
    assert AdfsResponseParser().parse(auto_post_page(saml_b64).encode()).base64 == saml_b64


@pytest.mark.parametrize(
    "field",
    [
        '<input type="hidden" name="SAMLResponse" value="{v}" />',
        "<INPUT TYPE='hidden' NAME='samlresponse' VALUE='{v}'>",
        "<input type=hidden name=SAMLRESPONSE value={v} >",
        '<input value="{v}" name="SamlResponse" type="hidden"/>',
        '<input type="hidden"\n       name = "SAMLResponse"\n       value = "{v}"\n/>',
    ],
)
def test_finds_the_field_whatever_the_case_and_quoting(saml_b64, field):
    value = saml_b64.rstrip("=")  # unquoted attribute values cannot hold '='; the padding is optional anyway
    page = f"<html><body><form method=post action=https://signin.aws.amazon.com/saml>{field.format(v=value)}</form>"
    assert AdfsResponseParser().parse(page).base64 == saml_b64


def test_value_with_folded_lines_and_character_references_is_read(saml_b64):
    lines = [saml_b64[i : i + 76] for i in range(0, len(saml_b64), 76)]
    value = (
        "&#13;&#10;".join(lines[: len(lines) // 2])
        + "\n  "
        + "&amp;#13;&amp;#10;".join(lines[len(lines) // 2 :])
    )
    page = f'<form><input type="hidden" name="SAMLResponse" value="{value}"/></form>'
    assert AdfsResponseParser().parse(page).base64 == saml_b64


def test_finds_the_field_among_several_forms_and_inside_noscript(saml_b64):
    page = f"""<html><body>
    <form id="search" action="/search"><input name="q" value=""/></form>
    <form id="other" method="post"><input type="hidden" name="RelayState" value="x"/></form>
    <form method="POST" name="hiddenform" action="https://signin.aws.amazon.com:443/saml">
      <noscript><p>Script is disabled. Click Submit to continue.</p>
        <input type="hidden" name="SAMLResponse" value="{saml_b64}" />
        <input type="submit" value="Submit" /></noscript>
    </form><script>document.forms[2].submit()</script></body></html>"""
    assert AdfsResponseParser().parse(page).base64 == saml_b64


def test_an_empty_field_before_the_real_one_is_passed_over(saml_b64):
    page = f'<input name="SAMLResponse" value=""><input name="SAMLResponse" value="{saml_b64}">'
    assert AdfsResponseParser().parse(page).base64 == saml_b64


def test_unclosed_and_sloppy_markup_still_yields_the_field(saml_b64):
    page = "<html><body><div><p>Working...<form><table><tr><td>"
    page += f'<input type=hidden name="SAMLResponse" value="{saml_b64}"><td>'
    assert AdfsResponseParser().parse(page).base64 == saml_b64


def test_trusted_certs_are_enforced_by_the_parser(idp, saml_b64):
    page = auto_post_page(saml_b64)
    assert AdfsResponseParser(trusted_certs=idp[1].decode()).parse(page).signature_verified
    _, other = generate_signing_identity("someone-else")
    with pytest.raises(SignatureError):
        AdfsResponseParser(trusted_certs=other.decode()).parse(page)


def test_account_names_reach_the_friendly_names(idp):
    key, cert = idp
    other = ("arn:aws:iam::444455556666:role/Developer", "arn:aws:iam::444455556666:saml-provider/lab-adfs")
    xml = build_saml_response(subject="a", roles=[DEV, other], signing_key_pem=key, signing_cert_pem=cert)
    parser = AdfsResponseParser(account_names={"111122223333": "prod"})
    assertion = parser.parse(auto_post_page(encode_response(xml)))
    assert set(assertion.roles) == {"prod:Developer", "444455556666:Developer"}


# --- bad SAMLResponse values ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", "&#13;&#10;"])
def test_an_empty_saml_response_is_a_saml_response_error(value):
    with pytest.raises(SAMLResponseError, match="empty"):
        AdfsResponseParser().parse(f'<form><input type="hidden" name="SAMLResponse" value="{value}"></form>')


def test_a_saml_response_that_is_not_base64_is_a_saml_response_error():
    with pytest.raises(SAMLResponseError, match="base64"):
        AdfsResponseParser().parse('<input name="SAMLResponse" value="not*base64!">')


def test_a_saml_response_that_is_not_xml_is_a_saml_response_error():
    value = base64.b64encode(b"<html>Access denied</p>").decode()
    with pytest.raises(SAMLResponseError, match="XML"):
        AdfsResponseParser().parse(f'<input name="SAMLResponse" value="{value}">')


def test_a_refusing_saml_status_is_authentication_failed(idp):
    xml = build_saml_response(
        subject="carol",
        roles=[],
        signing_key_pem=None,
        signing_cert_pem=None,
        sign="none",
        status="urn:oasis:names:tc:SAML:2.0:status:Responder",
        status_message="The account is disabled.",
    )
    with pytest.raises(AuthenticationFailedError, match="account is disabled") as caught:
        AdfsResponseParser().parse(auto_post_page(encode_response(xml)))
    assert caught.value.idp_message == "The account is disabled."


# --- pages without a SAMLResponse -------------------------------------------------------------------------


def test_adfs_login_page_with_error_text_is_authentication_failed_with_the_idp_message():
    text = "Incorrect user ID or password. Type the correct user ID and password, and try again."
    with pytest.raises(AuthenticationFailedError) as caught:
        AdfsResponseParser().parse(_login_page(text))
    assert caught.value.idp_message == text
    assert text in str(caught.value)
    assert "\n" not in str(caught.value)


def test_adfs_login_page_again_without_error_text_is_authentication_failed():
    with pytest.raises(AuthenticationFailedError, match="sign-in form again") as caught:
        AdfsResponseParser().parse(_login_page(""))
    assert caught.value.idp_message is None


def test_shibboleth_login_page_with_form_error_is_authentication_failed():
    page = """<html><head><title>Web Login Service</title></head><body>
    <form action="/idp/profile/SAML2/Unsolicited/SSO?execution=e1s2" method="post">
      <section><p class="form-element form-error">The password you entered was incorrect.</p></section>
      <input class="form-element form-field" id="username" name="j_username" type="text" value="bob">
      <input class="form-element form-field" id="password" name="j_password" type="password" value="">
      <button class="form-element form-button" type="submit" name="_eventId_proceed">Login</button>
    </form></body></html>"""
    with pytest.raises(AuthenticationFailedError, match="password you entered was incorrect") as caught:
        AdfsResponseParser().parse(page)
    assert caught.value.idp_message == "The password you entered was incorrect."


def test_adfs_error_page_is_authentication_failed_with_its_text_and_activity_id():
    page = """<html><head><title>Sign In</title></head><body><div id="errorArea">
      <div id="openingMessage" class="groupMargin">An error occurred</div>
      <div id="errorMessage" class="groupMargin">MSIS7012: An error occurred while processing the request.
         Contact your administrator for details.</div>
      <div id="errorDetails"><div><span class="bold">Activity ID:</span>
         <span>00000000-0000-0000-3f00-0080000000e4</span></div>
      <div><span class="bold">Error time:</span><span>Tue, 02 Dec 2025 05:34:00 GMT</span></div></div>
    </div></body></html>"""
    with pytest.raises(AuthenticationFailedError, match="MSIS7012") as caught:
        AdfsResponseParser().parse(page)
    assert "00000000-0000-0000-3f00-0080000000e4" in str(caught.value)
    assert caught.value.idp_message.startswith("MSIS7012: An error occurred while processing the request.")
    assert "\n" not in str(caught.value)


def test_generic_error_message_page_is_authentication_failed():
    page = '<html><body><div class="error">Your account has been locked.</div></body></html>'
    with pytest.raises(AuthenticationFailedError, match="locked") as caught:
        AdfsResponseParser().parse(page)
    assert caught.value.idp_message == "Your account has been locked."


def test_page_without_saml_response_or_error_is_a_saml_response_error_naming_the_title():
    page = "<html><head><title>Office 365 portal</title></head><body><p>Welcome</p></body></html>"
    with pytest.raises(SAMLResponseError, match=r"no SAMLResponse.*Office 365 portal"):
        AdfsResponseParser().parse(page)


def test_error_words_inside_scripts_are_not_mistaken_for_an_idp_error():
    page = """<html><head><title>Working</title><script>
      var msg = 'An error occurred'; var id = 'Activity ID: 00000000-0000-0000-0000-000000000000';
    </script><style>.error { color: red }</style></head><body><p>Please wait</p></body></html>"""
    with pytest.raises(SAMLResponseError, match="no SAMLResponse"):
        AdfsResponseParser().parse(page)


def test_an_empty_error_element_is_not_an_idp_message():
    page = (
        '<html><body><div id="error" class="error"><span id="errorText"></span></div><p>Hi</p></body></html>'
    )
    with pytest.raises(SAMLResponseError, match="no SAMLResponse"):
        AdfsResponseParser().parse(page)


def test_a_very_long_idp_message_is_kept_to_one_short_line():
    text = "Sign-in refused. " * 100
    with pytest.raises(AuthenticationFailedError) as caught:
        AdfsResponseParser().parse(_login_page(text))
    assert len(str(caught.value)) < 400
    assert "\n" not in str(caught.value)


# --- no usable role, and any input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "extra", "reason"),
    [
        ([], {}, "it has no Role attribute"),
        (
            [],
            {ROLE_ATTRIBUTE: ["CN=AWS-Dev,OU=Groups"]},
            "'CN=AWS-Dev,OU=Groups', not two comma-separated ARNs",
        ),
        (
            [(DEV[0], "arn:aws:iam::444455556666:saml-provider/lab-adfs")],
            {},
            "but the provider in 444455556666",
        ),
    ],
)
def test_an_answer_without_a_usable_role_pair_is_no_roles_error_with_the_reason(idp, roles, extra, reason):
    key, cert = idp
    xml = build_saml_response(
        subject="dave@lab.example",
        roles=roles,
        signing_key_pem=key,
        signing_cert_pem=cert,
        extra_attributes=extra,
    )
    with pytest.raises(NoRolesError, match=r"grants no AWS role to dave@lab\.example") as caught:
        AdfsResponseParser(trusted_certs=cert.decode()).parse(auto_post_page(encode_response(xml)))
    assert reason in str(caught.value)


@settings(max_examples=200, deadline=None)
@given(
    value=st.one_of(
        st.text(max_size=80), st.binary(max_size=120).map(lambda raw: base64.b64encode(raw).decode())
    ),
    markup=st.sampled_from(
        ['<input name="SAMLResponse" value="{}">', "<textarea name=samlresponse>{}</textarea>"]
    ),
)
def test_any_saml_response_field_is_an_assertion_or_a_saml_broker_error(value, markup):
    with contextlib.suppress(SAMLBrokerError):
        AdfsResponseParser().parse(markup.format(html.escape(value)))
