"""Who may use the web UI: tokens with a role and a name, a session cookie, CSRF.

Every page, endpoint and static file needs a token, except the login form. A token is
sent as `Authorization: Bearer TOKEN` (scripts, the API), or given once as
`?token=TOKEN` or on the login form, after which an HttpOnly, SameSite=Strict cookie
carries it. Requests that change something (POST) by cookie must also carry the CSRF
token of the session: a form's hidden `csrf` field, or an `X-CSRF-Token` header; a
cross-site page can send the cookie but cannot read the token. Bearer requests need no
CSRF token: a browser never adds that header by itself.

Roles: a *viewer* reads everything; a *reviewer* also decides approvals and starts and
resumes runs. The token's name is who decided, in the run log (`ApprovalDecided.reviewer`)
and the feedback export.

A token file has one token a line: `TOKEN [ROLE [NAME]]` (ROLE `reviewer` or `viewer`,
default reviewer; NAME default the role and the line number); `#` starts a comment.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from seamline.exceptions import ConfigError

Role = Literal["reviewer", "viewer"]
ROLES: tuple[Role, ...] = ("reviewer", "viewer")
COOKIE = "seamline_token"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
_SHORTEST = 16  # characters: a token a person could guess is no token


@dataclass(frozen=True, slots=True)
class Identity:
    """The person (or program) behind a token."""

    name: str
    role: Role

    @property
    def reviewer(self) -> bool:
        return self.role == "reviewer"


class TokenBook:
    """The tokens the server accepts, and the CSRF tokens of their sessions."""

    def __init__(self, tokens: dict[str, Identity]) -> None:
        if not tokens:
            raise ConfigError("no tokens: give --token-file, or let seamline ui generate one")
        self._tokens = dict(tokens)
        # The CSRF tokens are keyed by this process's secret: a restart invalidates open forms.
        self._secret = secrets.token_bytes(32)

    @classmethod
    def generated(cls, name: str) -> tuple[TokenBook, str]:
        """A book with one new reviewer token (returned, to be shown once)."""
        token = secrets.token_urlsafe(24)
        return cls({token: Identity(name, "reviewer")}), token

    @classmethod
    def from_file(cls, path: Path) -> TokenBook:
        """Read a token file (see the module docstring).

        Raises:
            ConfigError: the file is missing or a line is malformed (naming the line).
        """
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot read the token file {path}: {e.strerror}") from None
        tokens: dict[str, Identity] = {}
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            token, *rest = line.split(None, 2)
            role = rest[0] if rest else "reviewer"
            if role not in ROLES:
                raise ConfigError(
                    f"{path}, line {number}: role {role!r}; use reviewer or viewer "
                    "(a line is: TOKEN [ROLE [NAME]])"
                )
            if len(token) < _SHORTEST:
                raise ConfigError(
                    f"{path}, line {number}: a token needs at least {_SHORTEST} characters; "
                    'make one with: python -c "import secrets; print(secrets.token_urlsafe(24))"'
                )
            if token in tokens:
                raise ConfigError(
                    f"{path}, line {number}: this token is already on an earlier line"
                )
            name = rest[1].strip() if len(rest) > 1 else f"{role}-{number}"
            tokens[token] = Identity(name, role)
        if not tokens:
            raise ConfigError(f"{path} holds no token (a line is: TOKEN [ROLE [NAME]])")
        return cls(tokens)

    def identify(self, token: str | None) -> Identity | None:
        """The identity of `token`, compared in constant time; None if it is not one."""
        if not token:
            return None
        found = None
        for known, identity in self._tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = identity
        return found

    def csrf_for(self, token: str) -> str:
        """The CSRF token of the session opened with `token`."""
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()[:32]

    def csrf_ok(self, token: str, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(self.csrf_for(token), sent)
