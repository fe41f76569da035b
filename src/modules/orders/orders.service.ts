import { Inject, Injectable } from '@nestjs/common';
import { page, type Page } from '../../common/http/pagination.js';
import { newId } from '../../common/ids.js';
import type { Actor } from '../../common/request-context.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { StockLedger, type OrderableProduct as Product } from '../catalog/stock-ledger.js';
import { problem } from '../../common/http/problem.js';
import { ProblemException } from '../../common/http/problem-exception.js';
import { AddressesService } from '../customers/addresses.service.js';
import { PaymentsService } from '../payments/payments.service.js';
import type { TenantContext } from '../tenants/tenant-scope.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { addressNotFound, illegalTransition, orderNotFound } from './order-problems.js';
import { OrderTransitions, type TransitionResult } from './order-transitions.js';
import { customerOrderSummary, orderEventView, orderSnapshotOf, orderSummary, orderView } from './order-view.js';
import { customerOrdersRepository } from './customer-orders.repository.js';
import type {
  CancelOrderBody,
  ListOrdersQuery,
  OrderEta,
  OrderSummary,
  OrderView,
  PlaceOrderBody,
} from './orders.dto.js';
import { OrderPlaced } from './orders.events.js';
import { ordersRepository, type NewOrder, type Order } from './orders.repository.js';
import { GEO_INDEX, type GeoIndexPort } from '../../infra/geo/geo.port.js';
import { haversineKm } from '../../infra/geo/geo-math.js';
import type { PaginationQuery } from '../../common/http/pagination.js';
import { INT4_MAX } from '../../common/int4.js';

export interface RideRequest {
  pickup: { lat: number; lng: number; address: string };
  dropoff: { lat: number; lng: number; address: string };
  vehicleClass: string;
  scheduledAt?: Date;
  note?: string;
  /** The upfront fare, minor units of the rides tenant's currency. */
  fare: number;
}

/** Average door-to-door speed in a city, for rough ETAs. */
const CITY_SPEED_KMH = 25;

const isStaff = (actor: Actor) => actor.role === 'ADMIN' || actor.role === 'MERCHANT';

/**
 * Order intake, reads and cancellation. Intake only records the order (PENDING) with its first
 * order event and `order.placed`; the `order-validator` consumer does the stock work and opens the
 * checkout; `order-payments` applies payment outcomes; `payment-expiry` expires unpaid orders.
 */
@Injectable()
export class OrdersService {
  constructor(
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(StockLedger) private readonly stock: StockLedger,
    @Inject(OrderTransitions) private readonly transitions: OrderTransitions,
    @Inject(AddressesService) private readonly addresses: AddressesService,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(PaymentsService) private readonly payments: PaymentsService,
    @Inject(GEO_INDEX) private readonly geo: GeoIndexPort,
  ) {}

  /**
   * Records a PENDING order with id `orderId`. Idempotent on the id: a second call (the same
   * Idempotency-Key retried or sent twice at once) finds the order and emits nothing.
   */
  async place(tenant: TenantContext, actor: Actor, body: PlaceOrderBody, orderId: string): Promise<OrderView> {
    let dropoff: { lat: number; lng: number; address: string };
    if (body.addressId !== undefined) {
      const address = await this.addresses.find(actor.id, body.addressId);
      if (!address) throw addressNotFound(body.addressId);
      dropoff = { lat: address.lat, lng: address.lng, address: address.address };
    } else {
      dropoff = body.dropoff!;
    }
    return this.record(
      tenant,
      actor,
      {
        id: orderId,
        kind: 'DELIVERY',
        customerId: actor.id,
        status: 'PENDING',
        currency: tenant.currency,
        dropoffLat: dropoff.lat,
        dropoffLng: dropoff.lng,
        dropoffAddress: dropoff.address,
        note: body.note ?? null,
      },
      body.items,
    );
  }

  /**
   * Records a PENDING ride (kind RIDE, in the rides tenant) priced upfront with its fare. Idempotent on
   * the id like `place`. The validator opens its checkout; paid, it is dispatched (or SCHEDULED).
   */
  placeRide(tenant: TenantContext, actor: Actor, ride: RideRequest, orderId: string): Promise<OrderView> {
    return this.record(
      tenant,
      actor,
      {
        id: orderId,
        kind: 'RIDE',
        customerId: actor.id,
        status: 'PENDING',
        currency: tenant.currency,
        subtotal: ride.fare,
        deliveryFee: 0,
        total: ride.fare,
        pickupLat: ride.pickup.lat,
        pickupLng: ride.pickup.lng,
        pickupAddress: ride.pickup.address,
        dropoffLat: ride.dropoff.lat,
        dropoffLng: ride.dropoff.lng,
        dropoffAddress: ride.dropoff.address,
        rideClass: ride.vehicleClass,
        scheduledAt: ride.scheduledAt ?? null,
        note: ride.note ?? null,
      },
      [],
    );
  }

