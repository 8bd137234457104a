"""The lab's NTLM acceptor reads the lab's user store, never the client's ``NTLM_USER_FILE``.

pyspnego's NTLM acceptor finds passwords through the ``NTLM_USER_FILE`` environment variable, which is
also where its NTLM initiator finds the client's default identity. A lab that set the variable for its
acceptor would hand a client in the same process the lab's users, and would check a client's default
identity against the client's own file (so a wrong password would pass). pyspnego takes no explicit
store for an acceptor, so the lab gives each IdP request thread its own: inside ``acceptor_store(path)``
pyspnego's store lookup answers ``path`` on that thread, and every other thread still reads the
environment, as a real client does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from spnego import _ntlm

_local = threading.local()
_install_lock = threading.Lock()
_environment_store: Callable[[], str | None] | None = None


def _store_for_this_thread() -> str | None:
    """The lab's store on a thread inside ``acceptor_store``; the environment's everywhere else."""
    path = getattr(_local, "path", None)
    if path is not None:
        return path
    assert _environment_store is not None
    return _environment_store()


def _install() -> None:
    global _environment_store
    with _install_lock:
        if _environment_store is not None:
            return
        original = getattr(_ntlm, "_get_credential_file", None)
        if not callable(original):
            raise RuntimeError(
                "this pyspnego has no spnego._ntlm._get_credential_file: the lab cannot give its NTLM "
                "acceptor a store of its own (see samlbroker/lab/ntlm_store.py)"
            )
        _environment_store = original
        _ntlm._get_credential_file = _store_for_this_thread


@contextmanager
def acceptor_store(path: str | Path) -> Iterator[None]:
    """On this thread, pyspnego's NTLM acceptor reads ``path`` as its user store."""
    _install()
    previous = getattr(_local, "path", None)
    _local.path = str(path)
    try:
        yield
    finally:
        _local.path = previous
