import assert from 'node:assert/strict';
import type { Problem } from '../../src/common/http/problem.js';

export type { Problem };

/** Asserts the response is problem+json with this status, and returns the problem. */
export async function expectProblem(response: Response, status: number): Promise<Problem> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  assert.equal(body.status, status);
  assert.equal(typeof body.type, 'string');
  assert.equal(typeof body.title, 'string');
  return body;
}

/** Reads the JSON body after checking the status (the body is in the failure message); errors must be problem+json. */
export async function expectStatus<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  if (status >= 400) assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  return (text ? JSON.parse(text) : undefined) as T;
}
