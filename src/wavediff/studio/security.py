"""Who may talk to the Studio: Host allow-list, Origin check, optional token.

The Studio starts processes, so a web page in the user's browser must not be able to drive it:
DNS rebinding makes any site "same-origin" with ``127.0.0.1:8000`` unless the ``Host`` header is
checked, and a cross-site ``fetch`` can POST unless the ``Origin`` is checked. Bound to anything
but loopback, every request also needs the token printed in the start-up URL (as Jupyter does).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wavediff.errors import ConfigError

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
TOKEN_HEADER = "X-WaveDiff-Token"
TOKEN_COOKIE = "wavediff_token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class StudioSecurityError(ConfigError):
    """The Studio refuses to start with these settings (one line saying why)."""


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the Studio reachable from this machine only."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def allowed_hosts(bind_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """Host names (without port) the Studio answers to: loopback, the bind address, ``extra``.
    Bound to a wildcard address, this machine's names are added too."""
    hosts = set(LOOPBACK_HOSTS) | {h.strip("[]").lower() for h in extra if h}
    host = bind_host.strip("[]").lower()
    if host in ("0.0.0.0", "::"):
        hosts |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        hosts.add(host)
    return frozenset(hosts)


def check_bind(host: str, token: str | None) -> None:
    """Refuse a non-loopback bind without a token."""
    if not is_loopback(host) and not token:
        raise StudioSecurityError(
            f"--host {host} makes the Studio reachable from other machines, and it starts processes: "
            "add --token auto (or --token <secret>) so every request must carry the token")


def _same(given: str, token: str) -> bool:
    """Constant-time comparison (bytes, so any text a client sends compares instead of raising)."""
    return hmac.compare_digest(given.encode(), token.encode())


def _hostname(value: str) -> str:
    """``host[:port]`` or ``[v6]:port`` -> the lower-case host name without brackets or port."""
    return (urlsplit(f"//{value}").hostname or "").lower()


class SecurityMiddleware(BaseHTTPMiddleware):
    """400 for a ``Host`` not in ``hosts`` (``*`` allows any), 403 for a state-changing request from
    another origin, 401 without the token when one is set. A valid ``?token=`` on a page request
    sets the token cookie and redirects to the same URL without it (so it leaves the address bar)."""

    def __init__(self, app, hosts: frozenset[str], token: str | None = None) -> None:
        super().__init__(app)
        self.hosts, self.token = hosts, token

    def _host_ok(self, name: str) -> bool:
        return "*" in self.hosts or name in self.hosts

    async def dispatch(self, request: Request, call_next) -> Response:
        host = _hostname(request.headers.get("host", ""))
        if not self._host_ok(host):
            return JSONResponse({"detail": f"host {host or '(none)'!r} is not allowed; "
                                           "start the Studio with --allowed-hosts to add it"}, status_code=400)
        if request.method in STATE_CHANGING:
            origin = request.headers.get("origin")
            if origin is not None and (_hostname(urlsplit(origin).netloc) != host or not self._host_ok(host)):
                return JSONResponse({"detail": f"cross-origin request from {origin} refused"}, status_code=403)
            if request.headers.get("sec-fetch-site") == "cross-site":
                return JSONResponse({"detail": "cross-site request refused"}, status_code=403)
        if self.token:
            query_token = request.query_params.get("token")
            if request.method == "GET" and query_token and _same(query_token, self.token):
                url = request.url.remove_query_params("token")
                response = RedirectResponse(str(url), status_code=303)
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
                return response
            given = request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE) or ""
            if not _same(given, self.token):
                return JSONResponse({"detail": f"a token is required: open the URL the Studio printed at "
                                               f"start-up or send the {TOKEN_HEADER} header"}, status_code=401)
        return await call_next(request)
