import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentActor, Public, Roles } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem, ApiZodQuery, openApiSchema } from '../../common/http/openapi.js';
import { page, paginationQuery, type PaginationQuery } from '../../common/http/pagination.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { ApiUuidParam } from '../../common/http/uuid-param.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import type { Actor } from '../../common/request-context.js';
import { AccountsService, EmailTakenError } from './accounts.service.js';
import {
  loginBody,
  refreshBody,
  registerBody,
  sessionIdParams,
  sessionPageSchema,
  tokenPairSchema,
  userViewSchema,
  type LoginBody,
  type RefreshBody,
  type RegisterBody,
} from './auth.dto.js';
import { LoginService } from './login.service.js';
import { RateLimited } from './rate-limit.js';
import { SessionsService, type Device } from './sessions.service.js';

export function deviceOf(request: FastifyRequest): Device {
  const agent = request.headers['user-agent'];
  return { device: agent ? agent.slice(0, 200) : null, ip: request.ip ?? null };
}

const REVOCATION_NOTE =
  "Revocation is immediate: the session's access tokens are refused from the very next request, " +
  'in every API process, not only once they expire.';

const refreshRefused = () => new ProblemException(problem(401, 'The refresh token is invalid, expired or revoked.'));
const noSuchSession = (id: string) => new ProblemException(problem(404, `You have no session ${id}.`));

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(LoginService) private readonly logins: LoginService,
    @Inject(AccountsService) private readonly accounts: AccountsService,
    @Inject(SessionsService) private readonly sessions: SessionsService,
  ) {}

  @Post('register')
  @Public()
  @RateLimited('register')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Customer self-signup: a new CUSTOMER account, signed in at once',
    description: 'Answers like a sign-in: a new session and its tokens. Emails are unique whatever their case.',
  })
  @ApiJsonBody(registerBody)
  @ApiCreatedResponse({ description: 'Registered and signed in', schema: openApiSchema(tokenPairSchema) })
  @ApiProblem(409, 'An account with this email already exists')
  async register(@Body(new ZodValidationPipe(registerBody)) body: RegisterBody, @Req() request: FastifyRequest) {
    try {
      return await this.accounts.register(body, deviceOf(request));
    } catch (error) {
      if (!(error instanceof EmailTakenError)) throw error;
      throw new ProblemException(
        problem(409, 'An account with this email already exists.', {
          errors: [{ field: 'email', message: 'already registered' }],
        }),
      );
    }
  }

  @Post('login')
  @Public()
  @RateLimited('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in with email and password: a new session and its tokens',
    description: 'An unknown email and a wrong password get the same answer, in the same time.',
  })
  @ApiJsonBody(loginBody)
  @ApiJsonOk(tokenPairSchema)
  @ApiProblem(401, 'Email and password do not match an active account')
  async login(@Body(new ZodValidationPipe(loginBody)) body: LoginBody, @Req() request: FastifyRequest) {
    const tokens = await this.logins.login(body.email, body.password, deviceOf(request));
    if (!tokens) throw new ProblemException(problem(401, 'Email and password do not match an active account.'));
    return tokens;
  }

  @Post('refresh')
  @Public()
  @RateLimited('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Trade a refresh token for a new token pair (rotation)',
    description:
      'Each refresh token is good once. Presenting one that was already used answers 401 and revokes ' +
      'its whole session, whoever holds the newest pair. ' +
      REVOCATION_NOTE,
  })
  @ApiJsonBody(refreshBody)
  @ApiJsonOk(tokenPairSchema)
  @ApiProblem(401, 'Unknown, already used, expired or revoked refresh token')
  async refresh(@Body(new ZodValidationPipe(refreshBody)) body: RefreshBody) {
    const outcome = await this.sessions.refresh(body.refresh_token);
    if (outcome.kind !== 'rotated') throw refreshRefused();
    return outcome.tokens;
  }

  @Post('logout')
  @Roles()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: revoke the current session', description: REVOCATION_NOTE })
  @ApiNoContentResponse({ description: 'Signed out' })
  async logout(@CurrentActor() actor: Actor): Promise<void> {
    if (actor.sessionId) await this.sessions.revoke(actor.sessionId, 'logout', actor.id);
  }

  @Get('profile')
  @Roles()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiJsonOk(userViewSchema)
  async profile(@CurrentActor() actor: Actor) {
    const user = await this.accounts.profile(actor.id);
    if (!user) throw new ProblemException(problem(401, 'The account of this token no longer exists.'));
    return user;
  }

  @Get('sessions')
  @Roles()
  @ApiOperation({
    summary: "The signed-in user's active sessions, newest first",
    description: 'Active: neither revoked nor expired. `current` marks the session of the token making the request.',
  })
  @ApiZodQuery(paginationQuery)
  @ApiJsonOk(sessionPageSchema)
  async listSessions(
    @CurrentActor() actor: Actor,
    @Query(new ZodValidationPipe(paginationQuery)) query: PaginationQuery,
  ) {
    const { rows, total } = await this.sessions.list(
      actor.id,
      actor.sessionId,
      query.per_page,
      (query.page - 1) * query.per_page,
    );
    return page(rows, query, total);
  }

  @Delete('sessions/:id')
  @Roles()
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke one of your own sessions (sign out that device)',
    description: `Someone else's session answers 404, exactly like one that does not exist. ${REVOCATION_NOTE}`,
  })
  @ApiNoContentResponse({ description: 'Revoked (or already revoked)' })
  @ApiUuidParam()
  @ApiProblem(404, 'You have no such session')
  async revokeSession(
    @CurrentActor() actor: Actor,
    @Param(new ZodValidationPipe(sessionIdParams)) params: { id: string },
  ): Promise<void> {
    if (!(await this.sessions.revoke(params.id, 'revoked by its user', actor.id))) throw noSuchSession(params.id);
  }
}
