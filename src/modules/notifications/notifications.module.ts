import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ENV } from '../../config/config.module.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { createMailer } from '../../infra/mail/create-mailer.js';
import { MAILER, type MailPort } from '../../infra/mail/mail.port.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { UsersModule } from '../users/users.module.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsService } from './notifications.service.js';
import { Notifier } from './notifier.consumer.js';

/**
 * Notifications: the `notifier` consumer emails customers about their orders and records each
 * notification; `GET /api/me/notifications` lists them. The mailer is bound here, not in InfraModule,
 * because nothing else sends mail; it closes after the worker has finished its messages.
 */
@Module({
  imports: [UsersModule, TenantsModule],
  controllers: [NotificationsController],
  providers: [{ provide: MAILER, inject: [ENV, LOGGER], useFactory: createMailer }, NotificationsService, Notifier],
})
export class NotificationsModule implements OnApplicationShutdown {
  constructor(@Inject(MAILER) private readonly mailer: MailPort) {}

  async onApplicationShutdown(): Promise<void> {
    await this.mailer.close();
  }
}
