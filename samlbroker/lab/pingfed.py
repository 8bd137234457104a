"""A PingFederate-style IdP endpoint of the lab: IdP-initiated ``/idp/startSSO.ping?PartnerSpId=...``.

As PingFederate does: the start URL redirects to a ``/idp/<ref>/resumeSAML20/idp/startSSO.ping`` URL that serves
the adapter's page. The HTML Form Adapter's page has ``pf.username`` and ``pf.pass`` and the hidden
``pf.ok`` and ``pf.cancel`` that its script (``postOk()``) fills in when the "Sign On" link is clicked; a
post whose ``pf.ok`` is empty is not a sign-on. With ``IdPVariant.identifier_first``, the Identifier First
Adapter asks for ``pf.username`` alone first, then the password page repeats the name (``"prefilled"``) or
shows it as text with the name in a hidden field (``"password-only"``, as Entra ID and Okta show it).
"""

from __future__ import annotations

import hmac
import html
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .pages import message_page
from .saml import auto_post_page
from .trusts import RELYING_PARTIES

if TYPE_CHECKING:
    from .idp import IdPServer

PING_START_PATH = "/idp/startSSO.ping"
PING_COOKIE = "PF"
PING_INCORRECT = "We didn't recognize the username or password you entered. Please try again."


@dataclass
class PingFlow:
    """One sign-on in progress: where it goes, and the user name once the identifier page gave it."""

    provider: str
    reference: str
    username: str | None = None


def resume_path(reference: str) -> str:
    return f"/idp/{reference}/resumeSAML20/idp/startSSO.ping"


def ping_page(
    action: str, *, username: str = "", password: bool = True, hidden_name: bool = False, error: str = ""
) -> str:
    """The adapter's page: the user name (an input, or text with a hidden field) and the password input."""
    a, u = html.escape(action), html.escape(username)
    note = f'<div class="ping-error">{html.escape(error)}</div>' if error else ""
    if hidden_name:
        user = (
            f'<div class="ping-input-label">Signing on as</div><div class="ping-username">{u}</div>'
            f'<input type="hidden" name="pf.username" value="{u}"/>'
        )
    else:
        user = (
            '<div class="ping-input-label">Username</div><div class="ping-input-container">'
            f'<input id="username" type="text" size="36" name="pf.username" value="{u}" autocorrect="off" '
            'autocapitalize="off" onKeyPress="return postOnReturn(event)"/></div>'
        )
    secret = (
        '<div class="ping-input-label">Password</div><div class="ping-input-container">'
        '<input id="password" type="password" size="36" name="pf.pass" onKeyPress="return postOnReturn(event)"/>'
        "</div>"
        if password
        else ""
    )
    adapter = "HTMLFormAdapter" if password else "IdentifierFirst"
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Sign On</title>'
        "<script>function postOk() { var f = document.forms['signOn']; f['pf.ok'].value = 'clicked'; f.submit(); }"
        " function postOnReturn(e) { if (e.keyCode == 13) { postOk(); return false; } return true; }</script>"
        '</head><body><div class="ping-container"><div class="ping-header">Sign On</div>'
        f'<div class="ping-body-container"><form name="signOn" method="POST" action="{a}" autocomplete="off">{note}'
        f"{user}{secret}"
        '<div class="ping-buttons"><input type="hidden" name="pf.ok" value=""/>'
        '<input type="hidden" name="pf.cancel" value=""/>'
        f'<input type="hidden" name="pf.adapterId" value="{adapter}"/>'
        '<a onclick="postOk();" class="ping-button normal allow" title="Sign On">Sign On</a></div>'
        "</form></div></div></body></html>"
    )


class PingFederateEndpoint:
    """The handler's part for the PingFederate-style endpoint (mixed into the lab's IdP handler)."""

    server: IdPServer
    command: str

    if TYPE_CHECKING:  # provided by the IdP handler

        def reply(self, status: int, body: Any = b"", headers: Any = None) -> None: ...
        def _cookie(self, name: str) -> str | None: ...
        def _record(self, user: str | None, scheme: str, outcome: str, **extra: Any) -> None: ...
        def _shaped(self, page: str) -> str: ...

    def _ping_start(self, query: str) -> None:
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        rp = RELYING_PARTIES.get(params.get("PartnerSpId", ""))
        if rp is None:
            self.reply(400, message_page("Error", "Unknown or missing PartnerSpId."))
            return
        session = secrets.token_hex(16)
        flow = PingFlow(provider=rp.identifier, reference=secrets.token_urlsafe(6))
        with self.server._state:
            self.server.ping_flows[session] = flow
        cookie = f"{PING_COOKIE}={session}; Path=/; Secure; HttpOnly"
        self.reply(302, b"", headers=[("Set-Cookie", cookie), ("Location", resume_path(flow.reference))])

    def _ping_resume(self, reference: str, body: bytes) -> None:
        with self.server._state:
            flow = self.server.ping_flows.get(self._cookie(PING_COOKIE) or "")
        if flow is None or flow.reference != reference:
            self.reply(200, message_page("Error", "Your sign-on session has expired. Start again."))
            return
        action = resume_path(flow.reference)
        mode = self.server.variant.identifier_first
        if self.command != "POST":
            self.reply(200, self._shaped(self._ping_page(action, flow)))
            return
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
        if not form.get("pf.ok"):  # the script's button was not pressed: nothing was submitted
            self.reply(200, self._shaped(self._ping_page(action, flow)))
            return
        if mode != "off" and flow.username is None:
            flow.username = form.get("pf.username", "")
            self._record(self.server.users.account_name(flow.username) or None, "pingfederate", "identifier")
            self.reply(200, self._shaped(self._ping_page(action, flow)))
            return
        self._ping_login(flow, form, action)

    def _ping_page(self, action: str, flow: PingFlow, error: str = "") -> str:
        mode = self.server.variant.identifier_first
        if mode != "off" and flow.username is None:
            return ping_page(action, password=False)
        return ping_page(
            action, username=flow.username or "", hidden_name=mode == "password-only", error=error
        )

    def _ping_login(self, flow: PingFlow, form: dict[str, str], action: str) -> None:
        login = flow.username if self.server.variant.identifier_first == "password-only" else None
        login = login or form.get("pf.username", "")
        password = form.get("pf.pass", "")
        user = self.server.users.lookup(login) if login else None
        if (
            user is not None
            and not user.disabled
            and hmac.compare_digest(password.encode(), user.password.encode())
        ):
            self._record(user.name, "pingfederate", "success")
            with self.server._state:
                self.server.ping_flows = {k: v for k, v in self.server.ping_flows.items() if v is not flow}
            rp = RELYING_PARTIES[flow.provider]
            saml = self.server.saml_response(
                user, rp, subject=user.name, issuer=f"{self.server.url}/pingfederate", sign="response"
            )
            self.reply(200, auto_post_page(saml, action=rp.recipient))
            return
        outcome = "unknown_user" if user is None else ("disabled" if user.disabled else "bad_password")
        self._record(
            user.name if user else self.server.users.account_name(login) or None, "pingfederate", outcome
        )
        self.reply(200, self._shaped(self._ping_page(action, flow, PING_INCORRECT)))
