"""``auth_type = forms`` on plain login forms (no plugin): which form is the sign-in form, and what is posted."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from samlbroker import SAMLAuthenticationController, UserCredentials
from samlbroker.authenticators.html import read_forms
from samlbroker.errors import AuthenticationFailedError
from samlbroker.lab.httpd import LabHandler, LabHTTPServer
from samlbroker.lab.pages import SHIB_INCORRECT

BASE = "https://idp.example/login"


def _form(html: str):
    (form,) = read_forms(html, BASE)
    return form


def test_one_visible_user_input_and_one_password_is_a_sign_in_form() -> None:
    form = _form(
        '<form method="post" action="?x=1"><input name="AuthState" type="hidden" value="s"/>'
        '<input name="username"/><input name="password" type="password"/><button>Login</button></form>'
    )
    assert form.login_fields() == ("username", "password")
    assert form.action == "https://idp.example/login?x=1"
    assert form.fields == {"AuthState": "s", "username": "", "password": ""}


def test_a_hidden_copy_of_the_user_name_does_not_count() -> None:
    form = _form(
        '<form><input name="UserName" type="email"/><input name="Password" type="password"/>'
        '<input name="UserName" type="hidden" value=""/></form>'
    )
    assert form.login_fields() == ("UserName", "Password")


def test_among_several_text_inputs_the_one_named_for_the_user_wins() -> None:
    form = _form(
        '<form><input name="j_username" type="text"/><input name="otp" type="text"/>'
        '<input name="j_password" type="password"/></form>'
    )
    assert form.login_fields() == ("j_username", "j_password")


@pytest.mark.parametrize(
    "html",
    [
        '<form><input name="user"/><input name="old" type="password"/><input name="new" type="password"/></form>',
        '<form><input name="code" type="text"/><input name="pin" type="text"/><input name="p" type="password"/></form>',
        '<form><input name="q" type="search"/></form>',
    ],
    ids=["change-password", "no-user-input-named-so", "no-password"],
)
def test_other_forms_are_not_sign_in_forms(html: str) -> None:
    assert _form(html).login_fields() is None


def test_a_submit_button_name_is_sent_only_when_pressed() -> None:
    form = _form(
        '<form><input name="a" type="hidden" value="1"/><button name="_eventId_proceed">Go</button></form>'
    )
    assert form.submitter == ("_eventId_proceed", "")
    assert form.only_hidden_fields()


def test_shibboleth_login_page_signs_in_without_a_plugin(lab, idp, password) -> None:
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    assertion = controller.get_saml_assertion(
        lab.shibboleth_url, UserCredentials("alice", password("alice")), "forms"
    )
    assert "ReadOnly" in assertion.roles
    assert [e["outcome"] for e in idp.stats()["events"]] == ["success"]


def test_shibboleth_wrong_password_is_its_own_words_after_one_post(lab, idp) -> None:
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    with pytest.raises(AuthenticationFailedError) as failure:
        controller.get_saml_assertion(lab.shibboleth_url, UserCredentials("alice", "guess"), "forms")
    assert failure.value.idp_message == SHIB_INCORRECT
    assert idp.stats()["failed_attempts"] == {"alice": 1}


class _HopHandler(LabHandler):
    """A plain IdP that sends an auto-post hop before its login form and redirects after it."""

    server: LabHTTPServer

    def do_GET(self) -> None:
        if self.path == "/start":
            self.reply(
                200,
                '<html><body onload="document.forms[0].submit()"><form method="post" action="/login">'
                '<input type="hidden" name="SAMLRequest" value="hop"/><noscript><button>Continue</button>'
                "</noscript></form></body></html>",
            )
        elif self.path == "/done":
            self.reply(200, self.server.answer)  # type: ignore[attr-defined]
        else:
            self.reply(404)

    def do_POST(self) -> None:
        form = {k: v[0] for k, v in parse_qs(self.read_body().decode(), keep_blank_values=True).items()}
        self.server.posts.append(sorted(form))  # type: ignore[attr-defined]
        if "pw" in form and form.get("state") == "hop" and form["pw"] == self.server.secret:  # type: ignore[attr-defined]
            self.reply(303, headers=[("Location", "/done")])
            return
        error = '<p class="alert-error">Wrong password.</p>' if "pw" in form else ""
        self.reply(
            200,
            f'<html><body>{error}<form method="post" action="login"><input type="hidden" name="state" '
            f'value="{form.get("SAMLRequest", form.get("state", ""))}"/><input name="login"/>'
            '<input name="pw" type="password"/></form></body></html>',
        )


@pytest.fixture
def hop_idp(lab, password):
    from samlbroker.lab.saml import auto_post_page
    from samlbroker.lab.trusts import RELYING_PARTIES

    server = LabHTTPServer(_HopHandler, ssl_context=lab.pki.server_context())
    server.posts, server.secret = [], password("bob")  # type: ignore[attr-defined]
    user = lab.users["bob"]
    server.answer = auto_post_page(lab.idp.saml_response(user, RELYING_PARTIES["urn:amazon:webservices"]))  # type: ignore[attr-defined]
    server.start()
    yield server
    server.stop()


def test_auto_post_hops_are_followed_and_the_password_posted_once(lab, hop_idp, password) -> None:
    controller = SAMLAuthenticationController(verify=str(lab.ca_file))
    assertion = controller.get_saml_assertion(
        f"{hop_idp.url}/start", UserCredentials("bob", password("bob")), "forms"
    )
    assert list(assertion.roles) == ["ReadOnly"]
    assert hop_idp.posts == [["SAMLRequest"], ["login", "pw", "state"]]


def test_a_rejected_password_is_not_posted_again(lab, hop_idp) -> None:
    with pytest.raises(AuthenticationFailedError, match="Wrong password"):
        SAMLAuthenticationController(verify=str(lab.ca_file)).get_saml_assertion(
            f"{hop_idp.url}/start", UserCredentials("bob", "guess"), "forms"
        )
    assert hop_idp.posts == [["SAMLRequest"], ["login", "pw", "state"]]
