"""The exception hierarchy: every error a user can meet carries a one-line, secret-free message."""

from __future__ import annotations


class SAMLBrokerError(Exception):
    """Base of every samlbroker error; ``str(exc)`` is the one line a CLI user sees."""


class AuthenticationFailedError(SAMLBrokerError):
    """The IdP refused the sign-in (bad credentials, disabled account, IdP error page).

    ``idp_message`` holds the IdP's own words when it gave any.
    """

    def __init__(self, message: str, idp_message: str | None = None) -> None:
        super().__init__(message)
        self.idp_message = idp_message


class MFAFailedError(AuthenticationFailedError):
    """The password was accepted but the second factor was not: declined, refused, timed out or unanswerable.

    The password is not to blame: it is neither forgotten from the keyring nor asked for again.
    """


class SAMLResponseError(SAMLBrokerError):
    """No SAMLResponse in the IdP's answer, or one that is malformed."""


class NoRolesError(SAMLBrokerError):
    """The assertion grants no AWS role."""


class RoleNotFoundError(SAMLBrokerError):
    """The asked-for role is not in the assertion, or a choice is needed and none was given."""

    def __init__(self, message: str, choices: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.choices = choices


class SignatureError(SAMLBrokerError):
    """The assertion's XML signature is missing or does not verify against a trusted certificate."""


class CallbackRequiredError(SAMLBrokerError):
    """A refresh needs the user's password and no credential callback is registered."""


class STSError(SAMLBrokerError):
    """AWS STS refused AssumeRoleWithSAML (or was unreachable); ``code`` is the service's error code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class FederationError(SAMLBrokerError):
    """The AWS console federation endpoint (getSigninToken) refused the credentials or could not be reached."""


class ConfigError(SAMLBrokerError):
    """The configuration (or credentials) file is malformed or names something that is not there."""


class DependencyMissingError(SAMLBrokerError):
    """An optional feature is asked for but its install extra is not installed."""


class IdPUnreachableError(SAMLBrokerError):
    """The IdP could not be reached: connection refused, TLS not trusted, proxy failure, timeout."""


class BrowserError(SAMLBrokerError):
    """The browser sign-in could not finish: no browser found, it would not start, crashed, was closed,
    or the overall deadline passed."""


class InteractionRequiredError(BrowserError):
    """A browser sign-in without a window (headless, or a refresh) reached a page that needs the user."""
