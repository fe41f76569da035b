import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is acting. Set by the auth guard for a request, or to a consumer's name while it handles a message. */
export interface Actor {
  id: string;
  role: string;
  /** A MERCHANT's tenant. */
  tenant?: string | null;
  sessionId?: string;
}

/** What every log line, outbox event and audit entry of one request (or one message) knows about it. */
export interface RequestContext {
  requestId?: string;
  ip?: string;
  userAgent?: string;
  actor?: Actor;
}

const storage = new AsyncLocalStorage<RequestContext>();

export function runInContext<T>(context: RequestContext, work: () => T): T {
  return storage.run(context, work);
}

/** The context of the request or message being handled; an empty one outside any. */
export function currentContext(): RequestContext {
  return storage.getStore() ?? {};
}
