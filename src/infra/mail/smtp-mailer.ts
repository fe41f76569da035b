import nodemailer, { type NodemailerError, type Transporter } from 'nodemailer';
import type { MailOutcome, MailPort, OutgoingMail } from './mail.port.js';

export interface SmtpMailerOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`; nodemailer options ride in the query (`?pool=true`). */
  url: string;
  from: string;
}

/** Errors about this message or its recipient, as opposed to the server or the connection. */
const MESSAGE_ERRORS = new Set(['EENVELOPE', 'EMESSAGE']);

/** Email over SMTP (nodemailer): one connection per mail unless SMTP_URL asks for `?pool=true`. */
export class SmtpMailer implements MailPort {
  readonly kind = 'smtp';
  private readonly transport: Transporter;

  constructor(options: SmtpMailerOptions) {
    this.transport = nodemailer.createTransport(
      // nodemailer waits minutes by default; a consumer holding a message that long stalls its queue.
      // The URL's own query (`?socketTimeout=…`) still wins over these.
      { url: options.url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 },
      { from: options.from },
    );
  }

  async send(mail: OutgoingMail): Promise<MailOutcome> {
    try {
      await this.transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        messageId: `<${mail.id}@ordo>`,
      });
      return { status: 'sent' };
    } catch (error) {
      const failure = error as NodemailerError;
      // Only a permanent refusal of this very mail is an outcome; anything else may pass, so it is retried.
      if (failure.permanent === true && MESSAGE_ERRORS.has(failure.code ?? '')) {
        return { status: 'rejected', error: failure.response ?? failure.message };
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
