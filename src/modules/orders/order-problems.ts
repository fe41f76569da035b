import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import type { IllegalTransition } from './order-process.js';

/** Unknown, or someone else's: one answer, so nothing leaks. */
export function orderNotFound(id: string): ProblemException {
  return new ProblemException(problem(404, `There is no order ${id}.`));
}

export function illegalTransition({ from, to }: IllegalTransition): ProblemException {
  return new ProblemException(problem(409, `An order cannot go from ${from} to ${to}.`, { from, to }));
}

export function addressNotFound(id: string): ProblemException {
  return new ProblemException(
    problem(404, `You have no saved address ${id}.`, { errors: [{ field: 'addressId', message: 'not found' }] }),
  );
}
