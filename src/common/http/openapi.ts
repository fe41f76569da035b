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

/** The OpenAPI form of a zod schema, so the docs and the validation come from one definition. */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' });
  return json as SchemaObject;
}

export const problemSchema: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

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
