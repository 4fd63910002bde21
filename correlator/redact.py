"""Secrets never reach a log line or an error message.

Two layers: patterns that hide the password of any URL (``user:pass@host``, ``?password=…``)
and the value of any ``key=value`` setting whose name looks secret; and the exact values of the
secrets this process was given (Kafka SASL and OAuth settings, ``*_FILE`` contents, the Redis
password), registered once at start-up and replaced wherever they appear, however a library
chose to quote them. The log formatter applies both to every formatted line, tracebacks
included, and the CLI applies them to the one-line errors it prints.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from correlator.terminal import safe_lines

MASK = "***"
SECRET_MARKERS = (
    "password",
    "secret",
    "key",
    "token",
    "credential",
    "oauthbearer",
    "jaas",
    "connection_string",  # Event Hubs: Endpoint=…;SharedAccessKey=…
    "connectionstring",
)
_MIN_SECRET_LEN = 4  # shorter values would mask ordinary words; none is a real secret

# Log lines may quote hostile input of any length, so every repetition is bounded and each
# match starts only where a token starts: the cost stays linear in the line.
# scheme://user:password@host -> scheme://user:***@host (any scheme, any user, even empty).
_URL_USERINFO = re.compile(
    r"(?P<head>(?<![\w+.-])[a-zA-Z][a-zA-Z0-9+.-]{0,31}://[^\s/@:]{0,256}:)[^\s/@]{0,1024}@"
)
# password=…, ?token=…, "sasl.password": "…", sasl.oauthbearer.config=… in any text.
_SECRET_ASSIGNMENT = re.compile(
    r"(?P<head>(?<![\w.-])[\w.-]{0,64}?(?:password|passwd|pwd|secret|token|"
    r"oauthbearer\.config|jaas\.config|credential|api[_-]?key|access[_-]?key)"
    r"[\w.-]{0,64}['\"]?\s{0,8}[=:]\s{0,8}['\"]?)"
    r"(?P<value>[^\s&'\",;}]+)",
    re.IGNORECASE,
)


def is_secret(name: str) -> bool:
    """Whether a setting named ``name`` (``sasl.password``, ``SASL_PASSWORD``) holds a secret."""
    return any(marker in name.lower() for marker in SECRET_MARKERS)


def mask_patterns(text: str) -> str:
    text = _URL_USERINFO.sub(lambda m: m["head"] + MASK + "@", text)
    return _SECRET_ASSIGNMENT.sub(lambda m: m["head"] + MASK, text)


class SecretValues:
    """The secret values this process knows, replaced wherever they appear."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        with self._lock:
            for value in values:
                if value and len(value) >= _MIN_SECRET_LEN:
                    self._values.update(_forms(value))
            ordered = sorted(self._values, key=len, reverse=True)  # longest first
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def add_url(self, url: str) -> None:
        """The password (and, for a bare ``:password@``, nothing else) of a URL."""
        try:
            parts = urlsplit(url)
            password = parts.password
        except ValueError:
            return
        self.add(password, unquote(password) if password else None)
        for name, _, value in (item.partition("=") for item in parts.query.split("&")):
            if is_secret(name):
                self.add(value, unquote(value))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        text = pattern.sub(MASK, text) if pattern is not None else text
        return mask_patterns(text)


def _forms(value: str) -> Iterable[str]:
    """The value and the ways a library may have quoted it in a message."""
    yield value
    yield value.encode("unicode_escape").decode("ascii")
    yield repr(value)[1:-1]
    for line in value.splitlines():  # a multi-line secret file, shown line by line
        if len(line.strip()) >= _MIN_SECRET_LEN:
            yield line.strip()


SECRETS = SecretValues()  # one per process: secrets are a property of the process, not a run


def mask(text: str) -> str:
    return SECRETS.mask(text)


def shown(text: str) -> str:
    """``text`` as every log line is shown: secrets masked, control characters escaped. For the
    lines the command line prints itself (errors quote settings, paths and remote answers)."""
    return safe_lines(mask(text))


class MaskingFormatter(logging.Formatter):
    """Formats as usual, then masks the whole line, exception and stack text included, and
    escapes control characters: a log line can quote record fields, and it reaches a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        return safe_lines(mask(super().format(record)))


def install(handlers: Iterable[logging.Handler]) -> None:
    """Give each handler a masking formatter that keeps its format."""
    for handler in handlers:
        current = handler.formatter
        fmt = current._fmt if current is not None else None
        datefmt = current.datefmt if current is not None else None
        handler.setFormatter(MaskingFormatter(fmt, datefmt))


MAX_SECRET_FILE = 64 * 1024


def register_environment(env: Mapping[str, str]) -> None:
    """Secret-looking variables and the files their ``*_FILE`` variants name, up front: a
    library may echo one before the setting that uses it is ever resolved."""
    for name, value in env.items():
        if name.endswith("_URL") or "://" in value:
            SECRETS.add_url(value)
        if not is_secret(name.removesuffix("_FILE")):
            continue
        if name.endswith("_FILE"):
            SECRETS.add(_read_small(value))
        else:
            SECRETS.add(value)


def register_arguments(arguments: Mapping[str, object]) -> None:
    """Secret-looking command-line options, and the files ``--…-secret-file`` options name."""
    for name, value in arguments.items():
        if not isinstance(value, str | os.PathLike) or not is_secret(name.removesuffix("_file")):
            continue
        text = os.fspath(value)
        SECRETS.add(_read_small(text) if name.endswith("_file") else text)


def _read_small(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(MAX_SECRET_FILE).strip()
    except OSError:
        return None
