"""Secrets never printed: URLs with credentials or tokens redacted, log files private.

`redact(text)` hides, in any text, the password of every `scheme://user:password@host` URL, the whole
user part of a `scheme://token@host` URL, and the values of query parameters named like a secret
(`token`, `key`, `secret`, `password`, `signature`, ...). `notify_label(url)` names an Apprise URL for a
log line without its secrets (Apprise's own privacy form, else the scheme alone). `RedactingFilter` applies
`redact` to a log record's message and traceback, and shows control and escape characters of the message as
visible escapes (`safe.visible`: a page title cannot drive the terminal through a log line); `protect(logger)`
installs it. `private_log(path)` opens a
log file readable by its owner only (0600, in a 0700 folder); `private_dir` makes a folder of logs 0700.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import IO

from regtrail.analyst.safe import visible

MASK = "****"
# scheme://userinfo@ : the userinfo of a URL (anything up to the first @ before the host's end)
# (a password may hold an unencoded @: the userinfo ends at the last @ before the path)
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^\s/@:?#]*)(?P<password>:[^\s/?#]*)?@")
# a query parameter whose name is, or ends in, a secret's name: token, access_token, api_key, X-Amz-Signature
_SECRET_PARAM = re.compile(
    r"(?i)(?P<name>[?&;](?:[\w.-]*[_.-])?(?:token|secret|password|passwd|pwd|pass|key|apikey|sig|signature|auth|"
    r"credential|session|sessionid))=(?P<value>[^&;#\s]+)")


def _userinfo(match: re.Match[str]) -> str:
    if match["password"]:
        return f"{match['scheme']}{match['user']}:{MASK}@"
    return f"{match['scheme']}{MASK}@"  # a bare user part is often a token (e.g. https://TOKEN@host)


def redact(text: str) -> str:
    """`text` with URL credentials and secret-looking query values replaced by ****."""
    if "://" not in text and "=" not in text:
        return text
    return _SECRET_PARAM.sub(lambda m: f"{m['name']}={MASK}", _USERINFO.sub(_userinfo, text))


def notify_label(url: str) -> str:
    """An Apprise URL as a log line may show it: Apprise's privacy form (secrets masked), else `scheme://…`."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin:
            return redact(plugin.url(privacy=True))
    except Exception:  # noqa: BLE001 - a label must never fail the caller
        pass
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://…"


class RedactingFilter(logging.Filter):
    """Redacts the message (with its arguments) and the traceback of every record it sees; the message's control
    and escape characters become visible escapes."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record: the handler reports it as usual
            return True
        cleaned = visible(redact(message))
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = RedactingFilter()


def protect(*loggers: logging.Logger | logging.Handler | str) -> None:
    """Install the redacting filter on loggers (by object or name) or handlers, once each."""
    for target in loggers:
        target = logging.getLogger(target) if isinstance(target, str) else target
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


def private_dir(path: Path) -> Path:
    """Create `path` if needed and make it 0700 (its files then readable by its owner only, whatever their mode)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_log(path: Path, mode: str = "w") -> IO[str]:
    """Open a log file only its owner can read: the folder made 0700, the file 0600 (also when it existed)."""
    path = Path(path)
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    descriptor = os.open(path, flags, 0o600)
    os.fchmod(descriptor, 0o600)
    return os.fdopen(descriptor, mode, encoding="utf-8", errors="replace")
