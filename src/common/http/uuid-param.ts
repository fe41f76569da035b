import { applyDecorators, ParseUUIDPipe } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { ApiProblem } from './openapi.js';
import { ProblemException } from './problem-exception.js';

/** Parses the `:id` path parameter as a UUID; anything else is a 400 problem naming the field. */
export const uuidParam = (field = 'id') =>
  new ParseUUIDPipe({
    exceptionFactory: () => ProblemException.validation([{ field, message: 'must be a UUID' }]),
  });

/** Documents the `:id` path parameter and its 400. */
export const ApiUuidParam = (name = 'id') =>
  applyDecorators(
    ApiParam({ name, schema: { type: 'string', format: 'uuid' } }),
    ApiProblem(400, `${name} is not a UUID, or the body or query is invalid`),
  );
