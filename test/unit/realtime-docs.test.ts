import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { projectPath } from '../../src/common/project-path.js';
import { REALTIME_DOC_PATH, realtimeEventsMarkdown } from '../../src/modules/realtime/realtime-docs.js';
import { SOCKET_EVENTS } from '../../src/socket-events.js';

describe('docs/REALTIME.md, the socket contract', () => {
  it('is what the event schemas generate (run `npm run docs:realtime` after changing them)', () => {
    assert.equal(readFileSync(projectPath(REALTIME_DOC_PATH), 'utf8'), realtimeEventsMarkdown(SOCKET_EVENTS));
  });

  it('documents every event with its payload fields', () => {
    const page = realtimeEventsMarkdown(SOCKET_EVENTS);
    for (const name of [...Object.keys(SOCKET_EVENTS.server), ...Object.keys(SOCKET_EVENTS.client)]) {
      assert.ok(page.includes(`### \`${name}\``), `${name} is missing`);
    }
    // Fields of the nested checkout an order.status carries, and of each fix of a driver.location batch.
    for (const field of ['`payment.checkoutUrl`', '`positions[].lat`', '`eventId`']) {
      assert.ok(page.includes(field), `${field} is missing`);
    }
  });
});
