import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable } from 'rxjs';
import { runInContext, type Actor } from '../request-context.js';

/**
 * Runs the handler inside the request's context (request id, IP, actor set by the auth guard), so
 * services deep down — the outbox writing audit metadata, the logger — know who is acting.
 * An interceptor rather than a Fastify hook: async context does not survive Fastify's body parsing.
 */
@Injectable()
export class RequestContextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest & { actor?: Actor }>();
    const userAgent = request.headers['user-agent'];
    const requestContext = { requestId: String(request.id), ip: request.ip, userAgent, actor: request.actor };
    return new Observable((subscriber) => runInContext(requestContext, () => next.handle().subscribe(subscriber)));
  }
}
