import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';

// The answers the tracking module gives, worded once for HTTP and the socket alike.

export function notADriver(): ProblemException {
  return new ProblemException(
    problem(409, 'You have no driver profile, so there is nothing to report a position for.', {
      reason: 'no_driver_profile',
    }),
  );
}

export function driverOffline(): ProblemException {
  return new ProblemException(
    problem(409, 'You are offline: go online (PATCH /api/drivers/me/availability) before you report positions.', {
      reason: 'offline',
    }),
  );
}

/** Unknown driver, someone else's, or no position yet: one answer, so nothing leaks. */
export function noKnownPosition(driverId: string): ProblemException {
  return new ProblemException(problem(404, `There is no known position for driver ${driverId}.`));
}

export function liveIndexUnavailable(): ProblemException {
  return new ProblemException(problem(503, 'Live positions are unavailable right now; try again shortly.'));
}
