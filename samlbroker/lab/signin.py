"""A stand-in for AWS's SAML sign-in page (https://signin.aws.amazon.com/saml): the role picker per account."""

from __future__ import annotations

import html
from collections.abc import Mapping

from ..assertion import SAMLAssertion
from ..errors import SAMLBrokerError


def account_picker_page(saml_response: str, aliases: Mapping[str, str]) -> str | None:
    """The page AWS shows for a posted SAMLResponse, or None when it is not a readable assertion."""
    try:
        assertion = SAMLAssertion.from_base64(saml_response)
    except SAMLBrokerError:
        return None
    accounts: dict[str, list[str]] = {}
    for pair in assertion.roles.values():
        accounts.setdefault(pair.account_id, []).append(pair.role_arn)
    blocks = []
    for account, arns in sorted(accounts.items()):
        alias = aliases.get(account)
        label = f"Account: {alias} ({account})" if alias else f"Account: {account}"
        roles = "".join(
            f'<div class="saml-role"><input type="radio" name="roleIndex" value="{html.escape(arn)}" '
            f'class="saml-radio" id="{html.escape(arn)}"/><label for="{html.escape(arn)}" '
            f'class="saml-role-description">{html.escape(arn.rsplit("/", 1)[-1])}</label></div>'
            for arn in sorted(arns)
        )
        blocks.append(
            f'<fieldset><div class="saml-account"><div class="expandable-container">'
            f'<div class="saml-account-name">{html.escape(label)}</div></div><hr style="border: 1px solid #ddd;">'
            f'<div class="saml-account">{roles}</div></div></fieldset>'
        )
    return (
        "<!DOCTYPE html><html><head><title>Amazon Web Services Sign-In</title></head><body>"
        '<form id="saml_form" name="saml_form" action="/saml" method="post">'
        '<div id="container"><h1 class="background">Select a role:</h1>'
        + "".join(blocks)
        + "</div></form></body></html>"
    )
