"""What several HTTP instances share through Redis (REDIS_URL), and how an outage degrades.

`RedisLink` is the one connection the caches, the de-duplication marks and the rate budgets use. Every
Redis call goes through `RedisLink.run`: when Redis fails (down, slow, refused), the call answers
`MISSING`, the link stays "down" for a few seconds, and callers fall back to this instance's memory. The
first failure logs one warning (never the URL: it may carry a password); the recovery logs another line.

Every key carries the deployment's identity (`Identity`: the Pendo host and a short one-way tag of the
integration key, the Zendesk host, the Slack install), so several deployments (staging and production,
the sample and a customer, two Pendo regions) can share one Redis and never read each other's entries.
The identity is built once from the settings (`Identity.of`) and given to the link (`RedisLink.scoped`);
the stores that use the link never build it themselves.

`encode`/`decode` turn cached values into JSON (orjson) and back, so nothing is unpickled from Redis:
plain data, tuples, sets, dicts with any hashable keys, and the bot's own pydantic models, dataclasses
and enums, but only the classes registered with the codec (`cacheable`: the types the clients cache, and
the classes inside them). A Redis entry names its class; `decode` looks that name up in the registry and
nothing else (no import, no attribute walk), so whoever can write the Redis cannot make the bot call
anything but a registered model, dataclass or enum. A value with an unregistered class stays in memory.
`decode` refuses anything nested deeper than `MAX_DEPTH` (DecodeError), never a RecursionError.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import hashlib
import logging
import time
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, TypeAdapter

from bot import metrics
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
KEY_PREFIX = "pendo-bot:"


def fingerprint(secret: str) -> str:
    """A short one-way tag of a secret (12 hex digits): tells two keys apart, reveals nothing of them."""
    return hashlib.blake2b(secret.encode(), digest_size=6, person=b"pendo-bot-id").hexdigest()


def _host(url: str) -> str:
    return (urlsplit(url).netloc or url).lower()


@dataclass(frozen=True)
class Identity:
    """Who this deployment is, as far as shared keys go; each part is safe to show (no secret in it).

    - `pendo`: the API host and a tag of the integration key (one host serves every subscription);
    - `zendesk`: the API host and the account's host ("-" without Zendesk);
    - `slack`: the Slack API host and the app's install: the workspace (team id) and the app's bot (bot id)
      that `auth.test` names (`installed`), so rotating the bot token keeps every agent's preferences and
      share claims; until Slack has answered, a tag of the bot token stands in ("-" without Slack).
    """

    pendo: str
    zendesk: str
    slack: str

    @classmethod
    def of(cls, settings: Settings) -> Identity:
        pendo = f"{_host(settings.pendo_api_url)}/{fingerprint(settings.pendo_key)}"
        zendesk = "-"
        if settings.zendesk_configured:
            api = _host(settings.zendesk_api_url)
            zendesk = api if api == settings.zendesk_host else f"{api}/{settings.zendesk_host}"
        slack = "-"
        if settings.slack_bot_token is not None:
            token = settings.slack_bot_token.get_secret_value()
            slack = f"{_host(settings.slack_api_url)}/{fingerprint(token)}"
        return cls(pendo, zendesk, slack)

    def installed(self, team_id: str, bot_id: str) -> Identity:
        """This identity for the Slack install `auth.test` names (its team id and bot id)."""
        host = self.slack.split("/", 1)[0]
        return dataclasses.replace(self, slack=f"{host}/{team_id}/{bot_id}")

    @property
    def upstreams(self) -> str:
        """The scope of upstream data (caches): what Pendo and Zendesk answer depends on these only."""
        return f"p={self.pendo},z={self.zendesk}"

    @property
    def deployment(self) -> str:
        """The scope of Slack-side state (duplicate checks, share claims, preferences): the whole identity."""
        return f"{self.upstreams},s={self.slack}"


@dataclass
class _Breaker:
    down_until: float = 0.0
    down: bool = False


class RedisLink:
    """An optional asyncio Redis client with a circuit breaker: down for `retry_after` s after a failure.

    `scoped(...)` gives the same connection and breaker with keys under a longer prefix."""

    def __init__(
        self,
        url: str | None,
        *,
        timeout: float = 1.0,
        retry_after: float = 5.0,
        prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client: Any = None
        if url:
            import redis.asyncio as redis

            self.client = redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry_on_timeout=False,
                health_check_interval=30,
            )
        self.prefix = prefix
        self._base = prefix  # what `scoped` views extend
        self._retry_after = retry_after
        self._clock = clock
        self._breaker = _Breaker()
        self._key_errors: set[str] = set()  # key kinds whose command error was logged (shared by views)

    def scoped(self, scope: str) -> RedisLink:
        """This link (same connection, same breaker) with every key under `scope` (an `Identity` part)."""
        view = copy.copy(self)
        view._base = self.prefix
        view.prefix = f"{self.prefix}{scope}:"
        return view

    def rescope(self, scope: str) -> None:
        """Move this view (and every store holding it) to another scope under the same base prefix."""
        self.prefix = f"{self._base}{scope}:"

    @property
    def configured(self) -> bool:
        return self.client is not None

    @property
    def available(self) -> bool:
        return self.client is not None and self._clock() >= self._breaker.down_until

    def key(self, kind: str, raw: object) -> str:
        """A Redis key for `raw` (any value with a stable repr): hashed, so no email or id appears in it."""
        digest = hashlib.blake2b(repr(raw).encode(), digest_size=16).hexdigest()
        return f"{self.prefix}{kind}:{digest}"

    async def run(self, op: Callable[[Any], Awaitable[T]], *, kind: str = "unnamed") -> T | _Missing:
        """`await op(client)`, or MISSING when Redis is not configured, marked down, or fails now.

        A command error about the key itself (`ResponseError`: WRONGTYPE, a script error on a value the
        bot did not write; `WatchError`: a WATCH that kept failing) is that key's problem, not Redis's:
        the operation answers MISSING, one line per key `kind` says so (never the key or the value), and
        Redis stays in use for everything else. Connection errors and timeouts (and the few command errors
        that speak for the whole server: read-only replica, out of memory, no permission) mark it down."""
        if not self.available:
            if self.client is not None:
                metrics.REDIS_FALLBACKS.inc()
            return MISSING
        try:
            result = await op(self.client)
        except Exception as exc:  # redis.RedisError, OSError, timeouts: all mean "use memory for now"
            if _key_error(exc):
                metrics.REDIS_FALLBACKS.inc()
                if kind not in self._key_errors:
                    self._key_errors.add(kind)
                    log.warning(
                        "Redis refused an operation on one key: that operation uses this instance's memory; "
                        "Redis stays in use for the rest",
                        extra={"error": type(exc).__name__, "key_kind": kind},
                    )
                return MISSING
            metrics.REDIS_FALLBACKS.inc()
            self._breaker.down_until = self._clock() + self._retry_after
            if not self._breaker.down:
                self._breaker.down = True
                log.warning(
                    "Redis is unavailable: this instance uses its own memory until it is back "
                    "(caches, duplicate checks and rate budgets are per instance meanwhile)",
                    extra={"error": type(exc).__name__},
                )
            return MISSING
        if self._breaker.down:
            self._breaker.down = False
            log.warning("Redis is back: caches, duplicate checks and rate budgets are shared again")
        return result

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


def _key_error(exc: BaseException) -> bool:
    """Whether `exc` is a command error about the key it touched, not a failure of Redis itself."""
    try:
        from redis import exceptions as rx
    except ImportError:  # pragma: no cover - redis is installed wherever a URL is set
        return False
    not_the_key: tuple[type[BaseException], ...] = (
        rx.ReadOnlyError,
        rx.NoPermissionError,
        rx.ConnectionError,
        rx.TimeoutError,
    )
    out_of_memory = getattr(rx, "OutOfMemoryError", None)
    if isinstance(out_of_memory, type):
        not_the_key += (out_of_memory,)
    if isinstance(exc, not_the_key):
        return False
    return isinstance(exc, rx.ResponseError | rx.WatchError)


# --- values <-> JSON -----------------------------------------------------------------------------------
class Unencodable(TypeError):
    """The value holds something the codec does not carry; it is kept in memory only."""


_CODEC: dict[str, type] = {}  # "module:qualname" -> class: the only classes encode writes and decode makes


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _register(tp: Any, seen: set[int]) -> None:
    if id(tp) in seen:
        return
    seen.add(id(tp))
    for arg in typing.get_args(tp):  # list[X], X | None, dict[K, V], Annotated[X, ...]
        _register(arg, seen)
    if not isinstance(tp, type) or isinstance(tp, types.GenericAlias) or not tp.__module__.startswith("bot."):
        return
    if issubclass(tp, enum.Enum) or issubclass(tp, BaseModel):  # a model is dumped as plain JSON
        _CODEC[_name(tp)] = tp
    elif dataclasses.is_dataclass(tp):
        _CODEC[_name(tp)] = tp
        for hint in typing.get_type_hints(tp).values():  # its fields are encoded one by one
            _register(hint, seen)


@typing.overload
def cacheable(tp: type[T]) -> TypeAdapter[T]: ...
@typing.overload
def cacheable(tp: Any) -> TypeAdapter[Any]: ...
def cacheable(tp: Any) -> TypeAdapter[Any]:
    """The validator for a type the bot caches (`expect`), with the bot's classes in it (models,
    dataclasses and their field types, enums) registered with the codec: the allow-list `decode` uses."""
    _register(tp, set())
    return TypeAdapter(tp)


def _enc(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        if _CODEC.get(_name(type(value))) is not type(value):
            raise Unencodable(_name(type(value)))
        return {"~": "enum", "c": _name(type(value)), "v": value.value}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_enc(v) for v in value]
    if isinstance(value, tuple):
        return {"~": "tuple", "v": [_enc(v) for v in value]}
    if isinstance(value, frozenset | set):
        return {"~": "set", "v": [_enc(v) for v in value]}
    if isinstance(value, dict):
        return {"~": "dict", "v": [[_enc(k), _enc(v)] for k, v in value.items()]}
    cls = type(value)
    name = _name(cls)
    if _CODEC.get(name) is not cls:
        raise Unencodable(name)
    if isinstance(value, BaseModel):
        return {"~": "model", "c": name, "v": value.model_dump(mode="json", by_alias=True)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _enc(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"~": "dc", "c": name, "v": fields}
    raise Unencodable(name)


class DecodeError(ValueError):
    """A Redis value that is not one this codec wrote: not JSON, unknown tags, too deep, wrong fields."""


def _class(name: Any) -> type:
    """The registered class of that name; nothing is imported or looked up anywhere else."""
    cls = _CODEC.get(name) if isinstance(name, str) else None
    if cls is None:
        raise DecodeError("refusing to load a class that is not registered with the codec")
    return cls


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


MAX_DEPTH = 64  # the bot's own values nest a dozen levels at most


def _dec(data: Any, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise DecodeError(f"nested deeper than {MAX_DEPTH} levels")
    inner = depth + 1
    if isinstance(data, list):
        return [_dec(v, inner) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get("~")
    if tag == "tuple":
        return tuple(_dec(v, inner) for v in data["v"])
    if tag == "set":
        return frozenset(_hashable(_dec(v, inner)) for v in data["v"])
    if tag == "dict":
        return {_hashable(_dec(k, inner)): _dec(v, inner) for k, v in data["v"]}
    cls = _class(data["c"])
    if tag == "model":
        if not issubclass(cls, BaseModel):
            raise DecodeError(f"{data['c']} is not a model")
        return cls.model_validate(data["v"])
    if tag == "dc":
        if not dataclasses.is_dataclass(cls):
            raise DecodeError(f"{data['c']} is not a dataclass")
        factory: Any = cls
        return factory(**{k: _dec(v, inner) for k, v in data["v"].items()})
    if tag == "enum":
        if not issubclass(cls, enum.Enum):
            raise DecodeError(f"{data['c']} is not an enum")
        return cls(data["v"])
    raise DecodeError(f"unknown tag {tag!r}")


def encode(value: Any) -> bytes:
    """JSON bytes for `value`; raises Unencodable for values that must stay in memory."""
    return orjson.dumps(_enc(value))


def decode(raw: bytes) -> Any:
    """The value `encode` wrote; DecodeError (naming only the kind of problem) for anything else."""
    try:
        return _dec(orjson.loads(raw))
    except DecodeError:
        raise
    except Exception as exc:  # JSON, fields, hashing: "not ours" (the type only: messages may hold data)
        raise DecodeError(type(exc).__name__) from exc
