import { STATUS_CODES } from 'node:http';

/** One invalid field of a request. `field` is a dotted path into the body, query or params. */
export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error response of the API carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const typeBase = 'https://ordo.dev/problems/';

export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  const title = STATUS_CODES[status] ?? 'Error';
  return {
    type: `${typeBase}${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
    title,
    status,
    ...(detail ? { detail } : {}),
    ...extra,
  };
}
