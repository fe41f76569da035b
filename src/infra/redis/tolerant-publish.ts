import type { Redis } from 'ioredis';

/**
 * Makes a client's PUBLISH failures a report instead of an unhandled rejection. Socket.IO's Redis
 * emitter and adapter call `publish` without awaiting it; while Redis is away ioredis rejects those
 * promises, and one unhandled rejection is enough to end a Node process — every worker crash-looped
 * through a Redis outage that should only have paused realtime pushes. A push lost during an outage
 * stays lost (clients re-read on reconnect); the process keeps running and resumes when Redis does.
 */
export function tolerateFailedPublishes(redis: Redis, report: (error: unknown) => void): Redis {
  const publish = redis.publish.bind(redis);
  const tolerant = (channel: string | Buffer, message: string | Buffer): Promise<number> =>
    publish(channel, message).catch((error: unknown) => {
      report(error);
      return 0;
    });
  Object.assign(redis, { publish: tolerant });
  return redis;
}
