import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { OrdersModule } from '../orders/orders.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { OfferPush } from './offer-push.js';
import { OrderStatusPush } from './order-status-push.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimePublisher } from './realtime-publisher.js';
import { SocketsFollowSessions } from './sockets-follow-sessions.js';

/**
 * Realtime (DESIGN §9): the Socket.IO gateway (api role; attached to the HTTP server at start) and the
 * publisher every process uses to reach sockets, and the pushes of order statuses and offers, each run
 * right after the commit that emitted their event (`UnitOfWork.onCommitted`); and the end of sockets whose
 * session ended (`SocketsFollowSessions`).
 */
@Module({
  imports: [AuthModule, OrdersModule, TenantsModule],
  providers: [RealtimeGateway, RealtimePublisher, OrderStatusPush, OfferPush, SocketsFollowSessions],
  exports: [RealtimePublisher, RealtimeGateway],
})
export class RealtimeModule {}
