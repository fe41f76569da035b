import { HttpException } from '@nestjs/common';
import { problem, type FieldError, type Problem } from './problem.js';

/** An HTTP error whose body is already a problem document; the filter sends it as is. */
export class ProblemException extends HttpException {
  constructor(readonly problem: Problem) {
    super(problem, problem.status);
  }

  static validation(
    errors: FieldError[],
    detail = 'The request is invalid; see errors for each field.',
  ): ProblemException {
    return new ProblemException(problem(400, detail, { errors }));
  }
}
