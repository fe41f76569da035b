/**
 * The delivery fee rule, in one place. Amounts are minor units of the tenant's currency.
 *
 *   fee = DELIVERY_BASE_FEE + DELIVERY_FEE_PER_KM × ⌈haversine km from the tenant's pickup to the drop-off⌉
 *
 * A drop-off farther than MAX_DELIVERY_KM is rejected at validation.
 */
export const DELIVERY_BASE_FEE = 250;
export const DELIVERY_FEE_PER_KM = 50;
export const MAX_DELIVERY_KM = 50;

export interface Point {
  lat: number;
  lng: number;
}

const EARTH_RADIUS_KM = 6371;
const radians = (degrees: number) => (degrees * Math.PI) / 180;

/** Great-circle distance in kilometres. */
export function haversineKm(a: Point, b: Point): number {
  const dLat = radians(b.lat - a.lat);
  const dLng = radians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.lat)) * Math.cos(radians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export function deliveryFee(distanceKm: number): number {
  return DELIVERY_BASE_FEE + DELIVERY_FEE_PER_KM * Math.ceil(distanceKm);
}
