/** A delivery that outlived `BUS_HANDLER_TIMEOUT_MS`: retried through the tiers like any other failure. */
export class HandlerTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the handler neither finished nor failed within ${timeoutMs} ms`);
    this.name = 'HandlerTimeout';
  }
}

/**
 * Runs one delivery with a deadline. Past it, `signal` aborts (the inbox rolls the handler's
 * transaction back and cuts its connection) and the returned promise rejects with `HandlerTimeout`,
 * so the transport fails the message into its retry tiers and frees the prefetch slot. JavaScript
 * cannot stop the handler itself; whatever it does later is refused by its dead transaction, and its
 * eventual outcome is ignored.
 */
export async function withDeliveryDeadline(
  timeoutMs: number | undefined,
  deliver: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  if (!timeoutMs) return deliver(controller.signal);
  const work = deliver(controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = new HandlerTimeout(timeoutMs);
      controller.abort(timeout);
      reject(timeout);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined); // a late failure of an abandoned handler is not news
  }
}
