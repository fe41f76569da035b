import type { Logger } from 'pino';
import type { MailOutcome, MailPort, OutgoingMail } from './mail.port.js';

/**
 * No SMTP_URL: a mail is only logged, by id and subject. Its recipient and body stay out of the log
 * (personal data, checkout links); whoever sends it keeps the full record.
 */
export class LogMailer implements MailPort {
  readonly kind = 'log';

  constructor(private readonly log: Logger) {}

  async send(mail: OutgoingMail): Promise<MailOutcome> {
    this.log.info({ mailId: mail.id, subject: mail.subject }, 'mail not sent: no SMTP_URL');
    return { status: 'logged' };
  }

  async close(): Promise<void> {}
}
