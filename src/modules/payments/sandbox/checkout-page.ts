// The sandbox checkout page: deliberately plain HTML, no scripts, two forms. A banner on top says it is
// the sandbox, so a payer (or a shop that allowed the sandbox in production) never takes it for a real payment.
import { createHash } from 'node:crypto';
import { formatMoney } from '../../../common/money.js';
import { escapeHtml as escape } from '../html.js';

export interface CheckoutPage {
  merchant: string;
  orderId: string;
  amount: number;
  currency: string;
  status: string;
  /** Shown above the buttons after Pay / Decline. */
  message?: string;
  payable: boolean;
  /** Base path of the forms: `/pay/<token>`. */
  action: string;
}

const STYLE = `
    body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
    .amount { font-size: 2rem; margin: 0.5rem 0 1.5rem; }
    form { display: inline-block; margin-right: 0.5rem; }
    button { font-size: 1rem; padding: 0.5rem 1.5rem; }
    .note { color: #666; font-size: 0.85rem; margin-top: 2rem; }
    .sandbox { background: #fff3cd; border: 2px solid #d39e00; padding: 0.75rem 1rem; font-weight: bold; }
  `;

/**
 * The page's Content-Security-Policy: nothing loads but its own inline style (allowed by its hash, not
 * by 'unsafe-inline'), no script runs, its forms post only back here, and no site may frame it — the
 * Pay button is exactly what a clickjacking overlay would aim at.
 */
export const CHECKOUT_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function checkoutHtml(page: CheckoutPage): string {
  const buttons = page.payable
    ? `<form method="post" action="${escape(page.action)}/pay"><button type="submit" id="pay">Pay</button></form>
    <form method="post" action="${escape(page.action)}/decline"><button type="submit" id="decline">Decline</button></form>`
    : '<p>This payment can no longer be made here.</p>';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Pay ${escape(page.merchant)} — Ordo sandbox</title>
  <style>${STYLE}</style>
</head>
<body>
  <p class="sandbox" id="sandbox" role="alert">SANDBOX — a test payment: no money moves. Do not ship goods paid here.</p>
  <h1>${escape(page.merchant)}</h1>
  <p>Order <code>${escape(page.orderId)}</code></p>
  <p class="amount" id="amount">${escape(formatMoney(page.amount, page.currency))}</p>
  <p>Status: <strong id="status">${escape(page.status)}</strong></p>
  ${page.message ? `<p id="message"><strong>${escape(page.message)}</strong></p>` : ''}
  ${buttons}
  <p class="note">Ordo sandbox payments: no money moves. Pay always succeeds, Decline always fails.</p>
</body>
</html>
`;
}
