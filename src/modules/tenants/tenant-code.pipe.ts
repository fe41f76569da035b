import type { PipeTransform } from '@nestjs/common';
import { isTenantCode } from '../../infra/database/tenant-code.js';
import { invalidTenantCode } from './tenant-problems.js';

/** Validates a tenant code route parameter: a malformed one is a 400 naming the parameter, before any SQL. */
export class TenantCodePipe implements PipeTransform<unknown, string> {
  constructor(private readonly param: string) {}

  transform(value: unknown): string {
    if (!isTenantCode(value)) throw invalidTenantCode(this.param);
    return value;
  }
}
