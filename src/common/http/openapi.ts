import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiQuery,
  ApiResponse,
  type ApiBodyOptions,
} from '@nestjs/swagger';
import { z } from 'zod';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** OpenAPI's schema object as @nestjs/swagger types it (the package does not export the type itself). */
export type SchemaObject = NonNullable<Extract<ApiBodyOptions, { schema?: unknown }>['schema']>;

const COMPONENTS = '#/components/schemas/';

/**
 * The named schemas met so far: every zod schema registered with an id (`.meta({ id: 'Order' })`) is
 * written once under `components.schemas` and referenced from each operation, so a generated client has
 * an `Order` type and the document stays small. Filled as the controllers' decorators run (at import),
 * read by `buildOpenApiDocument`.
 */
const namedSchemas = new Map<string, SchemaObject>();

export function componentSchemas(): Record<string, SchemaObject> {
  return Object.fromEntries([...namedSchemas].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The OpenAPI form of a zod schema, so the docs and the validation come from one definition.
 * Schemas with an id become references to named components; as input, one that reads differently
 * (a default makes a field optional, a transform changes its type) is named `<id>Input`.
 */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject {
  const { definitions = {}, ...json } = toOpenApi(schema, io);
  const names = new Map(Object.keys(definitions).map((id) => [id, id]));
  if (io === 'input') {
    const { definitions: asOutput = {} } = toOpenApi(schema, 'output');
    for (const [id, definition] of Object.entries(definitions)) {
      if (!sameJson(definition, asOutput[id])) names.set(id, `${id}Input`);
    }
  }
  for (const [id, definition] of Object.entries(definitions)) {
    name(names.get(id)!, typeNullableReferences(pointAtComponents(definition, names)));
  }
  return typeNullableReferences(pointAtComponents(json, names));
}

type JsonSchema = SchemaObject & { definitions?: Record<string, SchemaObject> };

function toOpenApi(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' });
  return json as JsonSchema;
}

function name(id: string, schema: SchemaObject): void {
  const known = namedSchemas.get(id);
  // Two different schemas under one name would make the generated client lie about one of them.
  if (known && !sameJson(known, schema)) throw new Error(`Two different OpenAPI schemas are named ${id}`);
  namedSchemas.set(id, schema);
}

/** Rewrites zod's `#/definitions/<id>` references to the component each id is named. */
function pointAtComponents<T>(value: T, names: Map<string, string>): T {
  if (Array.isArray(value)) return value.map((item: unknown) => pointAtComponents(item, names)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      if (key === '$ref' && typeof item === 'string' && item.startsWith('#/definitions/')) {
        const id = item.slice('#/definitions/'.length);
        return [key, `${COMPONENTS}${names.get(id) ?? id}`];
      }
      return [key, pointAtComponents(item, names)];
    }),
  ) as T;
}

/**
 * zod writes a nullable named schema as `{ nullable: true, allOf: [{ $ref }] }`; OpenAPI 3.0 ignores
 * `nullable` without a `type` beside it. Every named schema is an object, so that is the type.
 */
function typeNullableReferences<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => typeNullableReferences(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const node = Object.fromEntries(Object.entries(value).map(([key, item]) => [key, typeNullableReferences(item)]));
  return (
    node.nullable === true && node.type === undefined && Array.isArray(node.allOf) ? { type: 'object', ...node } : node
  ) as T;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** RFC 9457 problem details, the body of every error response (`application/problem+json`). */
const problem = z
  .looseObject({
    type: z.string().describe('A URI naming the kind of problem'),
    title: z.string().describe('A short summary of the kind of problem'),
    status: z.number().int().describe('The HTTP status'),
    detail: z.string().optional().describe('What went wrong this time'),
    instance: z.string().optional(),
    errors: z
      .array(
        z.object({
          field: z.string().describe('A dotted path into the body, query or params'),
          message: z.string(),
        }),
      )
      .optional()
      .describe('One entry per invalid field'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const problemSchema: SchemaObject = openApiSchema(problem);

/** Documents a JSON body validated by `ZodValidationPipe` with the same schema. */
export const ApiJsonBody = (schema: z.ZodType) =>
  applyDecorators(
    ApiBody({ schema: openApiSchema(schema, 'input') }),
    ApiBadRequestResponse({
      description: 'Invalid body',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
    }),
  );

/** Documents each query parameter of a zod object schema. */
export const ApiZodQuery = (schema: z.ZodObject) =>
  applyDecorators(
    ...Object.entries(schema.shape).map(([name, field]) =>
      ApiQuery({
        name,
        required: !(field as z.ZodType).safeParse(undefined).success,
        schema: openApiSchema(field as z.ZodType, 'input'),
      }),
    ),
  );

export const ApiJsonOk = (schema: z.ZodType, description = 'OK') =>
  ApiOkResponse({ description, schema: openApiSchema(schema) });

/** Documents an error status answered with problem+json. */
export const ApiProblem = (status: number, description: string) =>
  ApiResponse({ status, description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } });
