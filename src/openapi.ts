import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { componentSchemas } from './common/http/openapi.js';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Ordo')
    .setDescription(
      'Ordering and dispatch backend. Errors are RFC 9457 application/problem+json (the `Problem` schema). ' +
        'Realtime updates (Socket.IO, namespace /realtime) are described in docs/REALTIME.md.',
    )
    .setVersion('0.1.0')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    // Relative: the paths are served from the origin that serves this document (PUBLIC_URL in a deployment).
    .addServer('/', 'The Ordo instance serving this document')
    .addBearerAuth()
    .build();
  config.info.contact = { name: 'Ordo maintainers', url: 'https://ordo.dev' };
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...componentSchemas() } };
  markPublicOperations(document);
  return document;
}

/**
 * `security: []` on the operations `@Public()` marks (`x-auth: none`): without it an operation says
 * nothing about its auth, and a client generator cannot tell "no token" from "not documented".
 */
function markPublicOperations(document: OpenAPIObject): void {
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const) {
      const operation = path[method];
      if (operation && 'x-auth' in operation && operation['x-auth'] === 'none') operation.security = [];
    }
  }
}

/** Swagger UI at /api/docs, the JSON document at /api/docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('api/docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'api/docs-json' });
}
