// Is a RabbitMQ broker really answering? A wedged broker still accepts TCP connections but never
// completes the AMQP handshake, so a port check says "up" while every test hangs. These helpers open
// (and close) a real AMQP connection instead. Used by scripts/amqp-check.mjs and the test runner.
import { createConnection } from 'node:net';
import { connect } from 'amqplib';

/** The URL without its credentials, for messages. */
export function brokerAddress(url) {
  const { protocol, hostname, port } = new URL(url);
  return `${protocol}//${hostname}:${port || 5672}`;
}

/** Resolves once a full AMQP handshake succeeded (the connection is closed again); rejects after `timeoutMs`. */
export async function amqpHandshake(url, timeoutMs) {
  // amqplib's `timeout` is an idle timeout that lasts until the handshake ends; the outer deadline
  // also bounds a broker that answers slowly, a frame at a time.
  const connecting = connect(url, { timeout: timeoutMs });
  let timer;
  const deadline = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const connection = await Promise.race([connecting, deadline]);
    await connection.close().catch(() => undefined);
  } catch (error) {
    // A connection that completes after the deadline is closed as soon as it does.
    connecting.then((late) => late.close().catch(() => undefined)).catch(() => undefined);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the URL's port accepts a TCP connection within `timeoutMs` (to tell "wedged" from "down"). */
export function tcpAccepts(url, timeoutMs) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 5672) });
    socket.setTimeout(timeoutMs);
    const done = (accepted) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
