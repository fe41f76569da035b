import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_METADATA, ROLES_METADATA } from '../../common/auth/decorators.js';
import type { Role } from '../../common/auth/roles.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import type { Actor } from '../../common/request-context.js';
import { AccessTokenVerifier } from './access-token.verifier.js';

/**
 * Global guard: every route needs a valid bearer token unless marked `@Public()`; `@Roles(...)`
 * narrows it to those roles. No token or a bad one → 401; a good token in the wrong role → 403.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessTokenVerifier) private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // Websocket handshakes authenticate through AccessTokenVerifier themselves; any other kind of handler
    // reaching this guard is refused rather than let through unauthenticated.
    if (context.getType() !== 'http') return false;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_METADATA, targets)) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & { actor?: Actor }>();
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    const actor = await this.verifier.verify(token);
    if (!actor) {
      throw new ProblemException(
        problem(
          401,
          token ? 'The access token is invalid, expired or revoked.' : 'Sign in: this route needs a bearer token.',
        ),
      );
    }
    request.actor = actor;

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_METADATA, targets) ?? [];
    if (roles.length > 0 && !roles.includes(actor.role as Role)) {
      throw new ProblemException(
        problem(403, `This route is for ${roles.join(' or ')}; you are signed in as ${actor.role}.`),
      );
    }
    return true;
  }
}
