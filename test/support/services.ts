import { createConnection } from 'node:net';
import { randomBytes } from 'node:crypto';

/** Where the real services live in tests; override with TEST_* variables. */
export const serviceUrls = {
  postgres: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  rabbitmq: process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

export type ServiceName = keyof typeof serviceUrls;

const answers = new Map<ServiceName, Promise<boolean>>();

/** Whether something accepts TCP connections at the URL's address; a loaded machine gets three tries. */
async function portAnswers(url: string): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await connects(url)) return true;
  }
  return false;
}

function connects(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.setTimeout(3_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Should the suites for this real service run? Yes when it answers. When it does not: with
 * ORDO_TEST_REAL=1 (CI) that is a failure, otherwise those suites are skipped with the reason.
 * Returns the `skip` option for node:test's `describe`.
 */
export async function requireService(name: ServiceName): Promise<false | string> {
  let answer = answers.get(name);
  if (!answer) {
    answer = portAnswers(serviceUrls[name]);
    answers.set(name, answer);
  }
  if (await answer) return false;
  if (process.env.ORDO_TEST_REAL === '1') {
    throw new Error(`ORDO_TEST_REAL=1 but ${name} does not answer at ${serviceUrls[name]}`);
  }
  return `${name} is not reachable at ${serviceUrls[name]}`;
}

/** A short random name part, so parallel test files never share databases, queues or keys. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
}
