"""The channel layer for production: Redis pub/sub with a batched fan-out.

``RedisPubSubChannelLayer`` publishes one message per ``group_send``, each awaiting its own
round trip to Redis under a per-connection lock: a notification to 1000 people is 1000
sequential round trips before the last doorbell rings.  ``group_send_many`` sends the same
messages as ONE pipelined burst per Redis shard (one round trip), which is what lets a
fan-out to 1000 sockets stay within a small multiple of the raw Redis floor (bench/).

Built on channels-redis 4.3 internals (``_get_layer``, ``_get_shard``, the shard's lock and
client), pinned in constraints.txt; the two-process test and the PostgreSQL + Redis suite
exercise it.  Other layers (in-memory in tests) fall back to one ``group_send`` each.
"""

from __future__ import annotations

from typing import Any

from channels_redis.pubsub import RedisPubSubChannelLayer


class RedisPubSubBatchChannelLayer(RedisPubSubChannelLayer):
    async def group_send_many(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Publish ``(group, message)`` pairs, pipelined per shard, in order."""
        loop_layer = self._get_layer()
        by_shard: dict[Any, list[tuple[str, bytes]]] = {}
        for group, message in messages:
            channel = loop_layer._get_group_channel_name(group)
            shard = loop_layer._get_shard(channel)
            by_shard.setdefault(shard, []).append((channel, self.serialize(message)))
        for shard, items in by_shard.items():
            async with shard._lock:
                shard._ensure_redis()
                pipe = shard._redis.pipeline(transaction=False)
                for channel, data in items:
                    pipe.publish(channel, data)
                await pipe.execute()


async def group_send_many(layer: Any, messages: list[tuple[str, dict[str, Any]]]) -> None:
    """Send through the layer's batch path when it has one, else one ``group_send`` each."""
    batch = getattr(type(layer), "group_send_many", None)
    if batch is not None:
        await batch(layer, messages)
        return
    for group, message in messages:
        await layer.group_send(group, message)
