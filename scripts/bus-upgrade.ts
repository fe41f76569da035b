// `npm run bus:upgrade`: moves a RabbitMQ namespace from the older topology (a delay queue and a .dlq
// per consumer) to the current one (shared delay queues, one dead-letter queue), losing no message.
// Stop every process of the older version first; see docs/ARCHITECTURE.md, "Upgrading the RabbitMQ topology".
//   BUS_LEGACY_RETRY_DELAYS_MS=1000,5000,...  the tiers the older version ran with, if not BUS_RETRY_DELAYS_MS
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import '../src/app.module.js'; // every feature module, so every @Consumer is known
import { loadEnv } from '../src/config/load-env.js';
import { declaredConsumers } from '../src/infra/bus/consumer.js';
import { upgradeRabbitTopology } from '../src/infra/bus/rabbit-upgrade.js';

loadDotenv({ quiet: true });
const env = loadEnv();
if (!env.RABBITMQ_URL) {
  console.log('RABBITMQ_URL is not set: the table bus has nothing to upgrade');
  process.exit(0);
}
const legacyDelays = process.env.BUS_LEGACY_RETRY_DELAYS_MS?.split(',').map((part) => Number(part.trim()));
if (legacyDelays?.some((delay) => !Number.isInteger(delay) || delay <= 0)) {
  console.error('BUS_LEGACY_RETRY_DELAYS_MS: a comma-separated list of positive whole milliseconds');
  process.exit(1);
}
const report = await upgradeRabbitTopology({
  url: env.RABBITMQ_URL,
  namespace: env.BUS_NAMESPACE,
  retryDelaysMs: env.BUS_RETRY_DELAYS_MS,
  legacyRetryDelaysMs: legacyDelays,
  subscriptions: declaredConsumers().map(({ name, events }) => ({
    consumer: name,
    eventTypes: events.map((event) => event.type),
  })),
  log: pino({ level: 'warn' }),
});
for (const { consumer, messages, deadLetters } of report.upgraded) {
  console.log(
    `${env.BUS_NAMESPACE}.${consumer}: rebuilt, ${messages} message(s) and ${deadLetters} dead letter(s) carried over`,
  );
}
console.log(
  `namespace ${env.BUS_NAMESPACE}: ${report.upgraded.length} consumer(s) upgraded, ${report.current.length} already current`,
);
