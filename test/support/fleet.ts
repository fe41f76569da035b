import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { newId } from '../../src/common/ids.js';
import type { TestApp } from './app.js';
import { waitFor } from './wait-for.js';
import { expectStatus } from './problems.js';

export { expectStatus };

// Fleet test data through the public API: vendors, drivers (customers who registered), vehicles.

export interface VendorView {
  id: string;
  name: string;
  contactEmail: string;
  contactPhone: string | null;
  status: 'ACTIVE' | 'SUSPENDED';
}

export interface DriverView {
  id: string;
  userId: string;
  vendorId: string;
  licenceNumber: string;
  licenceClass: string;
  licenceExpiry: string;
  phone: string;
  status: 'PENDING' | 'VERIFIED' | 'REJECTED';
  rejectionReason: string | null;
  verifiedAt: string | null;
  activeVehicleId: string | null;
  online: boolean;
  onlineSince: string | null;
}

export interface VehicleView {
  id: string;
  driverId: string;
  plate: string;
  make: string;
  model: string;
  year: number;
  class: string;
  capacity: number;
  documents: { insuranceExpiry: string; inspectionExpiry: string };
  status: 'SUBMITTED' | 'VERIFIED' | 'REJECTED' | 'SUSPENDED';
  rejectionReasons: string[];
  verifiedAt: string | null;
}

export interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

/** A signed-in user with both tokens (a registration needs the refresh token to pick up the new role). */
export interface Account {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
}

/** A registered driver, signed in with a DRIVER token. */
export interface TestDriver extends Account {
  driver: DriverView;
}

const PASSWORD = 'a-long-enough-password';
const THIS_YEAR = new Date().getUTCFullYear();

/** `YYYY-MM-DD`, `days` from today (UTC). */
export function daysFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** A plate nobody else in the run has. */
export function uniquePlate(): string {
  return `T${randomBytes(4).toString('hex').toUpperCase()}`;
}

/** A plate nobody else has that the verifier refuses (an underscore is not allowed). */
export function malformedPlate(): string {
  return `X_${randomBytes(3).toString('hex').toUpperCase()}`;
}

export const VALID_VEHICLE = {
  make: 'Toyota',
  model: 'Prius',
  year: THIS_YEAR - 3,
  class: 'ECONOMY',
  capacity: 4,
  documents: { insuranceExpiry: daysFromToday(365), inspectionExpiry: daysFromToday(365) },
};

export async function createVendor(app: TestApp, overrides: Record<string, unknown> = {}): Promise<VendorView> {
  return expectStatus<VendorView>(
    await app.request('/api/vendors', {
      method: 'POST',
      json: { name: `Fleet ${newId().slice(-6)}`, contactEmail: 'ops@fleet.test', ...overrides },
    }),
    201,
  );
}

/** A new CUSTOMER through self-signup, keeping the refresh token. */
export async function signUp(app: TestApp, label = 'driver'): Promise<Account> {
  const email = `${label}-${newId()}@fleet.test`;
  const response = await app.request('/api/auth/register', {
    method: 'POST',
    json: { email, password: PASSWORD, name: `A ${label}` },
    as: null,
  });
  const body = await expectStatus<{ access_token: string; refresh_token: string; user: { id: string } }>(response, 201);
  return { id: body.user.id, email, token: body.access_token, refreshToken: body.refresh_token };
}

/** Trades a refresh token for a new pair; returns the new tokens and the role they carry. */
export async function refresh(app: TestApp, account: Account): Promise<Account & { role: string }> {
  const body = await expectStatus<{ access_token: string; refresh_token: string; user: { role: string } }>(
    await app.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: account.refreshToken }, as: null }),
    200,
  );
  return { ...account, token: body.access_token, refreshToken: body.refresh_token, role: body.user.role };
}

export function registrationBody(vendorId: string, overrides: Record<string, unknown> = {}) {
  return {
    licenceNumber: `L${randomBytes(5).toString('hex').toUpperCase()}`,
    licenceClass: 'B',
    licenceExpiry: daysFromToday(3 * 365),
    vendorId,
    phone: '+49 30 1234567',
    ...overrides,
  };
}

/** A customer who registered as a driver of `vendorId` and refreshed to a DRIVER token. */
export async function registerDriver(
  app: TestApp,
  vendorId: string,
  overrides: Record<string, unknown> = {},
): Promise<TestDriver> {
  const account = await signUp(app);
  const driver = await expectStatus<DriverView>(
    await app.request('/api/drivers', {
      method: 'POST',
      json: registrationBody(vendorId, overrides),
      as: account.token,
    }),
    201,
  );
  const refreshed = await refresh(app, account);
  assert.equal(refreshed.role, 'DRIVER');
  return { ...refreshed, driver };
}

export async function verifyDriver(app: TestApp, driverId: string): Promise<DriverView> {
  return expectStatus<DriverView>(await app.request(`/api/drivers/${driverId}/verify`, { method: 'POST' }), 200);
}

export async function addVehicle(app: TestApp, token: string, overrides: Record<string, unknown> = {}) {
  return expectStatus<VehicleView>(
    await app.request('/api/vehicles', {
      method: 'POST',
      json: { ...VALID_VEHICLE, plate: uniquePlate(), ...overrides },
      as: token,
    }),
    201,
  );
}

/** Polls the vehicle (as the admin) until the verifier has decided it. */
export async function decided(app: TestApp, vehicleId: string): Promise<VehicleView> {
  return waitFor(
    async () => {
      const vehicle = await expectStatus<VehicleView>(await app.request(`/api/vehicles/${vehicleId}`), 200);
      return vehicle.status === 'SUBMITTED' ? undefined : vehicle;
    },
    { timeoutMs: 15_000, what: `vehicle ${vehicleId} to be verified or rejected` },
  );
}

/** A VERIFIED driver with a VERIFIED active vehicle of an ACTIVE vendor: ready to go online. */
export async function readyDriver(
  app: TestApp,
  vendorId: string,
  vehicle: Record<string, unknown> = {},
): Promise<TestDriver & { vehicle: VehicleView }> {
  const driver = await registerDriver(app, vendorId);
  await verifyDriver(app, driver.driver.id);
  const added = await addVehicle(app, driver.token, vehicle);
  const verified = await decided(app, added.id);
  assert.equal(verified.status, 'VERIFIED', JSON.stringify(verified.rejectionReasons));
  const selected = await expectStatus<DriverView>(
    await app.request('/api/drivers/me/vehicle', { method: 'PATCH', json: { vehicleId: added.id }, as: driver.token }),
    200,
  );
  return { ...driver, driver: selected, vehicle: verified };
}

export async function setOnline(app: TestApp, token: string, online: boolean): Promise<Response> {
  return app.request('/api/drivers/me/availability', { method: 'PATCH', json: { online }, as: token });
}
