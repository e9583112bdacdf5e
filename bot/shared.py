"""What several HTTP instances share through Redis (REDIS_URL), and how an outage degrades.

`RedisLink` is the one connection the caches, the de-duplication marks and the rate budgets use. Every
Redis call goes through `RedisLink.run`: when Redis fails (down, slow, refused), the call answers
`MISSING`, the link stays "down" for a few seconds, and callers fall back to this instance's memory. The
first failure logs one warning (never the URL: it may carry a password); the recovery logs another line.

`encode`/`decode` turn cached values into JSON (orjson) and back, so nothing is unpickled from Redis:
plain data, tuples, sets, dicts with any hashable keys, and the bot's own pydantic models and
dataclasses, whose classes must live in the `bot` package. A value they cannot encode stays in memory.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import orjson
from pydantic import BaseModel

from bot import metrics

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
KEY_PREFIX = "pendo-bot:"


class RedisLink:
    """An optional asyncio Redis client with a circuit breaker: down for `retry_after` s after a failure."""

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
        self._retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0
        self._down = False

    @property
    def configured(self) -> bool:
        return self.client is not None

    @property
    def available(self) -> bool:
        return self.client is not None and self._clock() >= self._down_until

    def key(self, kind: str, raw: object) -> str:
        """A Redis key for `raw` (any value with a stable repr): hashed, so no email or id appears in it."""
        digest = hashlib.blake2b(repr(raw).encode(), digest_size=16).hexdigest()
        return f"{self.prefix}{kind}:{digest}"

    async def run(self, op: Callable[[Any], Awaitable[T]]) -> T | _Missing:
        """`await op(client)`, or MISSING when Redis is not configured, marked down, or fails now."""
        if not self.available:
            if self.client is not None:
                metrics.REDIS_FALLBACKS.inc()
            return MISSING
        try:
            result = await op(self.client)
        except Exception as exc:  # redis.RedisError, OSError, timeouts: all mean "use memory for now"
            metrics.REDIS_FALLBACKS.inc()
            self._down_until = self._clock() + self._retry_after
            if not self._down:
                self._down = True
                log.warning(
                    "Redis is unavailable: this instance uses its own memory until it is back "
                    "(caches, duplicate checks and rate budgets are per instance meanwhile)",
                    extra={"error": type(exc).__name__},
                )
            return MISSING
        if self._down:
            self._down = False
            log.warning("Redis is back: caches, duplicate checks and rate budgets are shared again")
        return result

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()


# --- values <-> JSON -----------------------------------------------------------------------------------
class Unencodable(TypeError):
    """The value holds something the codec does not carry; it is kept in memory only."""


def _enc(value: Any) -> Any:
    if isinstance(value, enum.Enum) and type(value).__module__.startswith("bot."):
        return {"~": "enum", "c": f"{type(value).__module__}:{type(value).__qualname__}", "v": value.value}
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
    if not cls.__module__.startswith("bot."):
        raise Unencodable(f"{cls.__module__}.{cls.__qualname__}")
    name = f"{cls.__module__}:{cls.__qualname__}"
    if isinstance(value, BaseModel):
        return {"~": "model", "c": name, "v": value.model_dump(mode="json", by_alias=True)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _enc(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"~": "dc", "c": name, "v": fields}
    raise Unencodable(name)


def _class(name: str) -> Any:
    module, _, qualname = name.partition(":")
    if not module.startswith("bot."):
        raise ValueError(f"refusing to load {name} from Redis")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _dec(data: Any) -> Any:
    if isinstance(data, list):
        return [_dec(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data.get("~")
    if tag == "tuple":
        return tuple(_dec(v) for v in data["v"])
    if tag == "set":
        return frozenset(_hashable(_dec(v)) for v in data["v"])
    if tag == "dict":
        return {_hashable(_dec(k)): _dec(v) for k, v in data["v"]}
    cls = _class(data["c"])
    if tag == "model":
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)):
            raise ValueError(f"{data['c']} is not a model")
        return cls.model_validate(data["v"])
    if tag == "dc":
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise ValueError(f"{data['c']} is not a dataclass")
        factory: Any = cls
        return factory(**{k: _dec(v) for k, v in data["v"].items()})
    if tag == "enum":
        return cls(data["v"])
    raise ValueError(f"unknown tag {tag!r}")


def encode(value: Any) -> bytes:
    """JSON bytes for `value`; raises Unencodable for values that must stay in memory."""
    return orjson.dumps(_enc(value))


def decode(raw: bytes) -> Any:
    return _dec(orjson.loads(raw))
