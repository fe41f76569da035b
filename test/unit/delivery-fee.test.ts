import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { haversineKm } from '../../src/infra/geo/geo-math.js';
import { DELIVERY_BASE_FEE, DELIVERY_FEE_PER_KM, deliveryFee } from '../../src/modules/orders/delivery-fee.js';

describe('delivery fee', () => {
  it('measures great-circle distances', () => {
    assert.equal(haversineKm({ lat: 52.52, lng: 13.405 }, { lat: 52.52, lng: 13.405 }), 0);
    // Berlin → Paris is about 878 km.
    const km = haversineKm({ lat: 52.52, lng: 13.405 }, { lat: 48.8566, lng: 2.3522 });
    assert.ok(Math.abs(km - 878) < 5, `${km}`);
  });

  it('is the base fee plus the per-km fee for every started kilometre', () => {
    assert.equal(deliveryFee(0), DELIVERY_BASE_FEE);
    assert.equal(deliveryFee(0.2), DELIVERY_BASE_FEE + DELIVERY_FEE_PER_KM);
    assert.equal(deliveryFee(3), DELIVERY_BASE_FEE + 3 * DELIVERY_FEE_PER_KM);
    assert.ok(Number.isInteger(deliveryFee(7.77)));
  });
});
