// Watches the broker during a test run. A wedged RabbitMQ (seen on the machine's node once too many
// quorum queues were alive) keeps accepting TCP but never answers AMQP again: every test then waits
// out its own timeouts and the run fails an hour later with hundreds of misleading errors. Instead,
// after a few consecutive handshakes without an answer, the run is stopped with one clear line.
import { setTimeout as sleep } from 'node:timers/promises';
import { amqpHandshake, brokerAddress, tcpAccepts } from './amqp-handshake.mjs';

const INTERVAL_MS = 5_000;
/** Generous: two cores running a full suite can slow a healthy handshake down to a second or two. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
const FAILURES_ALLOWED = 3;

/**
 * Starts checking the broker at `url` every few seconds; calls `onLost(line)` once, with the line to
 * print, after FAILURES_ALLOWED checks in a row failed (about 30–45 s without an answer).
 * `answeredAtStart` only changes the wording. Returns `stop()`.
 */
export function watchBroker(url, { answeredAtStart, onLost }) {
  let stopped = false;
  void (async () => {
    let failures = 0;
    let failingSince;
    while (!stopped) {
      const started = Date.now();
      try {
        await amqpHandshake(url, HANDSHAKE_TIMEOUT_MS);
        failures = 0;
        failingSince = undefined;
      } catch {
        failures += 1;
        failingSince ??= started;
      }
      if (stopped) return;
      if (failures >= FAILURES_ALLOWED) {
        onLost(await lostLine(url, Date.now() - failingSince, answeredAtStart));
        return;
      }
      await sleep(INTERVAL_MS, undefined, { ref: false });
    }
  })();
  return () => {
    stopped = true;
  };
}

async function lostLine(url, forMs, answeredAtStart) {
  const seconds = Math.round(forMs / 1000);
  const problem = (await tcpAccepts(url, 2_000))
    ? `${answeredAtStart ? 'stopped answering' : 'has not answered'} the AMQP handshake for ${seconds} s (TCP accepts) — the broker is wedged`
    : `${answeredAtStart ? 'stopped accepting' : 'has not accepted'} connections for ${seconds} s — the broker is down`;
  return `RabbitMQ at ${brokerAddress(url)} ${problem}; stopping the run (this is not a test failure)`;
}
