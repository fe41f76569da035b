/**
 * The delivery fee rule, in one place. Amounts are minor units of the tenant's currency.
 *
 *   fee = DELIVERY_BASE_FEE + DELIVERY_FEE_PER_KM × ⌈haversine km from the tenant's pickup to the drop-off⌉
 *
 * (distance: `haversineKm` in infra/geo)
 *
 * A drop-off farther than MAX_DELIVERY_KM is rejected at validation.
 */
export const DELIVERY_BASE_FEE = 250;
export const DELIVERY_FEE_PER_KM = 50;
export const MAX_DELIVERY_KM = 50;

export function deliveryFee(distanceKm: number): number {
  return DELIVERY_BASE_FEE + DELIVERY_FEE_PER_KM * Math.ceil(distanceKm);
}
