"""Signed, expiring links to export files too large for Telegram.

An export holds what staff see of every case (never who reported it: services/export.py),
so its link must not be guessable, must not outlive its use, and must not
be forged into a link to another file. The link names the file by a random name and carries
its expiry and an HMAC-SHA256 over both, made with `DOWNLOAD_LINK_SECRET`: the web service
(`python -m bot web`) checks the signature and the time before serving a byte, holding no
state of its own, so any instance can serve any link."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

DOWNLOAD_PATH = "/unduh"
# Long enough to fetch on a slow connection the same day, short enough that a link pasted
# into the wrong chat is dead by the next morning.
LINK_LIFETIME = timedelta(hours=12)
_FILE_NAME = re.compile(r"^[A-Za-z0-9_-]{20,64}\.(csv|xlsx)$")


@dataclass(frozen=True)
class SignedLink:
    url: str
    expires_at: datetime


def new_file_name(suffix: str) -> str:
    """A name nobody can guess or enumerate: 160 random bits."""
    return f"{secrets.token_urlsafe(20)}.{suffix}"


def is_file_name(name: str) -> bool:
    """Only names new_file_name makes: nothing with a path in it ever reaches the disk."""
    return bool(_FILE_NAME.fullmatch(name))


def _signature(secret: str, name: str, expires: int) -> str:
    message = f"{name}\n{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(base_url: str, secret: str, name: str, now: datetime) -> SignedLink:
    expires_at = now + LINK_LIFETIME
    expires = int(expires_at.timestamp())
    query = urlencode({"e": expires, "s": _signature(secret, name, expires)})
    return SignedLink(f"{base_url.rstrip('/')}{DOWNLOAD_PATH}/{name}?{query}", expires_at)


def verify(secret: str, name: str, expires: str, signature: str, now: datetime) -> bool:
    """True for a link this deployment made, for a file it names, before its expiry."""
    if not secret or not is_file_name(name) or not expires.isdigit():
        return False
    expected = _signature(secret, name, int(expires))
    return hmac.compare_digest(expected, signature) and now.timestamp() < int(expires)


class DownloadLinks:
    """Where linked exports wait (EXPORT_DIR, shared by the bot and the site) and the
    links to them. The bot keeps a file and signs its link; the site checks a link and
    finds its file; either sweeps away files whose links have expired."""

    def __init__(self, base_url: str, secret: str, directory: Path) -> None:
        self.base_url = base_url
        self._secret = secret
        self.directory = directory

    def keep(self, path: Path, now: datetime) -> SignedLink:
        """Move a finished export here under a random name and sign a link to it."""
        self.sweep(now)
        self.directory.mkdir(parents=True, exist_ok=True)
        name = new_file_name(path.suffix.lstrip("."))
        shutil.move(path, self.directory / name)
        return sign(self.base_url, self._secret, name, now)

    def find(self, name: str, expires: str, signature: str, now: datetime) -> Path | None:
        """The file a valid, unexpired link names, if it is still here."""
        if not verify(self._secret, name, expires, signature, now):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def sweep(self, now: datetime) -> int:
        """Remove the files every link to which has expired; how many were removed."""
        if not self.directory.is_dir():
            return 0
        oldest = (now - LINK_LIFETIME).timestamp()
        removed = 0
        for path in self.directory.iterdir():
            if not is_file_name(path.name):
                continue
            try:
                expired = path.stat().st_mtime < oldest
            except FileNotFoundError:
                continue  # another instance, or the site, swept it first
            if expired:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def download_links(public_url: str | None, secret: str, directory: Path) -> DownloadLinks | None:
    """None unless the deployment has a public site to serve links from and a secret."""
    if not public_url or not secret:
        return None
    return DownloadLinks(public_url, secret, directory)
