import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { OrdersModule } from '../orders/orders.module.js';
import { TenantsModule } from '../tenants/tenants.module.js';
import { OfferFanout } from './offer-fanout.consumer.js';
import { OrderStatusPush } from './order-status-push.js';
import { RealtimeGateway } from './realtime.gateway.js';
import { RealtimePublisher } from './realtime-publisher.js';

/**
 * Realtime (DESIGN §9): the Socket.IO gateway (api role; attached to the HTTP server at start) and the
 * publisher every process uses to reach sockets, the order status push (after each transition's
 * commit) and the offer fan-out consumer.
 */
@Module({
  imports: [AuthModule, OrdersModule, TenantsModule],
  providers: [RealtimeGateway, RealtimePublisher, OrderStatusPush, OfferFanout],
  exports: [RealtimePublisher, RealtimeGateway],
})
export class RealtimeModule {}
