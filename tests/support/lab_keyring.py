"""A real, headless keyring backend for tests: keyrings.cryptfile's encrypted file (Argon2 + AES-GCM),
unlocked by a key from the environment instead of an interactive prompt. Not a mock: keyring's own API
and a real encrypted file on disk."""

from __future__ import annotations

import os

from keyrings.cryptfile.cryptfile import CryptFileKeyring

KEY_VARIABLE = "SAMLBROKER_TEST_KEYRING_KEY"


class HeadlessCryptFileKeyring(CryptFileKeyring):
    """Stores under $XDG_DATA_HOME/python_keyring/; the file key comes from SAMLBROKER_TEST_KEYRING_KEY."""

    priority = 1

    @property
    def keyring_key(self) -> str:
        return os.environ[KEY_VARIABLE]

    @keyring_key.setter
    def keyring_key(self, value: str) -> None:
        os.environ[KEY_VARIABLE] = value
