import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import type { OnlineRefusal } from './availability-rules.js';

// The answers the fleet gives, in one place so every route words them the same way.

export function vendorNotFound(id: string): ProblemException {
  return new ProblemException(problem(404, `There is no vendor ${id}.`));
}

export function vendorHasDrivers(id: string): ProblemException {
  return new ProblemException(
    problem(409, `Vendor ${id} still has drivers: suspend it instead (PATCH status SUSPENDED).`),
  );
}

export function unknownVendor(id: string): ProblemException {
  return ProblemException.validation([{ field: 'vendorId', message: 'no such vendor' }], `There is no vendor ${id}.`);
}

/** Unknown, or (to a driver) someone else's: one answer, so nothing leaks. */
export function driverNotFound(id: string): ProblemException {
  return new ProblemException(problem(404, `There is no driver ${id}.`));
}

export function noDriverProfile(): ProblemException {
  return new ProblemException(
    problem(404, 'You have no driver profile: a CUSTOMER registers as a driver with POST /api/drivers.'),
  );
}

export function alreadyRegistered(): ProblemException {
  return new ProblemException(problem(409, 'You are already registered as a driver.'));
}

/** The account stopped being a CUSTOMER between the guard's check and the registration. */
export function notACustomer(): ProblemException {
  return new ProblemException(problem(409, 'Only an active CUSTOMER account can register as a driver.'));
}

export function licenceTaken(): ProblemException {
  return new ProblemException(
    problem(409, 'A driver with this licence number is already registered.', {
      errors: [{ field: 'licenceNumber', message: 'already registered' }],
    }),
  );
}

export function illegalDriverTransition(from: string, to: string): ProblemException {
  return new ProblemException(problem(409, `A driver cannot go from ${from} to ${to}.`, { from, to }));
}

/** Unknown, deleted, or (to a driver) someone else's. */
export function vehicleNotFound(id: string): ProblemException {
  return new ProblemException(problem(404, `There is no vehicle ${id}.`));
}

export function plateTaken(plate: string): ProblemException {
  return new ProblemException(
    problem(409, `A vehicle with plate ${plate} is already registered.`, {
      errors: [{ field: 'plate', message: 'already registered' }],
    }),
  );
}

export function vehicleInUse(plate: string, action: string): ProblemException {
  return new ProblemException(
    problem(409, `You are online with vehicle ${plate}: go offline before you ${action}.`, {
      errors: [{ field: 'online', message: 'go offline first' }],
    }),
  );
}

export function vehicleNotVerified(plate: string, status: string): ProblemException {
  return new ProblemException(
    problem(409, `Vehicle ${plate} is ${status}: only a VERIFIED vehicle can be your active vehicle.`, {
      errors: [{ field: 'vehicleId', message: `vehicle is ${status}, not VERIFIED` }],
    }),
  );
}

export function onlineLocked(): ProblemException {
  return new ProblemException(
    problem(409, 'You are online: go offline before you change your active vehicle.', {
      errors: [{ field: 'online', message: 'go offline first' }],
    }),
  );
}

export function cannotGoOnline(reasons: OnlineRefusal[]): ProblemException {
  return new ProblemException(
    problem(409, `You cannot go online: ${reasons.map((reason) => reason.message).join('; ')}.`, { reasons }),
  );
}
