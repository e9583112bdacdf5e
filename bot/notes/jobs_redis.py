"""`RedisJobs`: the notes' durable queue in Redis (see `bot.notes.jobs` for what every backend guarantees).

Keys, all under the caller's `prefix` (e.g. "pendo-context:notes:<zendesk host>:"):

- `{prefix}job:<key>`   HASH, one per waiting or leased job: kind, ticket_id, first_seen, payload (JSON),
                        attempts, final, due, sid (its stream entry while in the stream, "" while in the
                        due set), owner and lease_until (the lease holder, by the caller's clock).
- `{prefix}jobs:due`    ZSET key -> due: jobs not in the stream yet (new, retried or released ones).
- `{prefix}jobs:stream` STREAM of {key}, consumer group "workers", one consumer per owner: the due jobs.
- `{prefix}jobs:seen`   ZSET key -> first_seen: every waiting or leased job (the limit, depth, oldest age).
- `{prefix}mark:<key>`  STRING with a TTL: a claim (an alert posted once) or a value kept a while (an NPS
                        comment), `mark`/`marked`/`unmark`.
- `{prefix}given_up`    HASH key -> JSON of a given-up job; `{prefix}given_up:at` ZSET key -> given_up_at
                        keeps the newest GIVEN_UP_KEPT.

Why Streams + a sorted set: a consumer group leases each entry to one consumer and lets another take over
a dead consumer's entries (XAUTOCLAIM); streams have no delayed delivery, which the sorted set provides.

Every change is one Lua script (atomic): `add` writes the job's hash and its due-set entry together (a
hash already there is the duplicate); `claim` moves the due jobs (score <= now) from the set into the
stream in due order, takes over an entry idle for longer than the lease (XAUTOCLAIM), else reads a new one
(XREADGROUP); done/retry/release/give_up XACK + XDEL the entry (retry and release put the job back into
the due set). Scripts compute the job hash's name from the prefix: one Redis, not a Cluster.

Lease expiry: XAUTOCLAIM's min-idle-time is `lease` seconds (in ms) measured by Redis's own clock since
the entry was last delivered, so a lease runs out `lease` seconds after the claim by the Redis clock, not
at the caller's `now + lease` (stored in the hash for information only). Every owner should claim with
the same lease: the claimer's lease is the one applied to the dead owner's entry.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import RedisError

from bot.notes.jobs import GIVEN_UP_KEPT, GivenUp, Job, QueueUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
GROUP = "workers"
PRUNE_EVERY = 600.0  # seconds between two sweeps of idle consumers (owners gone)
CONSUMER_IDLE_MS = 86_400_000  # a consumer with nothing pending, idle this long, is removed

_WRONGTYPE = "return redis.error_reply('WRONGTYPE ' .. KEYS[1] .. ' is not a job hash')"

# KEYS: job hash, seen, due, given_up, given_up:at; ARGV: key, limit, kind, ticket_id, first_seen,
# payload, attempts, final, due
ADD = f"""
local t = redis.call('TYPE', KEYS[1]).ok
if t == 'hash' then return 0 end
if t ~= 'none' then {_WRONGTYPE} end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], 'kind', ARGV[3], 'ticket_id', ARGV[4], 'first_seen', ARGV[5], 'payload',
  ARGV[6], 'attempts', ARGV[7], 'final', ARGV[8], 'due', ARGV[9], 'sid', '', 'owner', '', 'lease_until', '')
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[9], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
return 1
"""

# KEYS: stream, due, seen; ARGV: group, owner, now, lease (ms), job hash prefix, lease_until
# -> {key or '', the job hash's fields, keys dropped because their hash is not a hash}
CLAIM = """
local stream, duek, seen = KEYS[1], KEYS[2], KEYS[3]
local group, owner, prefix = ARGV[1], ARGV[2], ARGV[5]
local made = redis.pcall('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
if type(made) == 'table' and made.err and not string.find(made.err, 'BUSYGROUP') then return made end
local bad = {}
local function gone(k, t)
  redis.call('ZREM', seen, k)
  if t ~= 'none' then table.insert(bad, k) end
end
for _, k in ipairs(redis.call('ZRANGEBYSCORE', duek, '-inf', ARGV[3], 'LIMIT', 0, 100)) do
  local t = redis.call('TYPE', prefix .. k).ok
  if t == 'hash' then  -- into the stream first, out of the due set last: a failure leaves it findable
    redis.call('HSET', prefix .. k, 'sid', redis.call('XADD', stream, '*', 'key', k))
    redis.call('ZREM', duek, k)
  else
    redis.call('ZREM', duek, k)
    gone(k, t)
  end
end
local function take(entry)
  local id, k = entry[1], entry[2][2]
  local h = prefix .. k
  local t = redis.call('TYPE', h).ok
  if t == 'hash' and redis.call('HGET', h, 'sid') == id then
    redis.call('HSET', h, 'owner', owner, 'lease_until', ARGV[6])
    return {k, redis.call('HGETALL', h), bad}
  end
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  if t ~= 'hash' then gone(k, t) end
  return nil
end
local cursor = '0-0'
for _ = 1, 100 do
  local r = redis.call('XAUTOCLAIM', stream, group, owner, ARGV[4], cursor, 'COUNT', 1)
  cursor = r[1]
  for _, entry in ipairs(r[2]) do
    if entry then
      local got = take(entry)
      if got then return got end
    end
  end
  if cursor == '0-0' then break end
end
for _ = 1, 100 do
  local r = redis.call('XREADGROUP', 'GROUP', group, owner, 'COUNT', 1, 'STREAMS', stream, '>')
  if not r then break end
  local got = take(r[1][2][1])
  if got then return got end
end
return {'', {}, bad}
"""

# KEYS: stream, due, seen, given_up, given_up:at, job hash; ARGV: group, owner, mode, key, then by mode:
# retry: due, final; give_up: at, reason, kept
FINISH = """
local h = KEYS[6]
if redis.call('TYPE', h).ok ~= 'hash' then return 0 end
local sid = redis.call('HGET', h, 'sid')
if not sid or sid == '' or redis.call('HGET', h, 'owner') ~= ARGV[2] then return 0 end
local mode, k = ARGV[3], ARGV[4]
if mode == 'retry' or mode == 'release' then
  -- into the due set first, out of the stream last: a failure in between leaves it findable
  if mode == 'retry' then
    redis.call('HINCRBY', h, 'attempts', 1)
    redis.call('HSET', h, 'due', ARGV[5], 'final', ARGV[6])
  end
  redis.call('ZADD', KEYS[2], redis.call('HGET', h, 'due'), k)
  redis.call('HSET', h, 'sid', '', 'owner', '', 'lease_until', '')
  redis.call('XACK', KEYS[1], ARGV[1], sid)
  redis.call('XDEL', KEYS[1], sid)
  return 1
end
redis.call('XACK', KEYS[1], ARGV[1], sid)
redis.call('XDEL', KEYS[1], sid)
if mode == 'give_up' then
  -- the payload (the requester's email) is not kept: a retried job reads the ticket instead
  local f = redis.call('HMGET', h, 'kind', 'ticket_id', 'first_seen', 'attempts')
  redis.call('HSET', KEYS[4], k, cjson.encode({kind = f[1], ticket_id = f[2], first_seen = f[3],
    payload = '{}', attempts = f[4], given_up_at = ARGV[5], reason = ARGV[6]}))
  redis.call('ZADD', KEYS[5], ARGV[5], k)
  local over = redis.call('ZCARD', KEYS[5]) - tonumber(ARGV[7])
  if over > 0 then
    local old = redis.call('ZPOPMIN', KEYS[5], over)
    for i = 1, #old, 2 do redis.call('HDEL', KEYS[4], old[i]) end
  end
end
redis.call('DEL', h)
redis.call('ZREM', KEYS[3], k)
return 1
"""

# KEYS: seen, due, given_up, given_up:at; ARGV: job hash prefix, now, key ('' for all)
REVIVE = """
local keys = ARGV[3] ~= '' and {ARGV[3]} or redis.call('HKEYS', KEYS[3])
local n = 0
for _, k in ipairs(keys) do
  local raw = redis.call('HGET', KEYS[3], k)
  if raw then
    local g = cjson.decode(raw)
    local h = ARGV[1] .. k
    if redis.call('EXISTS', h) == 0 then
      redis.call('HSET', h, 'kind', g.kind, 'ticket_id', g.ticket_id, 'first_seen', ARGV[2], 'payload',
        g.payload, 'attempts', '0', 'final', '0', 'due', ARGV[2], 'sid', '', 'owner', '', 'lease_until', '')
      redis.call('ZADD', KEYS[1], ARGV[2], k)
      redis.call('ZADD', KEYS[2], ARGV[2], k)
      n = n + 1
    end
    redis.call('HDEL', KEYS[3], k)
    redis.call('ZREM', KEYS[4], k)
  end
end
return n
"""


def _s(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _job(key: str, flat: list[Any]) -> Job:
    f = {_s(flat[i]): _s(flat[i + 1]) for i in range(0, len(flat), 2)}
    return Job(
        key=key,
        kind=f["kind"],
        ticket_id=int(f["ticket_id"]),
        first_seen=float(f["first_seen"]),
        payload=json.loads(f["payload"]),
        attempts=int(f["attempts"]),
        final=f["final"] == "1",
        due=float(f["due"]),
    )


class RedisJobs:
    """On a `redis.asyncio` client (the deployment's, decoded or not); every key under `prefix`."""

    where = "Redis"

    def __init__(self, client: Any, prefix: str, *, kept: int = GIVEN_UP_KEPT) -> None:
        self.client = client
        self.prefix = prefix
        self.kept = kept
        self.stream, self.due_set, self.seen = (f"{prefix}jobs:{k}" for k in ("stream", "due", "seen"))
        self.gave, self.gave_at = f"{prefix}given_up", f"{prefix}given_up:at"
        self.job_prefix = f"{prefix}job:"
        self._lua_add, self._lua_claim, self._lua_finish, self._lua_revive = (
            client.register_script(s) for s in (ADD, CLAIM, FINISH, REVIVE)
        )
        self._pruned = time.monotonic()

    async def _call(self, op: Callable[[], Awaitable[T]]) -> T:
        try:
            return await op()
        except (RedisError, OSError) as exc:  # down, timed out, or a key of the wrong type
            raise QueueUnavailable(f"Redis: {type(exc).__name__}: {exc}") from None

    async def mark(self, key: str, *, now: float, until: float, value: str = "1") -> bool:
        ms = max(1, round((until - now) * 1000))
        return bool(
            await self._call(lambda: self.client.set(f"{self.prefix}mark:{key}", value, nx=True, px=ms))
        )

    async def marked(self, key: str, *, now: float) -> str | None:
        found = await self._call(lambda: self.client.get(f"{self.prefix}mark:{key}"))
        return None if found is None else _s(found)

    async def unmark(self, key: str) -> None:
        await self._call(lambda: self.client.delete(f"{self.prefix}mark:{key}"))

    async def add(self, job: Job, *, limit: int) -> bool | None:
        keys = [self.job_prefix + job.key, self.seen, self.due_set, self.gave, self.gave_at]
        args = [job.key, limit, job.kind, job.ticket_id, repr(job.first_seen), json.dumps(job.payload)]
        args += [job.attempts, int(job.final), repr(job.due)]
        stored = int(await self._call(lambda: self._lua_add(keys=keys, args=args)))
        return None if stored < 0 else stored == 1

    async def claim(self, owner: str, *, now: float, lease: float) -> Job | None:
        keys = [self.stream, self.due_set, self.seen]
        args = [GROUP, owner, repr(now), max(1, round(lease * 1000)), self.job_prefix, repr(now + lease)]
        key, fields, bad = await self._call(lambda: self._lua_claim(keys=keys, args=args))
        for dropped in bad:
            log.warning(
                "notes queue: a job's Redis key is not a hash; the job is dropped", extra={"job": _s(dropped)}
            )
        if time.monotonic() - self._pruned > PRUNE_EVERY:
            with contextlib.suppress(QueueUnavailable):  # housekeeping: never costs the job just claimed
                await self._prune()
        return _job(_s(key), fields) if _s(key) else None

    async def _finish(self, job: Job, owner: str, mode: str, *more: Any) -> None:
        keys = [self.stream, self.due_set, self.seen, self.gave, self.gave_at, self.job_prefix + job.key]
        await self._call(lambda: self._lua_finish(keys=keys, args=[GROUP, owner, mode, job.key, *more]))

    async def done(self, job: Job, owner: str) -> None:
        await self._finish(job, owner, "done")

    async def retry(self, job: Job, owner: str, *, due: float, final: bool) -> None:
        await self._finish(job, owner, "retry", repr(due), int(final))

    async def release(self, job: Job, owner: str) -> None:
        await self._finish(job, owner, "release")

    async def give_up(self, job: Job, owner: str, *, reason: str, at: float) -> None:
        await self._finish(job, owner, "give_up", repr(at), reason, self.kept)

    async def waiting(self) -> list[Job]:
        async def read() -> list[Job]:
            keys = [_s(k) for k in await self.client.zrange(self.seen, 0, -1)]
            async with self.client.pipeline(transaction=False) as pipe:
                for k in keys:
                    pipe.hgetall(self.job_prefix + k)
                found = await pipe.execute(raise_on_error=False)
            jobs = []
            for k, fields in zip(keys, found, strict=True):
                if isinstance(fields, dict) and fields:  # gone meanwhile, or not a hash: skipped
                    jobs.append(_job(k, [x for kv in fields.items() for x in kv]))
            return sorted(jobs, key=lambda j: (j.due, j.key))

        return await self._call(read)

    async def given_up(self) -> list[GivenUp]:
        raw: dict[Any, Any] = await self._call(lambda: self.client.hgetall(self.gave))
        out = []
        for k, v in raw.items():
            g = json.loads(v)
            out.append(
                GivenUp(
                    key=_s(k),
                    kind=str(g["kind"]),
                    ticket_id=int(g["ticket_id"]),
                    first_seen=float(g["first_seen"]),
                    given_up_at=float(g["given_up_at"]),
                    attempts=int(g["attempts"]),
                    reason=str(g["reason"]),
                )
            )
        return sorted(out, key=lambda g: (g.given_up_at, g.key))

    async def depth(self, now: float) -> tuple[int, float]:
        async def read() -> tuple[int, float]:
            async with self.client.pipeline(transaction=True) as pipe:
                count, oldest = await pipe.zcard(self.seen).zrange(self.seen, 0, 0, withscores=True).execute()
            return int(count), max(0.0, now - float(oldest[0][1])) if oldest else 0.0

        return await self._call(read)

    async def revive(self, key: str | None, *, now: float) -> int:
        keys = [self.seen, self.due_set, self.gave, self.gave_at]
        args = [self.job_prefix, repr(now), key or ""]
        return int(await self._call(lambda: self._lua_revive(keys=keys, args=args)))

    async def _prune(self) -> None:
        """Remove the consumers of owners long gone (nothing pending, idle a day)."""
        self._pruned = time.monotonic()
        for c in await self._call(lambda: self.client.xinfo_consumers(self.stream, GROUP)):
            if int(c["pending"]) == 0 and int(c["idle"]) > CONSUMER_IDLE_MS:
                name = c["name"]
                await self._call(lambda: self.client.xgroup_delconsumer(self.stream, GROUP, name))  # noqa: B023

    async def aclose(self) -> None:
        """The client is the caller's: it stays open."""
        return None
