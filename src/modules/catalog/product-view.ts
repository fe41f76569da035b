import type { Audience } from './catalog-cache.js';
import type { ProductSummary } from './catalog.events.js';
import type { ProductView } from './catalog.dto.js';
import type { Product, StockedProduct } from './products.repository.js';

/** What the API shows of a product: staff see `onHand` and `reserved`, everyone sees what is available. */
export function productView(product: StockedProduct, currency: string, audience: Audience): ProductView {
  const available = Math.max(0, product.onHand - product.reserved);
  return {
    id: product.id,
    ...summarize(product, currency),
    stock:
      audience === 'staff'
        ? { available, inStock: available > 0, onHand: product.onHand, reserved: product.reserved }
        : { available, inStock: available > 0 },
    createdAt: new Date(product.createdAt).toISOString(),
    updatedAt: new Date(product.updatedAt).toISOString(),
  };
}

/** The product as events and the audit trail record it. */
export function summarize(product: Product, currency: string): ProductSummary {
  return {
    sku: product.sku,
    name: product.name,
    description: product.description,
    category: product.category,
    price: product.price,
    currency,
    active: product.active,
  };
}
