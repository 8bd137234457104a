"""samlbroker: SAML / AD FS federation broker for AWS.

Names are imported lazily, so ``import samlbroker`` stays cheap on the credential_process hot path.
"""

__version__ = "0.1.0"

_EXPORTS = {
    "SAMLAuthenticationController": "controller",
    "UserCredentials": "identity",
    "SAMLAssertion": "assertion",
    "RolePair": "roles",
    "Credentials": "sts",
    "STSClient": "sts",
    "SAMLBrokerError": "errors",
    "AuthenticationFailedError": "errors",
    "MFAFailedError": "errors",
    "SAMLResponseError": "errors",
    "NoRolesError": "errors",
    "RoleNotFoundError": "errors",
    "SignatureError": "errors",
    "CallbackRequiredError": "errors",
    "STSError": "errors",
    "ConfigError": "errors",
    "FederationError": "errors",
    "IdPUnreachableError": "errors",
    "DependencyMissingError": "errors",
    "BrowserError": "errors",
    "InteractionRequiredError": "errors",
    "FederatedCredentials": "credentials",
    "CredentialRequest": "credentials",
    "MFAPrompt": "mfa.base",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'samlbroker' has no attribute {name!r}")
    from importlib import import_module  # here, not at the top: importlib pulls in warnings

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
