import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

// A real SMTP server in this process, on an ephemeral loopback port: no auth, no TLS, every mail kept.

export interface ReceivedMail {
  /** Envelope recipients (RCPT TO). */
  to: string[];
  mail: ParsedMail;
}

export interface TestSmtpServer {
  url: string;
  inbox: ReceivedMail[];
  /** Mails to `address`, in arrival order. */
  mailsTo(address: string): ReceivedMail[];
  /** Answers the next `count` messages (DATA) with 451, a transient failure a client should retry. */
  failNext(count: number): void;
  close(): Promise<void>;
}

/** Recipients whose local part starts with `bounce-` are refused for good (550 at RCPT TO). */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const inbox: ReceivedMail[] = [];
  let failures = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith('bounce-')) {
        callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          if (failures > 0) {
            failures -= 1;
            callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
            return;
          }
          inbox.push({ to: session.envelope.rcptTo.map((rcpt) => rcpt.address), mail });
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    inbox,
    mailsTo: (address) => inbox.filter((received) => received.to.includes(address)),
    failNext(count) {
      failures = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
