export const MAILER = Symbol('MAILER');

export interface OutgoingMail {
  to: string;
  subject: string;
  /** Plain text. */
  text: string;
  /**
   * Becomes the Message-ID header (`<id@ordo>`): the same id on a second send of the same
   * notification lets mail clients and servers that dedupe by Message-ID drop the copy.
   */
  id: string;
}

/** What became of a mail. A failure that may pass (connection, timeout, 4xx) is thrown instead. */
export type MailOutcome =
  /** The SMTP server accepted it. */
  | { status: 'sent' }
  /** No mail server is configured: the mail was only logged. */
  | { status: 'logged' }
  /** The server refused it for good (5xx for this recipient or message): sending it again cannot help. */
  | { status: 'rejected'; error: string };

/**
 * Outgoing email. SMTP (nodemailer) when SMTP_URL is set, a log line otherwise.
 *
 * Contract:
 * - `send` resolves once the outcome is known; it throws when trying again later may succeed
 *   (the server unreachable or slow, a 4xx reply, authentication failing), so a caller on the bus
 *   retries through its tiers.
 * - Sending is not idempotent: a caller that retries after a crash may send a mail twice.
 */
export interface MailPort {
  readonly kind: 'smtp' | 'log';
  send(mail: OutgoingMail): Promise<MailOutcome>;
  close(): Promise<void>;
}
