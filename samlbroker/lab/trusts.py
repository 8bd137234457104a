"""AD FS's choices before sign-in: which agents get Windows-integrated sign-in, and the AWS relying parties."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# AD FS's default WIASupportedUserAgents: a plain entry matches as a substring, "=~" marks a regex.
DEFAULT_WIA_USER_AGENTS: tuple[str, ...] = (
    "MSAuthHost/1.0/In-Domain",
    "MSIE 6.0",
    "MSIE 7.0; Windows NT",
    "MSIE 8.0",
    "MSIE 9.0",
    "MSIE 10.0; Windows NT 6",
    "Windows NT 6.3; Trident/7.0",
    "Windows NT 6.3; Win64; x64; Trident/7.0",
    "Windows NT 6.3; WOW64; Trident/7.0",
    "Windows NT 6.2; Trident/7.0",
    "Windows NT 6.2; Win64; x64; Trident/7.0",
    "Windows NT 6.2; WOW64; Trident/7.0",
    "Windows NT 6.1; Trident/7.0",
    "Windows NT 6.1; Win64; x64; Trident/7.0",
    "Windows NT 6.1; WOW64; Trident/7.0",
    "Windows NT 10.0; Trident/7.0",
    "Windows NT 10.0; Win64; x64; Trident/7.0",
    "Windows NT 10.0; WOW64; Trident/7.0",
    "MSIPC",
    "Windows Rights Management Client",
    "MS_WorkFoldersClient",
    r"=~Windows\s*NT.*Edge",
)


@dataclass(frozen=True)
class RelyingParty:
    """An AWS relying-party trust: its identifier (the audience), partition and sign-in endpoint."""

    identifier: str
    partition: str
    recipient: str
    post_action: str


RELYING_PARTIES: dict[str, RelyingParty] = {
    rp.identifier: rp
    for rp in (
        RelyingParty(
            "urn:amazon:webservices",
            "aws",
            "https://signin.aws.amazon.com/saml",
            "https://signin.aws.amazon.com:443/saml",
        ),
        RelyingParty(
            "urn:amazon:webservices:govcloud",
            "aws-us-gov",
            "https://signin.amazonaws-us-gov.com/saml",
            "https://signin.amazonaws-us-gov.com/saml",
        ),
        RelyingParty(
            "urn:amazon:webservices:cn",
            "aws-cn",
            "https://signin.amazonaws.cn/saml",
            "https://signin.amazonaws.cn/saml",
        ),
    )
}


def wia_supported(user_agent: str, patterns: Sequence[str] = DEFAULT_WIA_USER_AGENTS) -> bool:
    """True when AD FS would send this User-Agent to Windows-integrated authentication."""
    for pattern in patterns:
        if pattern.startswith("=~"):
            if re.search(pattern[2:], user_agent):
                return True
        elif pattern.lower() in user_agent.lower():
            return True
    return False


# --- NTLM messages -------------------------------------------------------------------------------
