import type { Redis } from 'ioredis';

/** Whether Redis answers right now (after the first connection attempt has settled). */
export async function redisAnswers(redis: Redis, firstConnect: Promise<unknown>): Promise<boolean> {
  await firstConnect;
  try {
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  }
}

/** Quits politely when connected (in-flight replies still arrive), else drops the connection at once. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // fall through: the connection died while quitting
    }
  }
  redis.disconnect(); // also stops the reconnect loop, so a down Redis cannot hang shutdown
}

/**
 * Resolves once the first connection attempt has settled (ready, failed or ended), but after
 * `maxWaitMs` at the latest. Without an offline queue, calls made while the connection is still
 * opening would all fail; they await this first instead.
 */
export function settleFirstConnect(redis: Redis, maxWaitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      for (const event of ['ready', 'error', 'end'] as const) redis.off(event, settle);
      resolve();
    };
    const timer = setTimeout(settle, maxWaitMs);
    timer.unref();
    for (const event of ['ready', 'error', 'end'] as const) redis.once(event, settle);
  });
}
