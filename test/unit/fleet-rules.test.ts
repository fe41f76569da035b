import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onlineRefusals, type AvailabilityFacts } from '../../src/modules/fleet/availability-rules.js';
import {
  canTransitionDriver,
  canTransitionVehicle,
  DRIVER_STATUSES,
  DRIVER_TRANSITIONS,
  VEHICLE_STATUSES,
  VEHICLE_TRANSITIONS,
} from '../../src/modules/fleet/fleet-states.js';
import {
  DELIVERY_CLASSES,
  RIDE_CLASSES,
  VEHICLE_CLASSES,
  vehicleServes,
} from '../../src/modules/fleet/vehicle-classes.js';
import {
  expiredDocuments,
  normalisePlate,
  PLATE_PATTERN,
  todayUtc,
  vehicleRejectionReasons,
  type VehicleFacts,
} from '../../src/modules/fleet/vehicle-rules.js';

const TODAY = '2026-06-15';
const GOOD: VehicleFacts = {
  plate: 'B-AB-123',
  year: 2020,
  class: 'ECONOMY',
  capacity: 4,
  insuranceExpiry: '2027-01-01',
  inspectionExpiry: '2027-01-01',
};

describe('vehicleServes', () => {
  it('delivery classes serve every delivery and no ride', () => {
    for (const vehicleClass of DELIVERY_CLASSES) {
      assert.equal(vehicleServes(vehicleClass, { kind: 'DELIVERY' }), true, vehicleClass);
      for (const rideClass of RIDE_CLASSES) {
        assert.equal(vehicleServes(vehicleClass, { kind: 'RIDE', rideClass }), false, `${vehicleClass} ${rideClass}`);
      }
    }
  });

  it('ride classes serve rides of exactly their class and no delivery', () => {
    for (const vehicleClass of RIDE_CLASSES) {
      assert.equal(vehicleServes(vehicleClass, { kind: 'DELIVERY' }), false, vehicleClass);
      for (const rideClass of RIDE_CLASSES) {
        assert.equal(vehicleServes(vehicleClass, { kind: 'RIDE', rideClass }), vehicleClass === rideClass);
      }
    }
  });

  it('every class is either a delivery or a ride class', () => {
    assert.deepEqual([...DELIVERY_CLASSES, ...RIDE_CLASSES].sort(), [...VEHICLE_CLASSES].sort());
  });
});

describe('plates', () => {
  it('are normalised to upper case without spaces', () => {
    assert.equal(normalisePlate(' b ab\t123 '), 'BAB123');
    assert.equal(normalisePlate('ka-xy-9'), 'KA-XY-9');
  });

  it('match 2 to 10 of A-Z, 0-9 and hyphens', () => {
    for (const plate of ['AB', 'B-AB-123', '1234567890', 'XX-9']) assert.ok(PLATE_PATTERN.test(plate), plate);
    for (const plate of ['A', '12345678901', 'AB_12', 'ÄB12', 'AB.12', ''])
      assert.ok(!PLATE_PATTERN.test(plate), plate);
  });
});

describe('vehicle verification rules', () => {
  it('accepts a vehicle that passes every rule', () => {
    assert.deepEqual(vehicleRejectionReasons(GOOD, TODAY), []);
  });

  it('refuses a badly formed plate', () => {
    const [reason] = vehicleRejectionReasons({ ...GOOD, plate: 'AB_12' }, TODAY);
    assert.match(reason ?? '', /plate "AB_12"/);
  });

  it('accepts a vehicle exactly 15 model years old and refuses one 16 years old', () => {
    assert.deepEqual(vehicleRejectionReasons({ ...GOOD, year: 2011 }, TODAY), []);
    const reasons = vehicleRejectionReasons({ ...GOOD, year: 2010 }, TODAY);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /built in 2010.*before 2011/);
  });

  it('needs both documents valid today: valid through their expiry day', () => {
    assert.deepEqual(vehicleRejectionReasons({ ...GOOD, insuranceExpiry: TODAY, inspectionExpiry: TODAY }, TODAY), []);
    const reasons = vehicleRejectionReasons(
      { ...GOOD, insuranceExpiry: '2026-06-14', inspectionExpiry: '2025-01-01' },
      TODAY,
    );
    assert.deepEqual(reasons, ['insurance expired on 2026-06-14', 'inspection expired on 2025-01-01']);
    assert.deepEqual(expiredDocuments({ insuranceExpiry: '2026-06-14', inspectionExpiry: TODAY }, TODAY), [
      'insurance expired on 2026-06-14',
    ]);
  });

  it('needs the seats of a ride class; delivery classes need none', () => {
    assert.equal(vehicleRejectionReasons({ ...GOOD, class: 'XL', capacity: 4 }, TODAY).length, 1);
    assert.deepEqual(vehicleRejectionReasons({ ...GOOD, class: 'XL', capacity: 6 }, TODAY), []);
    assert.equal(vehicleRejectionReasons({ ...GOOD, class: 'COMFORT', capacity: 2 }, TODAY).length, 1);
    assert.deepEqual(vehicleRejectionReasons({ ...GOOD, class: 'BIKE', capacity: 0 }, TODAY), []);
  });

  it('lists every failed rule at once', () => {
    const reasons = vehicleRejectionReasons(
      { ...GOOD, plate: 'X', year: 1990, insuranceExpiry: '2020-01-01', class: 'XL', capacity: 1 },
      TODAY,
    );
    assert.equal(reasons.length, 4);
  });

  it('today is the UTC date', () => {
    assert.equal(todayUtc(new Date('2026-06-15T23:59:59.999Z')), '2026-06-15');
    assert.equal(todayUtc(new Date('2026-06-16T00:00:00Z')), '2026-06-16');
  });
});

