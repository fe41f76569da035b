import { z } from 'zod';
import type { ClientEvent, ServerEvent } from './realtime-events.js';
import { REALTIME_NAMESPACE } from './realtime-publisher.js';

/** Where the page lives in the repository. */
export const REALTIME_DOC_PATH = 'docs/REALTIME.md';

interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/**
 * docs/REALTIME.md, generated from the event schemas of realtime-events.ts: the socket contract a
 * client team reads, which cannot drift from the code (a test compares the committed page to this).
 */
/** The page for these events (src/socket-events.ts has them all). */
export function realtimeEventsMarkdown(events: {
  server: Record<string, ServerEvent>;
  client: Record<string, ClientEvent>;
}): string {
  const lines = [
    '# Realtime events',
    '',
    '<!-- Generated from src/modules/realtime/realtime-events.ts by `npm run docs:realtime`. Do not edit. -->',
    '',
    `Socket.IO, namespace \`${REALTIME_NAMESPACE}\` on the API's origin. Connect with an access token:`,
    "`io('<origin>/realtime', { auth: { token: '<access_token>' } })`; without a valid one the connection is",
    'refused. Each socket joins its own rooms (`user:<id>`; `tenant:<code>` for staff, `driver:<userId>` for',
    "drivers, `ops` for admins) and an order's room with `order.watch`. Delivery is at most once per connection:",
    're-read over HTTP after reconnecting, and drop repeats by `eventId`.',
    '',
    '## Server → client',
  ];
  for (const [name, event] of Object.entries(events.server)) {
    lines.push('', `### \`${name}\``, '', event.when, '', `Rooms: ${event.rooms}.`, '', ...describe(event.payload));
  }
  lines.push('', '## Client → server');
  for (const [name, event] of Object.entries(events.client)) {
    lines.push('', `### \`${name}\``, '', event.what, '', `Who: ${event.who}.`, '', ...describe(event.payload));
    if (event.ack) lines.push('', 'Acknowledged with:', '', ...describe(event.ack));
  }
  return `${lines.join('\n')}\n`;
}

function describe(schema: z.ZodType): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const variants = json.anyOf ?? json.oneOf;
  if (!variants) return table(json);
  return variants.flatMap((variant, index) => [
    ...(index > 0 ? [''] : []),
    `One of (${index + 1}/${variants.length}):`,
    '',
    ...table(variant),
  ]);
}

function table(schema: JsonSchema): string[] {
  return ['| field | type | required | description |', '| --- | --- | --- | --- |', ...rows(schema, '')];
}

function rows(schema: JsonSchema, prefix: string): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, field]) => {
    const path = `${prefix}${name}`;
    const required = schema.required?.includes(name) ? 'yes' : 'no';
    const own = `| \`${path}\` | ${typeOf(field)} | ${required} | ${field.description ?? ''} |`;
    const object = objectOf(field);
    const array = field.type === 'array' && field.items ? objectOf(field.items) : undefined;
    if (object) return [own, ...rows(object, `${path}.`)];
    if (array) return [own, ...rows(array, `${path}[].`)];
    return [own];
  });
}

/** The object inside a field, nullable or not, whose fields get rows of their own. */
function objectOf(field: JsonSchema): JsonSchema | undefined {
  if (field.properties) return field;
  return (field.anyOf ?? []).find((variant) => variant.properties);
}

function typeOf(field: JsonSchema): string {
  if (field.const !== undefined) return `\`${JSON.stringify(field.const)}\``;
  if (field.enum) return field.enum.map((value) => `\`${JSON.stringify(value)}\``).join(' \\| ');
  const variants = field.anyOf ?? field.oneOf;
  if (variants) return variants.map(typeOf).join(' or ');
  if (field.type === 'array') return `array of ${field.items ? typeOf(field.items) : 'any'}`;
  if (!field.type) return 'any';
  const type = Array.isArray(field.type) ? field.type.join(' or ') : field.type;
  return field.format ? `${type} (${field.format})` : type;
}
