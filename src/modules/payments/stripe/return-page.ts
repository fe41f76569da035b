// Where Stripe Checkout sends the customer back (success or cancel), and what an unpayable link shows.
import { formatMoney } from '../../../common/money.js';
import { escapeHtml as escape } from '../html.js';

export interface ReturnPage {
  merchant: string;
  orderId: string;
  amount: number;
  currency: string;
  status: string;
  /** The checkout link, while the payment can still be made. */
  payLink?: string;
  message: string;
}

export function returnHtml(page: ReturnPage): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>${escape(page.merchant)} — payment</title>
  <style>body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }</style>
</head>
<body>
  <h1>${escape(page.merchant)}</h1>
  <p>Order <code>${escape(page.orderId)}</code>: <span id="amount">${escape(formatMoney(page.amount, page.currency))}</span></p>
  <p>Status: <strong id="status">${escape(page.status)}</strong></p>
  <p id="message">${escape(page.message)}</p>
  ${page.payLink ? `<p><a id="pay" href="${escape(page.payLink)}">Pay now</a></p>` : ''}
</body>
</html>
`;
}
