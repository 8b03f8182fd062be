"""WWW-Authenticate parsing (RFC 7235): several challenges, quoted and unquoted parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SPACE = re.compile(r"[ \t]*")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lowercased: "bearer", "basic"
    params: dict[str, str] = field(default_factory=dict)  # keys lowercased
    token68: str | None = None

    @property
    def realm(self) -> str | None:
        return self.params.get("realm")

    @property
    def service(self) -> str | None:
        return self.params.get("service")

    @property
    def scopes(self) -> tuple[str, ...]:
        """Scopes asked for; a registry may list several, space-separated."""
        return tuple(self.params.get("scope", "").split())

    @property
    def error(self) -> str | None:
        return self.params.get("error")


def parse_challenges(values: str | list[str]) -> list[Challenge]:
    """Parse one or more WWW-Authenticate header values. Unparseable tails are dropped, not raised."""
    if isinstance(values, str):
        values = [values]
    challenges: list[Challenge] = []
    for value in values:
        challenges.extend(_Parser(value).challenges())
    return challenges


def pick(challenges: list[Challenge]) -> Challenge | None:
    """Bearer over Basic; other schemes are not ours to answer."""
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                return challenge
    return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def _space_end(self, pos: int) -> int:
        """Where the spaces from `pos` end (`pos` itself when there are none)."""
        match = _SPACE.match(self.text, pos)
        return match.end() if match else pos

    def _skip_space(self) -> None:
        self.pos = self._space_end(self.pos)

    def _skip_commas(self) -> None:
        while True:
            self._skip_space()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                self.pos += 1
            else:
                return

    def _token(self) -> str | None:
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            return None
        self.pos = match.end()
        return match.group()

    def _quoted(self) -> str:
        assert self.text[self.pos] == '"'
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
            elif ch == '"':
                self.pos += 1
                return "".join(out)
            else:
                out.append(ch)
                self.pos += 1
        return "".join(out)  # unterminated: take what there is

    def _param_ahead(self) -> bool:
        """True when the text at pos is `name =` (a parameter), not the next challenge's scheme."""
        match = _TOKEN.match(self.text, self.pos)
        if not match:
            return False
        after = self._space_end(match.end())
        if after >= len(self.text) or self.text[after] != "=":
            return False
        # "abc==" or a trailing "abc=" is token68 padding, not a parameter
        value_at = self._space_end(after + 1)
        return value_at < len(self.text) and self.text[value_at] not in "=,"

    def challenges(self) -> list[Challenge]:
        found: list[Challenge] = []
        while True:
            self._skip_commas()
            scheme = self._token()
            if scheme is None:
                return found
            params: dict[str, str] = {}
            token68 = None
            self._skip_space()
            if not self._param_ahead():
                match = _TOKEN68.match(self.text, self.pos)
                end = self._space_end(match.end()) if match else 0
                if match and (end == len(self.text) or self.text[end] == ","):
                    token68 = match.group()
                    self.pos = match.end()
            while True:
                self._skip_commas()
                if not self._param_ahead():
                    break
                token = self._token()
                if token is None:  # _param_ahead saw one: unreachable, but never a crash
                    break
                name = token.lower()
                self._skip_space()
                self.pos += 1  # "="
                self._skip_space()
                if self.pos < len(self.text) and self.text[self.pos] == '"':
                    value = self._quoted()
                else:
                    start = self.pos
                    while self.pos < len(self.text) and self.text[self.pos] not in ", \t":
                        self.pos += 1
                    value = self.text[start:self.pos]
                params.setdefault(name, value)
            found.append(Challenge(scheme.lower(), params, token68))
