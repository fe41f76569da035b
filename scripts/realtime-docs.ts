// Writes docs/REALTIME.md from the Socket.IO event schemas (src/modules/realtime/realtime-events.ts);
// test/unit/realtime-docs.test.ts fails when the committed page differs.
import { writeFileSync } from 'node:fs';
import { projectPath } from '../src/common/project-path.js';
import { REALTIME_DOC_PATH, realtimeEventsMarkdown } from '../src/modules/realtime/realtime-docs.js';

writeFileSync(projectPath(REALTIME_DOC_PATH), realtimeEventsMarkdown());
console.log(`${REALTIME_DOC_PATH} written`);