  /** Inserts the order (once per id) with its lines, its first order event and `order.placed`. */
  private record(
    tenant: TenantContext,
    actor: Actor,
    order: NewOrder & { id: string },
    items: PlaceOrderBody['items'],
  ): Promise<OrderView> {
    const orderId = order.id;
    return this.unitOfWork.run(tenant.db, async (tx, emit) => {
      const products = items.length > 0 ? await this.assertOrderable(tx, items) : new Map<string, Product>();
      const inserted = await ordersRepository.insertOnce(tx, order);
      if (!inserted) {
        // A repeated Idempotency-Key: the order as it stands now.
        const stored = (await ordersRepository.find(tx, orderId))!;
        // The id came from this customer's own idempotency key, so a foreign order here would be a bug.
        if (stored.customerId !== actor.id) throw new Error(`Order ${orderId} belongs to another customer`);
        return this.view(tx, stored, tenant.code);
      }
      // Names and prices as the customer saw them now: the validator keeps them (and checks availability again).
      const lines = await ordersRepository.insertItems(
        tx,
        items.map((item, line) => ({
          orderId,
          line,
          productId: item.productId,
          quantity: item.quantity,
          ...priceSnapshot(products.get(item.productId)!, item.quantity),
        })),
      );
      await ordersRepository.insertEvent(tx, {
        id: newId(),
        orderId,
        fromStatus: null,
        toStatus: 'PENDING',
        actorId: actor.id,
        actorRole: actor.role,
        reason: order.kind === 'RIDE' ? 'requested' : 'placed',
      });
      await emit(OrderPlaced, {
        aggregateId: orderId,
        tenant: tenant.code,
        payload: {
          orderId,
          customerId: actor.id,
          before: null,
          after: { status: 'PENDING', items: items.length },
          order: orderSnapshotOf(inserted),
        },
      });
      // Just written, so nothing to read back: a PENDING order has no checkout and no driver yet.
      return orderView(inserted, lines, tenant.code, null, null);
    });
  }

  async get(tenant: TenantContext, actor: Actor, id: string): Promise<OrderView> {
    return tenant.db.transaction(async (tx) => {
      return this.view(tx, visible(await ordersRepository.find(tx, id), actor, id), tenant.code);
    });
  }

  /** Whether the actor may read the order (its customer, or the tenant's staff). */
  async canSee(tenant: TenantContext, actor: Actor, id: string): Promise<boolean> {
    const order = await tenant.db.transaction((tx) => ordersRepository.find(tx, id));
    const staff = actor.role === 'ADMIN' || (actor.role === 'MERCHANT' && actor.tenant === tenant.code);
    return order !== undefined && (staff || order.customerId === actor.id || order.driverUserId === actor.id);
  }

  async events(tenant: TenantContext, actor: Actor, id: string) {
    return tenant.db.transaction(async (tx) => {
      visible(await ordersRepository.find(tx, id), actor, id);
      return { data: (await ordersRepository.events(tx, id)).map(orderEventView) };
    });
  }

  async list(tenant: TenantContext, query: ListOrdersQuery): Promise<Page<OrderSummary>> {
    const { rows, total } = await tenant.db.transaction((tx) =>
      ordersRepository.page(
        tx,
        {
          status: query.status,
          from: query.from ? new Date(query.from) : undefined,
          to: query.to ? new Date(query.to) : undefined,
        },
        query.per_page,
        (query.page - 1) * query.per_page,
      ),
    );
    return page(
      rows.map((row) => orderSummary(row, tenant.code)),
      query,
      total,
    );
  }

  /**
   * A customer's orders across every READY tenant, newest first, from the `customer_orders` read model
   * in the control database (kept by the `customer-orders` consumer): one indexed page and its count,
   * however many tenants there are. Eventually consistent: an order placed a moment ago may not be
   * listed yet. Rows carry their tenant and only exist for tenants that are (a foreign key), so leaving
   * out the few tenants that are not READY is listing the READY ones.
   */
  async listForCustomer(customerId: string, query: PaginationQuery): Promise<Page<OrderSummary>> {
    const hidden = await this.tenants.notReadyCodes();
    const { rows, total } = await this.control.read((tx) =>
      customerOrdersRepository.page(tx, customerId, hidden, query.per_page, (query.page - 1) * query.per_page),
    );
    return page(rows.map(customerOrderSummary), query, total);
  }

  /**
   * Cancels the order (its customer, the tenant's staff) from any state before pick-up: stock goes
   * back (reservation released, or sold units restocked), open checkouts close, and money taken is
   * refunded through the provider (asynchronously, by the `refund-processor`; the payment shows
   * REFUNDED once the provider confirmed).
   */
  async cancel(tenant: TenantContext, actor: Actor, id: string, body: CancelOrderBody): Promise<OrderView> {
    return this.unitOfWork.run(tenant.db, async (tx, emit, afterCommit) => {
      const order = visible(await ordersRepository.find(tx, id, true), actor, id);
      const result = await this.transitions.apply(
        { tx, emit, afterCommit },
        {
          tenant: tenant.code,
          order,
          to: 'CANCELLED',
          actor: { id: actor.id, role: actor.role },
          reason: body.reason,
          changes: { cancelReason: body.reason },
        },
      );
      if (!result.ok) throw refusal(result);
      return this.view(tx, result.order, tenant.code);
    });
  }

