"""One whole login for an endpoint: sign on, parse, choose the role, AssumeRoleWithSAML."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .roles import RolePair, choose_role

if TYPE_CHECKING:
    from .assertion import SAMLAssertion
    from .authenticators.base import Authenticator
    from .controller import SAMLAuthenticationController
    from .identity import UserCredentials
    from .mfa.base import MFAPromptHook
    from .profiles import Endpoint
    from .sts import Credentials

RoleChooser = Callable[["SAMLAssertion"], RolePair]  # picks among the assertion's roles
Stage = Callable[[str], None]


@dataclass(frozen=True)
class LoginResult:
    """What a login produced."""

    assertion: SAMLAssertion
    role: RolePair
    credentials: Credentials
    mechanism: str | None = None


def controller_for(
    endpoint: Endpoint,
    timeout: float = 30,
    mfa_prompt: MFAPromptHook | None = None,
    window: bool = True,
    profile_name: str | None = None,
) -> SAMLAuthenticationController:
    """A controller set up with the endpoint's CA bundle, proxy, trusted signing certificates, MFA prompt and
    second-factor method.

    ``window``: a browser sign-in may show one (``login``; a refresh only with browser_interactive_refresh);
    ``profile_name`` goes into the message that says how to sign in when the user is needed.
    """
    from .controller import SAMLAuthenticationController
    from .parsers.adfs import AdfsResponseParser

    authenticator = None
    if endpoint.uses_browser:
        authenticator = browser_authenticator(endpoint, window, profile_name)
    elif endpoint.auth_type in ("kerberos", "negotiate") and (
        endpoint.kerberos_canonicalize or endpoint.kerberos_delegate or not endpoint.kerberos_mutual
    ):
        from .plugins import AUTHENTICATORS, load

        authenticator = load(AUTHENTICATORS, endpoint.auth_type)(
            canonicalize_hostname=endpoint.kerberos_canonicalize,
            delegate=endpoint.kerberos_delegate,
            mutual=endpoint.kerberos_mutual,
        )
    if endpoint.auth_type == "forms" and (endpoint.adfs_home_realm or endpoint.forms_accept_consent):
        from .authenticators.forms import AdfsFormsAuthenticator

        authenticator = AdfsFormsAuthenticator(
            home_realm=endpoint.adfs_home_realm, accept_consent=endpoint.forms_accept_consent
        )
    if authenticator is None and endpoint.options:  # a plugin's own keys (endpoint_options)
        authenticator = _with_endpoint_options(endpoint)
    return SAMLAuthenticationController(
        authenticator=authenticator,
        parser=AdfsResponseParser(trusted_certs=endpoint.trusted_certs_pem()),
        proxies=endpoint.proxy,
        verify=endpoint.verify,
        timeout=timeout,
        mfa_prompt=mfa_prompt,
        mfa_options={"method": endpoint.mfa_method} if endpoint.mfa_method else None,
    )


def _with_endpoint_options(endpoint: Endpoint) -> Authenticator | None:
    """The endpoint's authenticator built with the keys it declares in ``endpoint_options``, if any are set."""
    from .plugins import AUTHENTICATORS, load

    cls = load(AUTHENTICATORS, endpoint.auth_type)
    declared = getattr(cls, "endpoint_options", None) or {}
    given = {key: value for key, value in endpoint.options.items() if key in declared}
    return cls(**given) if given else None


def login(
    endpoint: Endpoint,
    credentials: UserCredentials | None,
    role: str | None = None,
    duration: int | None = None,
    region: str | None = None,
    choose: RoleChooser | None = None,
    stage: Stage | None = None,
    auth_type: str | None = None,
    policy_arns: Sequence[str] = (),
    policy: str | None = None,
    mfa_prompt: MFAPromptHook | None = None,
    profile_name: str | None = None,
) -> LoginResult:
    """Sign on, pick ``role`` (or let ``choose`` pick among several), and get its credentials.

    The STS client is built on a thread while the IdP answers: botocore's start-up overlaps the network wait.
    ``policy_arns`` / ``policy`` are session policies for AssumeRoleWithSAML, checked before the IdP is asked.
    """
    from .sts import STSClient

    sts = STSClient(region=region, policy_arns=policy_arns, policy=policy)
    warm_up = threading.Thread(target=sts.warm_up, args=(_partition_of(role),), daemon=True)
    warm_up.start()
    (stage or _quiet)("waiting for the IdP")
    controller = controller_for(endpoint, mfa_prompt=mfa_prompt, profile_name=profile_name)
    assertion = controller.get_saml_assertion(endpoint.url, credentials, auth_type or endpoint.auth_type)
    if role is None and choose is not None and len(assertion.roles) > 1:
        pair = choose(assertion)
    else:
        pair = choose_role(assertion.roles, role)
    (stage or _quiet)("waiting for AWS STS")
    warm_up.join()
    credentials_out = assertion.get_role_credentials(pair.role_arn, duration, sts)
    return LoginResult(assertion, pair, credentials_out, controller.last_mechanism)


def browser_authenticator(endpoint: Endpoint, window: bool, profile_name: str | None) -> Any:
    """The browser authenticator for ``endpoint``: its own profile folder, browser, ACS URL and headless choice."""
    from .authenticators.browser import BrowserAuthenticator

    target = f"--profile {profile_name}" if profile_name else f"--endpoint {endpoint.name}"
    hint = f"run `samlbroker login {target}`"
    if endpoint.browser_headless:
        hint += f" with browser_headless = no on endpoint {endpoint.name!r} (it shows no window)"
    return BrowserAuthenticator(
        profile_name=endpoint.name,
        executable=endpoint.browser_path,
        window=window and not endpoint.browser_headless,
        acs_url=endpoint.acs_url,
        needs_user_hint=hint,
    )


def _partition_of(role: str | None) -> str:
    """The partition a role ARN names; commercial AWS for a friendly name or none."""
    if role and role.startswith("arn:"):
        return role.split(":", 2)[1]
    return "aws"


def _quiet(_: str) -> None:
    return
