"""One whole login for an endpoint: sign on, parse, choose the role, AssumeRoleWithSAML."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .roles import RolePair, choose_role

if TYPE_CHECKING:
    from .assertion import SAMLAssertion
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


def get_assertion(
    endpoint: Endpoint, credentials: UserCredentials | None, timeout: float = 30, auth_type: str | None = None
) -> SAMLAssertion:
    """Sign on at the endpoint (its CA bundle, proxy and trusted certificates applied)."""
    from .controller import SAMLAuthenticationController
    from .parsers.adfs import AdfsResponseParser

    controller = SAMLAuthenticationController(
        parser=AdfsResponseParser(trusted_certs=endpoint.trusted_certs_pem()),
        proxies=endpoint.proxy,
        verify=endpoint.verify,
        timeout=timeout,
    )
    return controller.get_saml_assertion(endpoint.url, credentials, auth_type or endpoint.auth_type)


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
    assertion = get_assertion(endpoint, credentials, auth_type=auth_type)
    if role is None and choose is not None and len(assertion.roles) > 1:
        pair = choose(assertion.roles)
    else:
        pair = choose_role(assertion.roles, role)
    (stage or _quiet)("waiting for AWS STS")
    return LoginResult(assertion, pair, assume(assertion, pair, duration, region))


def _quiet(_: str) -> None:
    return
