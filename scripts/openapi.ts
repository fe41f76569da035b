// Writes openapi.json from the running route table, so the committed document cannot drift
// from the code (CI regenerates it and fails on a diff).
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { pino } from 'pino';
import { startOrdo } from '../src/bootstrap.js';
import { projectPath } from '../src/common/project-path.js';
import { loadEnv } from '../src/config/load-env.js';
import { buildOpenApiDocument } from '../src/openapi.js';

const env = loadEnv({ MODE: 'api', PORT: '0', HOST: '127.0.0.1', DATA_DIR: ':memory:', NODE_ENV: 'test' });
const ordo = await startOrdo(env, { logger: pino({ level: 'warn' }) });
try {
  const document = buildOpenApiDocument(ordo.app as INestApplication);
  writeFileSync(projectPath('openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
  console.log(`openapi.json: ${Object.keys(document.paths).length} paths`);
} finally {
  await ordo.close();
}
