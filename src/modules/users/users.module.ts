import { Module } from '@nestjs/common';
import { Accounts } from './accounts.js';
import { PasswordHasher } from './password-hasher.js';
import { UserSessions } from './user-sessions.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

/**
 * Platform accounts. Other modules work with accounts through `Accounts` (and hash passwords with
 * `PasswordHasher`), never through the users table; `UsersService` is the admin use cases. The auth
 * module plugs its sessions into `UserSessions` (see there why).
 */
@Module({
  controllers: [UsersController],
  providers: [PasswordHasher, UserSessions, UsersService, Accounts],
  exports: [PasswordHasher, UserSessions, UsersService, Accounts],
})
export class UsersModule {}
