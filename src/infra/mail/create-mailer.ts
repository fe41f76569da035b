import type { Logger } from 'pino';
import type { Env } from '../../config/env.schema.js';
import { LogMailer } from './log-mailer.js';
import type { MailPort } from './mail.port.js';
import { SmtpMailer } from './smtp-mailer.js';

/** SMTP when SMTP_URL is set; otherwise mail is only logged (and whoever sends it keeps its own record). */
export function createMailer(env: Env, log: Logger): MailPort {
  return env.SMTP_URL
    ? new SmtpMailer({ url: env.SMTP_URL, from: env.MAIL_FROM })
    : new LogMailer(log.child({ component: 'mail' }));
}
