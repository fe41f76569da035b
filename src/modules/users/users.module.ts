import { Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  controllers: [UsersController],
  providers: [PasswordHasher, UsersService],
  exports: [PasswordHasher, UsersService],
})
export class UsersModule {}
