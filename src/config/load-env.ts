import { envSchema, type Env } from './env.schema.js';

export class InvalidEnvironmentError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'InvalidEnvironmentError';
  }
}

/** Validates the whole environment at once, so an operator sees every bad variable in one go. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const given = issue.path.length === 1 ? source[String(issue.path[0])] : undefined;
    const shown = given === undefined || /SECRET|PASSWORD/.test(name) ? '' : ` (got "${withoutCredentials(given)}")`;
    return `${name}: ${issue.message}${shown}`;
  });
  throw new InvalidEnvironmentError(problems);
}

/** A mistyped URL still carries its password; never echo the user-info part. */
function withoutCredentials(value: string): string {
  return value.replace(/\/\/.*@/, '//***@');
}
