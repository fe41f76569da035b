import assert from 'node:assert/strict';

/** An RFC 9457 problem document as the API answers errors. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

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
