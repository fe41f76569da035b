// Usage: node scripts/amqp-check.mjs <amqp-url> <timeoutMs>
// Exits 0 as soon as the broker completes an AMQP handshake, retrying until `timeoutMs` has passed;
// otherwise prints one line saying why and exits 1. CI runs it before the tests (is the broker up?)
// and after them (is it still answering?).
import { setTimeout as sleep } from 'node:timers/promises';
import { amqpHandshake, brokerAddress, tcpAccepts } from './amqp-handshake.mjs';

const [url, timeoutArgument] = process.argv.slice(2);
const timeoutMs = Number(timeoutArgument);
if (!url || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
  console.error('usage: node scripts/amqp-check.mjs <amqp-url> <timeoutMs>');
  process.exit(2);
}

const deadline = Date.now() + timeoutMs;
let lastError;
while (Date.now() < deadline) {
  try {
    await amqpHandshake(url, Math.max(deadline - Date.now(), 1));
    process.exit(0);
  } catch (error) {
    lastError = error;
    // Refused while the node boots: try again shortly.
    await sleep(Math.min(500, Math.max(deadline - Date.now(), 0)));
  }
}
const tcp = (await tcpAccepts(url, 1_000)) ? 'TCP accepts' : 'TCP does not accept either';
console.error(
  `RabbitMQ at ${brokerAddress(url)} did not answer the AMQP handshake within ${timeoutMs / 1000} s ` +
    `(${tcp}; last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`,
);
process.exit(1);
