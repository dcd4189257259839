"""The key that signs cache packs (``policycheck.cache``, ``policycheck.modelcache``).

A pack is read only when it carries an HMAC-SHA-256 of its body under this key, so a pack
that someone else wrote (committed to the checkout by a pull request, restored from another
machine) is never read. The key is the user's own, kept outside the checkout
(``$XDG_CACHE_HOME/policycheck/pack.key``, else ``~/.cache/...``), made on first use with
mode 0600. A CI job starts on a new machine with a new key, so a cache it restores from an
earlier run would never be read: there the key comes from ``POLICYCHECK_CACHE_KEY``, a
secret of the repository's of at least 32 characters, hashed into the key. A pull request
from a fork is not given the secret and runs without a shared cache.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from pathlib import Path

from policycheck.errors import UsageError

KEY_BYTES = 32
#: A key shared by the runs of a CI system, whose machines keep no key of their own.
SECRET_VARIABLE = "POLICYCHECK_CACHE_KEY"
MIN_SECRET_CHARS = 32


@functools.lru_cache(maxsize=4)
def _key_at(folder: Path) -> bytes | None:
    path = folder / "pack.key"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    except OSError:
        return None
    else:
        with os.fdopen(handle, "wb") as out:  # written whole before anyone reads it...
            out.write(os.urandom(KEY_BYTES))
    try:
        key = path.read_bytes()
    except OSError:
        return None
    return key if len(key) == KEY_BYTES else None  # ...else, half written: no cache this run


def signing_key() -> bytes | None:
    """The key for signing packs: from ``POLICYCHECK_CACHE_KEY`` when it is set, else the
    user's own, made on first use; None when it cannot be kept."""
    secret = os.environ.get(SECRET_VARIABLE, "").strip()
    if secret:
        if len(secret) < MIN_SECRET_CHARS:  # never shown: a secret's length is enough
            raise UsageError(
                f"{SECRET_VARIABLE}: expected a secret of at least {MIN_SECRET_CHARS} "
                f"characters (for example the output of 'openssl rand -hex 32'), got "
                f"{len(secret)}")
        return hashlib.sha256(secret.encode()).digest()
    home = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        base = Path(home) if home else Path.home() / ".cache"
    except RuntimeError:  # no home folder
        return None
    return _key_at(base / "policycheck")


def key_label() -> str:
    """A name of the signing key that tells nothing of it (an HMAC of a fixed text), so
    that packs signed under different keys are kept side by side: a CI step run without the
    secret (the job's diff) wrote its packs over those of the steps given it, and the cache
    the job saved was then read by no later run."""
    key = signing_key()
    return "" if key is None else hmac.new(key, b"pack name", hashlib.sha256).hexdigest()[:16]


def signature(body: bytes) -> bytes:
    """The HMAC-SHA-256 of a pack's body under the signing key."""
    key = signing_key()
    if key is None:
        raise OSError("no signing key")
    return hmac.new(key, body, hashlib.sha256).digest()
