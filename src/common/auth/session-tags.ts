/**
 * Cache tags behind the per-request session check (auth's SessionStatus). Invalidating one makes
 * every process re-check at once: a revoked session, or a disabled user, is cut off immediately.
 */
export const sessionTag = (sessionId: string) => `session:${sessionId}`;
export const userSessionsTag = (userId: string) => `user-sessions:${userId}`;