  /** The assigned driver has the goods (or the rider) on board. */
  pickUp(tenant: TenantContext, actor: Actor, id: string): Promise<OrderView> {
    return this.driverMoves(tenant, actor, id, 'PICKED_UP', 'picked up', {});
  }

  /** The assigned driver handed over; `note` is the optional proof (where it was left, who took it). */
  deliver(tenant: TenantContext, actor: Actor, id: string, note: string | undefined): Promise<OrderView> {
    return this.driverMoves(tenant, actor, id, 'DELIVERED', note ?? 'delivered', { proofNote: note ?? null });
  }

  private driverMoves(
    tenant: TenantContext,
    actor: Actor,
    id: string,
    to: 'PICKED_UP' | 'DELIVERED',
    reason: string,
    changes: Partial<NewOrder>,
  ): Promise<OrderView> {
    return this.unitOfWork.run(tenant.db, async (tx, emit, afterCommit) => {
      const order = await ordersRepository.find(tx, id, true);
      // Only the assigned driver; anyone else learns nothing about the order.
      if (!order || order.driverUserId !== actor.id) throw orderNotFound(id);
      const result = await this.transitions.apply(
        { tx, emit, afterCommit },
        { tenant: tenant.code, order, to, actor: { id: actor.id, role: actor.role }, reason, changes },
      );
      if (!result.ok) throw refusal(result);
      return this.view(tx, result.order, tenant.code);
    });
  }

  /** Every payment of the order, with its events and refunds (same visibility as the order). */
  async paymentHistory(tenant: TenantContext, actor: Actor, id: string) {
    return tenant.db.transaction(async (tx) => {
      visible(await ordersRepository.find(tx, id), actor, id);
      return this.payments.history(tx, id);
    });
  }

  /**
   * Every product must be this shop's and orderable now (else 422 naming the line, nothing written);
   * the products found, by id. The validator checks again under its lock: a product can still be
   * withdrawn in between.
   */
  private async assertOrderable(tx: Db, items: PlaceOrderBody['items']): Promise<Map<string, Product>> {
    const found = new Map(
      (
        await this.stock.orderable(
          tx,
          items.map((item) => item.productId),
        )
      ).map((product) => [product.id, product]),
    );
    const errors = items.flatMap((item, index) =>
      found.has(item.productId)
        ? []
        : [{ field: `items.${index}.productId`, message: 'no such product in this shop, or not available' }],
    );
    if (errors.length > 0) {
      throw new ProblemException(problem(422, 'Some items cannot be ordered; nothing was placed.', { errors }));
    }
    return found;
  }

  private async view(tx: Db, order: Order, tenant: string): Promise<OrderView> {
    const [items, checkouts] = await Promise.all([
      ordersRepository.items(tx, order.id),
      this.payments.latestCheckouts(tx, [order.id]),
    ]);
    return orderView(order, items, tenant, checkouts.get(order.id) ?? null, await this.eta(order));
  }

  /**
   * A rough ETA while a driver is on the way: straight-line distance from the driver's live position
   * (to the pickup, then the drop-off; or straight to the drop-off once picked up) at city speed.
   */
  private async eta(order: Order): Promise<OrderEta | null> {
    if (!order.driverId || (order.status !== 'DRIVER_ASSIGNED' && order.status !== 'PICKED_UP')) return null;
    const position = await this.geo.position(order.driverId).catch(() => undefined);
    if (!position) return null;
    const dropoff = { lat: order.dropoffLat, lng: order.dropoffLng };
    const km =
      order.status === 'PICKED_UP' || order.pickupLat === null || order.pickupLng === null
        ? haversineKm(position, dropoff)
        : haversineKm(position, { lat: order.pickupLat, lng: order.pickupLng }) +
          haversineKm({ lat: order.pickupLat, lng: order.pickupLng }, dropoff);
    return { minutes: Math.max(1, Math.ceil((km / CITY_SPEED_KMH) * 60)), basedOn: position.at.toISOString() };
  }
}

/** A refused move as an HTTP problem: 409 for an illegal move. Only validation holds stock, so not that. */
function refusal(result: Exclude<TransitionResult, { ok: true }>): Error {
  if (result.kind === 'illegal-transition') return illegalTransition(result);
  return new Error(`Unexpected stock refusal (${result.reason}) outside validation`);
}

/** The order if the actor may see it: staff of the tenant (the guard checked), or the customer who placed it. */
function visible(order: Order | undefined, actor: Actor, id: string): Order {
  const own = order && (order.customerId === actor.id || (actor.role === 'DRIVER' && order.driverUserId === actor.id));
  if (!order || (!isStaff(actor) && !own)) throw orderNotFound(id);
  return order;
}

/** A line's name and prices; none when its total would not fit a column (the validator rejects such an order). */
function priceSnapshot(product: Product, quantity: number) {
  const lineTotal = product.price * quantity;
  return lineTotal > INT4_MAX ? {} : { name: product.name, unitPrice: product.price, lineTotal };
}
