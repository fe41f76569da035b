import { Module } from '@nestjs/common';
import { Accounts } from './accounts.js';
import { PasswordHasher } from './password-hasher.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/**
 * Platform accounts. Other modules work with accounts through `Accounts` (and hash passwords with
 * `PasswordHasher`), never through the users table; `UsersService` is the admin use cases.
 */
@Module({
  controllers: [UsersController],
  providers: [PasswordHasher, UsersService, Accounts],
  exports: [PasswordHasher, UsersService, Accounts],
})
export class UsersModule {}
