import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { waitFor } from '../support/wait-for.js';

for (const kind of ['embedded', 'real'] as const) {
  describe(`a probe travels outbox → bus → consumer (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(kind);
    });
    after(async () => {
      await app.close();
    });

    it('is accepted with 202 and handled exactly once', async () => {
      const created = await app.request('/api/ops/probes', { method: 'POST', json: {} });
      assert.equal(created.status, 202);
      const { id } = (await created.json()) as { id: string };
      const probe = await waitFor(async () => {
        const body = (await (await app.request(`/api/ops/probes/${id}`)).json()) as { handledCount: number };
        return body.handledCount === 1 ? body : undefined;
      });
      assert.equal(probe.handledCount, 1);
    });
  });
}
