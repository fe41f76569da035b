import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { AddressesController } from './addresses.controller.js';
import { AddressesService } from './addresses.service.js';
import { MeController } from './me.controller.js';

/** Customers: their profile (`/api/me`) and saved delivery addresses (`/api/me/addresses`). */
@Module({
  imports: [UsersModule],
  controllers: [MeController, AddressesController],
  providers: [AddressesService],
  exports: [AddressesService],
})
export class CustomersModule {}
