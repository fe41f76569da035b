import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import { DispatchRequested, type DispatchRequestedPayload } from './dispatch.events.js';
import { DispatchService } from './dispatch.service.js';

/** Opens a job for an order that needs a driver and makes the first offer (control database). */
@Injectable()
@Consumer({ name: 'dispatcher', events: [DispatchRequested], scope: 'control' })
export class Dispatcher implements MessageHandler<DispatchRequestedPayload> {
  constructor(@Inject(DispatchService) private readonly dispatch: DispatchService) {}

  async handle(payload: DispatchRequestedPayload, { tx, emit, envelope }: HandlerContext): Promise<void> {
    await this.dispatch.request(tx, emit, envelope.tenant!, payload);
  }
}
