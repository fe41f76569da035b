import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';

// The answers the catalog gives, in one place so every route words them the same way.

/** Unknown, deleted, or (for customers) inactive: one answer, so nothing leaks. */
export function productNotFound(id: string): ProblemException {
  return new ProblemException(problem(404, `There is no product ${id}.`));
}

export function skuTaken(sku: string): ProblemException {
  return new ProblemException(
    problem(409, `Another product of this tenant already has SKU "${sku}".`, {
      errors: [{ field: 'sku', message: 'already in use' }],
    }),
  );
}

export function belowReserved(onHand: number, reserved: number): ProblemException {
  return new ProblemException(
    problem(
      409,
      `On hand would be ${onHand}, below the ${reserved} unit(s) reserved for orders awaiting payment. ` +
        'Wait for those orders to be paid, expire or be cancelled, or set at least the reserved amount.',
      { onHand, reserved },
    ),
  );
}
