import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import type { FieldError } from './problem.js';
import { ProblemException } from './problem-exception.js';

/** Every issue of a zod error as a field error; unknown keys become one error per key. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: path.join('.') || '(body)', message: issue.message }];
  });
}

/** Validates and converts a request part with a zod schema; strict object schemas reject unknown fields. */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.infer<Schema>> {
  constructor(private readonly schema: Schema) {}

  transform(value: unknown): z.infer<Schema> {
    const result = this.schema.safeParse(value);
    if (!result.success) throw ProblemException.validation(fieldErrors(result.error));
    return result.data;
  }
}
