import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentActor, Roles } from '../../common/auth/decorators.js';
import { ApiJsonOk, ApiProblem, ApiZodQuery } from '../../common/http/openapi.js';
import { paginationQuery, type PaginationQuery } from '../../common/http/pagination.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { notificationPageSchema } from './notifications.dto.js';
import { NotificationsService } from './notifications.service.js';

/** What Ordo told the signed-in user, whether or not it reached their inbox. */
@ApiTags('notifications')
@Roles()
@Controller('me/notifications')
export class NotificationsController {
  constructor(@Inject(NotificationsService) private readonly notifications: NotificationsService) {}

  @Get()
  @ApiOperation({
    summary: 'Your notifications, newest first',
    description:
      'Written asynchronously by the notifier consumer as your orders move (awaiting payment, paid, cancelled, ' +
      'refunded, …), so one appears shortly after the change. Each is also emailed when a mail server is configured.',
  })
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(notificationPageSchema)
  @ApiProblem(400, 'Invalid query')
  list(@CurrentActor() actor: Actor, @Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery) {
    return this.notifications.list(actor.id, query);
  }
}
