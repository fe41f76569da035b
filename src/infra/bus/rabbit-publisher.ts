import type { ConfirmChannel, Message, Options } from 'amqplib';
import type { Envelope } from './envelope.js';

export interface OutgoingMessage {
  exchange: string;
  routingKey: string;
  content: Buffer;
  properties: Options.Publish;
}

/** AMQP properties of an envelope: persistent, JSON, and the ids operators and tracing look for. */
export function envelopeMessage(
  exchange: string,
  routingKey: string,
  envelope: Envelope,
  headers: Record<string, string> = {},
): OutgoingMessage {
  return {
    exchange,
    routingKey,
    content: Buffer.from(JSON.stringify(envelope)),
    properties: {
      persistent: true,
      contentType: 'application/json',
      messageId: envelope.id,
      type: envelope.type,
      timestamp: Math.floor(Date.now() / 1000),
      headers: envelope.traceparent ? { traceparent: envelope.traceparent, ...headers } : headers,
    },
  };
}

/**
 * Publishes on one confirm channel of the live connection. Every publish settles: acked → resolves;
 * nacked, returned (mandatory and unroutable), channel closed, or no confirm within `timeoutMs` → rejects.
 */
export class RabbitPublisher {
  /** Mandatory messages the broker could not route; their confirm follows the return frame. */
  private readonly returned = new Set<string>();

  constructor(
    readonly channel: ConfirmChannel,
    private readonly timeoutMs: number,
  ) {
    channel.on('return', (message: Message) =>
      this.returned.add(returnKey(message.fields.routingKey, message.properties.messageId)),
    );
  }

  async publish(messages: OutgoingMessage[], options: { mandatory?: boolean } = {}): Promise<void> {
    const confirms = messages.map((message) => this.publishOne(message, options.mandatory ?? false));
    await withTimeout(Promise.all(confirms), this.timeoutMs, 'RabbitMQ publisher confirms');
  }

  private publishOne(
    { exchange, routingKey, content, properties }: OutgoingMessage,
    mandatory: boolean,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      // Throws at once when the channel is already closed; the executor turns that into a rejection.
      this.channel.publish(exchange, routingKey, content, { ...properties, mandatory }, (error: unknown) => {
        const key = returnKey(routingKey, properties.messageId);
        if (error)
          reject(error instanceof Error ? error : new Error(`RabbitMQ nacked message ${properties.messageId}`));
        else if (mandatory && this.returned.delete(key))
          reject(new Error(`No queue takes routing key "${routingKey}"`));
        else resolve();
      });
    });
  }
}

function returnKey(routingKey: string, messageId: unknown): string {
  return `${routingKey}\n${String(messageId)}`;
}

/** Rejects after `ms` instead of waiting forever on a broker that stopped answering. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