describe('going online', () => {
  const ready: AvailabilityFacts = {
    driver: { status: 'VERIFIED', licenceExpiry: '2027-01-01' },
    vehicle: { plate: 'B-AB-123', status: 'VERIFIED', insuranceExpiry: '2027-01-01', inspectionExpiry: TODAY },
    vendor: { name: 'Fleet', status: 'ACTIVE' },
  };
  const codes = (facts: AvailabilityFacts) => onlineRefusals(facts, TODAY).map((refusal) => refusal.code);

  it('is allowed when every rule holds', () => {
    assert.deepEqual(codes(ready), []);
  });

  it('names each failed rule, one by one', () => {
    assert.deepEqual(codes({ ...ready, driver: { ...ready.driver, status: 'PENDING' } }), ['licence_not_verified']);
    assert.deepEqual(codes({ ...ready, driver: { ...ready.driver, licenceExpiry: '2026-06-14' } }), [
      'licence_expired',
    ]);
    assert.deepEqual(codes({ ...ready, vehicle: null }), ['no_active_vehicle']);
    assert.deepEqual(codes({ ...ready, vehicle: { ...ready.vehicle!, status: 'SUSPENDED' } }), [
      'vehicle_not_verified',
    ]);
    assert.deepEqual(codes({ ...ready, vehicle: { ...ready.vehicle!, insuranceExpiry: '2026-06-01' } }), [
      'vehicle_documents_expired',
    ]);
    assert.deepEqual(codes({ ...ready, vendor: { ...ready.vendor, status: 'SUSPENDED' } }), ['vendor_not_active']);
  });

  it('names every failed rule at once, with the field to fix', () => {
    const refusals = onlineRefusals(
      {
        driver: { status: 'REJECTED', licenceExpiry: '2020-01-01' },
        vehicle: null,
        vendor: { name: 'Fleet', status: 'SUSPENDED' },
      },
      TODAY,
    );
    assert.deepEqual(
      refusals.map((refusal) => [refusal.code, refusal.field]),
      [
        ['licence_not_verified', 'licence'],
        ['licence_expired', 'licence'],
        ['no_active_vehicle', 'activeVehicle'],
        ['vendor_not_active', 'vendor'],
      ],
    );
  });
});

describe('fleet lifecycles', () => {
  it('every status has an entry and every target is a status', () => {
    const tables: [Readonly<Record<string, readonly string[]>>, readonly string[]][] = [
      [DRIVER_TRANSITIONS, DRIVER_STATUSES],
      [VEHICLE_TRANSITIONS, VEHICLE_STATUSES],
    ];
    for (const [table, statuses] of tables) {
      assert.deepEqual(Object.keys(table).sort(), [...statuses].sort());
      for (const targets of Object.values(table))
        for (const target of targets) assert.ok(statuses.includes(target), target);
    }
  });

  it('drivers: verify from PENDING or REJECTED, reject from PENDING or VERIFIED, nothing back to PENDING', () => {
    assert.ok(canTransitionDriver('PENDING', 'VERIFIED'));
    assert.ok(canTransitionDriver('REJECTED', 'VERIFIED'));
    assert.ok(canTransitionDriver('VERIFIED', 'REJECTED'));
    assert.ok(!canTransitionDriver('VERIFIED', 'VERIFIED'));
    assert.ok(!canTransitionDriver('REJECTED', 'REJECTED'));
    assert.ok(!canTransitionDriver('VERIFIED', 'PENDING'));
  });

  it('vehicles: only the verifier leaves SUBMITTED; only the expiry job suspends; any status resubmits', () => {
    for (const status of VEHICLE_STATUSES) assert.ok(canTransitionVehicle(status, 'SUBMITTED'), status);
    assert.ok(canTransitionVehicle('VERIFIED', 'SUSPENDED'));
    assert.ok(!canTransitionVehicle('SUBMITTED', 'SUSPENDED'));
    assert.ok(!canTransitionVehicle('REJECTED', 'VERIFIED'));
    assert.ok(!canTransitionVehicle('SUSPENDED', 'VERIFIED'));
  });
});
