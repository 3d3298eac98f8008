"""Same-origin decisions: where to go after logging in, and who may change state.

:func:`safe_next` turns the login page's ``next`` (taken from the address bar, so
anyone can write it) into a path on this site: the server decides and the page only
follows its answer (``POST /api/v1/login`` returns it), so there is one rule, here.
:func:`same_origin` says whether a browser's ``Origin`` (or ``Referer``) names the
site the request was sent to.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit, urlunsplit

HOME = "/"
MAX_NEXT = 2048
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _clean(text: str) -> bool:
    """Printable ASCII without spaces or backslashes (browsers drop tabs and newlines
    from a URL and read a backslash as a slash, which can turn a path into a host)."""
    return text.isascii() and all(0x20 < ord(c) < 0x7F for c in text) and "\\" not in text


def safe_next(value: str | None) -> str:
    """``value`` when it is a path on this site (``/site/31...?x=1``), else ``"/"``.

    Refused: anything with a scheme or a host (``https://evil``, ``//evil``,
    ``javascript:...``); backslashes, spaces or control characters anywhere, and in
    the path percent-encoded too (``/%5Cevil``, ``/%2F/evil``); dot segments; and the
    login page itself (no loop).
    """
    if not value or len(value) > MAX_NEXT or not value.startswith("/") or value[1:2] == "/":
        return HOME
    if not _clean(value):
        return HOME
    parts = urlsplit(value)
    path = parts.path
    if parts.scheme or parts.netloc or not path.startswith("/") or not _clean(unquote(path)):
        return HOME
    for text in (path, unquote(path)):
        if text.startswith("//"):
            return HOME
        segments = text.split("/")
        if any(s in (".", "..") for s in segments):
            return HOME
        if segments[1] == "login":
            return HOME
    return urlunsplit(("", "", path, parts.query, parts.fragment))


def _host_port(netloc: str, scheme: str) -> tuple[str, int] | None:
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    default = _DEFAULT_PORTS.get(scheme)
    if port is None and default is None:
        return None
    return parts.hostname, port if port is not None else (default or 0)


def same_origin(origin: str, host: str) -> bool:
    """Whether ``origin`` (an ``Origin``, or a ``Referer`` URL) names the host and port
    of the ``Host`` the request came to. The scheme is not compared: behind a proxy
    ending TLS the collector sees http where the browser says https; a port missing
    from ``Host`` is the origin's scheme's default."""
    if not origin or not host or not _clean(origin) or not _clean(host):
        return False
    parts = urlsplit(origin)
    if parts.scheme not in _DEFAULT_PORTS:
        return False
    mine = _host_port(host, parts.scheme)
    theirs = _host_port(parts.netloc, parts.scheme)
    return mine is not None and mine == theirs
