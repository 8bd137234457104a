"""One whole login for an endpoint: sign on, parse, choose the role, AssumeRoleWithSAML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .roles import RolePair, choose_role

if TYPE_CHECKING:
    from .assertion import SAMLAssertion
    from .controller import SAMLAuthenticationController
    from .identity import UserCredentials
    from .profiles import Endpoint
    from .sts import Credentials

RoleChooser = Callable[[Mapping[str, RolePair]], RolePair]
Stage = Callable[[str], None]


@dataclass(frozen=True)
class LoginResult:
    """What a login produced."""

    assertion: SAMLAssertion
    role: RolePair
    credentials: Credentials
    mechanism: str | None = None


def controller_for(endpoint: Endpoint, timeout: float = 30) -> SAMLAuthenticationController:
    """A controller set up with the endpoint's CA bundle, proxy and trusted signing certificates."""
    from .controller import SAMLAuthenticationController
    from .parsers.adfs import AdfsResponseParser

    return SAMLAuthenticationController(
        parser=AdfsResponseParser(trusted_certs=endpoint.trusted_certs_pem()),
        proxies=endpoint.proxy,
        verify=endpoint.verify,
        timeout=timeout,
    )


def assume(
    assertion: SAMLAssertion,
    role: RolePair,
    duration: int | None = None,
    region: str | None = None,
    timeout: float = 30,
) -> Credentials:
    """AssumeRoleWithSAML for ``role`` in its partition."""
    from .sts import STSClient

    return assertion.get_role_credentials(role.role_arn, duration, STSClient(region=region, timeout=timeout))


def login(
    endpoint: Endpoint,
    credentials: UserCredentials | None,
    role: str | None = None,
    duration: int | None = None,
    region: str | None = None,
    choose: RoleChooser | None = None,
    stage: Stage | None = None,
    auth_type: str | None = None,
) -> LoginResult:
    """Sign on, pick ``role`` (or let ``choose`` pick among several), and get its credentials."""
    (stage or _quiet)("waiting for the IdP")
    controller = controller_for(endpoint)
    assertion = controller.get_saml_assertion(endpoint.url, credentials, auth_type or endpoint.auth_type)
    if role is None and choose is not None and len(assertion.roles) > 1:
        pair = choose(assertion.roles)
    else:
        pair = choose_role(assertion.roles, role)
    (stage or _quiet)("waiting for AWS STS")
    return LoginResult(assertion, pair, assume(assertion, pair, duration, region), controller.last_mechanism)


def _quiet(_: str) -> None:
    return
