// Writes docs/REALTIME.md from the Socket.IO event schemas (src/socket-events.ts);
// test/unit/realtime-docs.test.ts fails when the committed page differs.
import { writeFileSync } from 'node:fs';
import { projectPath } from '../src/common/project-path.js';
import { REALTIME_DOC_PATH, realtimeEventsMarkdown } from '../src/modules/realtime/realtime-docs.js';
import { SOCKET_EVENTS } from '../src/socket-events.js';

writeFileSync(projectPath(REALTIME_DOC_PATH), realtimeEventsMarkdown(SOCKET_EVENTS));
console.log(`${REALTIME_DOC_PATH} written`);
