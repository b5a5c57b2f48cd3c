import { randomUUID } from 'node:crypto';
import { routerRequest, type GraphQLResponse } from '@shop/testing';

/** One operation a shopper sent, and what came back. */
export interface Outcome {
  operation: string;
  status: number;
  /** The first error's code and message, or a transport error; undefined for a clean answer. */
  error?: string;
  ms: number;
  /** When it was sent. */
  at: string;
}

export interface Shopper {
  token: string;
  userId: string;
}

export const ME = `{ me { id name cart { totalQuantity items { product { name } } } orders(first: 3) { edges { node { id status items { product { sku } } } } } } }`;
export const PRODUCTS = `query($first: Int!) { products(first: $first) { edges { node { id sku name price { amountCents } stock } } } }`;
export const ADD_TO_CART = `mutation($productId: ID!) { addToCart(productId: $productId, quantity: 1) { totalQuantity } }`;
export const PLACE_ORDER = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
export const SIGN_UP = `mutation($email: String!, $name: String!) {
  signUp(input: { email: $email, password: "correct horse battery", name: $name }) { accessToken user { id } }
}`;

/** Signs up `count` new shoppers through the router. */
export async function signUpShoppers(url: string, count: number): Promise<Shopper[]> {
  const shoppers: Shopper[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await routerRequest<{ signUp: { accessToken: string; user: { id: string } } }>(url, SIGN_UP, {
      email: `shopper-${randomUUID()}@example.com`,
      name: `Shopper ${i}`,
    });
    if (!res.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
    shoppers.push({ token: res.data.signUp.accessToken, userId: res.data.signUp.user.id });
  }
  return shoppers;
}

/**
 * A steady mix of what shoppers do, sent open-loop on timers so a slow answer does not slow
 * the load: the four-subgraph `me` query, product pages, addToCart and placeOrder. Every
 * answer is kept; a failure is an HTTP status other than 200 or any GraphQL error.
 */
export class ShopperLoad {
  readonly outcomes: Outcome[] = [];
  /** Each placeOrder's idempotency key → the order id it returned (only successes). */
  readonly orders = new Map<string, string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private turn = 0;

  constructor(
    private readonly url: string,
    private readonly shoppers: Shopper[],
    private readonly productIds: string[],
    private readonly perSecond: { me: number; products: number; addToCart: number; placeOrder: number },
    /** How many times a failed placeOrder is sent again with the same idempotency key (0: never). */
    private readonly placeOrderRetries = 0,
  ) {}

  start(): void {
    const startedAt = Date.now();
    const plan: Array<{ perSecond: number; sent: number; send: () => Promise<void> }> = [
      { perSecond: this.perSecond.me, sent: 0, send: async () => void (await this.send('me', ME, {}, this.shopper().token)) },
      { perSecond: this.perSecond.products, sent: 0, send: async () => void (await this.send('products', PRODUCTS, { first: 20 })) },
      {
        perSecond: this.perSecond.addToCart,
        sent: 0,
        send: async () => void (await this.send('addToCart', ADD_TO_CART, { productId: this.product() }, this.shopper().token)),
      },
      { perSecond: this.perSecond.placeOrder, sent: 0, send: () => this.placeOrder() },
    ];
    // Paced by the clock, not by timer ticks: on a loaded machine timers fire late, and the
    // sends a late tick missed go out with the next one, so each rate holds over the run.
    this.timers.push(
      setInterval(() => {
        const elapsed = (Date.now() - startedAt) / 1000;
        for (const entry of plan) {
          for (; entry.sent < Math.floor(entry.perSecond * elapsed); entry.sent += 1) this.track(entry.send());
        }
      }, 20),
    );
  }

  /** Operations sent per second of the run so far, per operation. */
  rate(operation: string, seconds: number): number {
    return this.outcomes.filter((o) => o.operation === operation).length / seconds;
  }

  /** Stops sending and waits for every answer still out. */
  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  failures(): Outcome[] {
    return this.outcomes.filter((o) => o.error !== undefined);
  }

  /** Requests and failures per operation, for a test's message. */
  summary(): Record<string, { requests: number; failures: number }> {
    const summary: Record<string, { requests: number; failures: number }> = {};
    for (const o of this.outcomes) {
      const entry = (summary[o.operation] ??= { requests: 0, failures: 0 });
      entry.requests += 1;
      if (o.error !== undefined) entry.failures += 1;
    }
    return summary;
  }

  private shopper(): Shopper {
    return this.shoppers[this.turn++ % this.shoppers.length]!;
  }

  private product(): string {
    return this.productIds[Math.floor(Math.random() * this.productIds.length)]!;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async placeOrder(): Promise<void> {
    const shopper = this.shopper();
    const idempotencyKey = randomUUID();
    const input = { idempotencyKey, items: [{ productId: this.product(), quantity: 1 }] };
    for (let attempt = 0; ; attempt += 1) {
      const res = await this.send('placeOrder', PLACE_ORDER, { input }, shopper.token);
      if (res?.data?.placeOrder) this.orders.set(idempotencyKey, res.data.placeOrder.id);
      if (res?.data?.placeOrder || attempt >= this.placeOrderRetries) return;
    }
  }

  private async send(operation: string, query: string, variables: Record<string, unknown>, token?: string): Promise<GraphQLResponse | undefined> {
    const started = Date.now();
    try {
      const res = await routerRequest(this.url, query, variables, token);
      const first = res.errors?.[0];
      const error = res.status !== 200 || first ? `HTTP ${res.status} ${first?.extensions?.code ?? ''} ${first?.message ?? ''}`.trim() : undefined;
      this.outcomes.push({ operation, status: res.status, error, ms: Date.now() - started, at: new Date(started).toISOString() });
      return res;
    } catch (error) {
      const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
      const why = cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : '';
      this.outcomes.push({
        operation,
        status: 0,
        error: `transport: ${(error as Error).message}${why}`,
        ms: Date.now() - started,
        at: new Date(started).toISOString(),
      });
      return undefined;
    }
  }
}
