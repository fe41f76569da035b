import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../common/auth/decorators.js';
import { ApiJsonBody, ApiJsonOk, ApiProblem } from '../../common/http/openapi.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { ZodValidationPipe } from '../../common/http/zod-validation.pipe.js';
import { loginBody, tokenPairSchema, type LoginBody } from './auth.dto.js';
import { LoginService } from './login.service.js';
import type { Device } from './sessions.service.js';

export function deviceOf(request: FastifyRequest): Device {
  const agent = request.headers['user-agent'];
  return { device: agent ? agent.slice(0, 200) : null, ip: request.ip ?? null };
}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(@Inject(LoginService) private readonly logins: LoginService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in with email and password: a new session and its tokens' })
  @ApiJsonBody(loginBody)
  @ApiJsonOk(tokenPairSchema)
  @ApiProblem(401, 'Email and password do not match an active account')
  async login(@Body(new ZodValidationPipe(loginBody)) body: LoginBody, @Req() request: FastifyRequest) {
    const tokens = await this.logins.login(body.email, body.password, deviceOf(request));
    if (!tokens) throw new ProblemException(problem(401, 'Email and password do not match an active account.'));
    return tokens;
  }
}
