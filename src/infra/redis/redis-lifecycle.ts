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
