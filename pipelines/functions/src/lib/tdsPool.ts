/**
 * A small pool of TDS connections for the payment API's hot path: opening one (TLS, Entra token login) costs tens of
 * milliseconds, far over the flow's budget, so each instance keeps its connections open between invocations. Tedious
 * has no pool of its own. Connections open on demand, one per concurrent request, up to `max` (32: above Flex
 * Consumption's default per-instance HTTP concurrency, 16 at 2,048 MB as lib/usage.ts `functionConcurrencyPerInstance`
 * models it), so a request never waits for a connection while the instance takes no more requests than that.
 *
 * A connection is dropped when it fails (the server closed it, a failover moved the listener, a timeout left it in
 * doubt), when it has been idle too long (Azure SQL's gateway closes sessions idle for 30 minutes), when it is older
 * than `maxAgeMs` (the next login then sees a revoked grant), and before the Entra access token it logged in with
 * expires: a connection cannot present a new token, and the server may check the session's token again after a
 * reconfiguration, refusing statements once it has expired (error 37396, "access token is expired. Please login with
 * a new access token"; SqlClient's maintainer in dotnet/SqlClient#3245: "the token can be revalidated mid-session").
 */

/** What the pool needs of a connection (tedious' `Connection`, or a fake in tests). */
export interface PooledConnection {
  /** Closes the connection; never throws. */
  close(): void;
  /** True once the connection ended or failed (tedious emits `end` / `error`). */
  readonly broken: boolean;
  /** When the access token the connection logged in with expires (epoch ms), if known. */
  readonly expiresAt?: number;
}

export interface TdsPoolOptions<C extends PooledConnection> {
  /** Opens a connection (login included). */
  readonly open: () => Promise<C>;
  /** Most connections open at once (in use or idle). */
  readonly max: number;
  /** A connection idle longer than this is closed instead of reused. */
  readonly idleMs: number;
  /** A connection older than this is closed when released. */
  readonly maxAgeMs: number;
  /** How long a caller waits for a connection when all `max` are in use. */
  readonly acquireTimeoutMs: number;
  /** A connection whose login token expires within this is closed instead of reused (default TOKEN_MARGIN_MS). */
  readonly tokenMarginMs?: number;
  readonly now?: () => number;
}

/**
 * How long before its token's expiry a connection is retired (clock skew, a statement started just before). Less than
 * the token cache's refresh lead (lib/identity.ts: a fresh token is fetched from 5 minutes before expiry, the old one
 * still handed out down to 1 minute before), so a connection opened with the old token while a refresh is pending or
 * failing still serves a few minutes instead of one request each.
 */
export const TOKEN_MARGIN_MS = 2 * 60_000;

interface Slot<C> {
  readonly connection: C;
  readonly openedAt: number;
  releasedAt: number;
}

/** Pool defaults for the payment API (see the module comment). */
export const POOL_DEFAULTS = {
  max: 32,
  idleMs: 10 * 60_000,
  maxAgeMs: 60 * 60_000,
  acquireTimeoutMs: 5_000,
} as const;

/** No connection came free in time: the instance is overloaded, and trying again would only wait again. */
export class PoolTimeoutError extends Error {}

export class TdsPool<C extends PooledConnection> {
  private readonly idle: Slot<C>[] = [];
  private readonly waiters: { resolve: (slot: Slot<C>) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] =
    [];
  private open = 0;
  private readonly now: () => number;

  constructor(private readonly options: TdsPoolOptions<C>) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new Error(`pool max must be ≥ 1, got ${options.max}`);
    this.now = options.now ?? Date.now;
  }

  /** Connections open (in use or idle). */
  get size(): number {
    return this.open;
  }

  /** Idle connections. */
  get idleCount(): number {
    return this.idle.length;
  }

  /**
   * Runs `work` on a pooled connection. A connection that `work` reports as broken (or that threw an error `isFatal`
   * says left the connection unusable) is closed, not returned.
   */
  async use<T>(
    work: (connection: C) => Promise<T>,
    isFatal: (error: unknown) => boolean = () => true,
    { fresh = false }: { readonly fresh?: boolean } = {},
  ): Promise<T> {
    const slot = fresh ? await this.acquireFresh() : await this.acquire();
    let fatal = false;
    try {
      return await work(slot.connection);
    } catch (error) {
      fatal = isFatal(error);
      throw error;
    } finally {
      this.release(slot, fatal);
    }
  }

  /** Closes the idle connections (in-use ones close when released after this). */
  drain(): void {
    for (const slot of this.idle.splice(0)) this.discard(slot);
  }

  /**
   * A newly opened connection, never an idle one: after a connection-level failure the idle ones may be as dead as
   * the one that failed (a blip with no reset leaves their sockets open until TCP keepalive notices, 30 s), so a retry
   * on one of them would fail the same way. At the pool's size, an idle one is closed to make room; with none idle,
   * the retry waits as any caller does.
   */
  private async acquireFresh(): Promise<Slot<C>> {
    if (this.open >= this.options.max && this.idle.length > 0) this.discard(this.idle.shift() as Slot<C>);
    if (this.open >= this.options.max) return this.acquire();
    return this.openSlot();
  }

  /** Opens a connection into a slot of its own (the caller saw room for it). */
  private async openSlot(): Promise<Slot<C>> {
    this.open++;
    try {
      const connection = await this.options.open();
      const t = this.now();
      return { connection, openedAt: t, releasedAt: t };
    } catch (error) {
      this.open--;
      this.wakeOpener();
      throw error;
    }
  }

  private async acquire(): Promise<Slot<C>> {
    while (this.idle.length > 0) {
      // Most recently used first: it is the least likely to have been closed by the server.
      const slot = this.idle.pop() as Slot<C>;
      if (this.usable(slot, this.now())) return slot;
      this.discard(slot);
    }
    if (this.open < this.options.max) return this.openSlot();
    return new Promise<Slot<C>>((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(
            new PoolTimeoutError(
              `no SQL connection free within ${this.options.acquireTimeoutMs} ms (pool of ${this.options.max})`,
            ),
          );
        }, this.options.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(slot: Slot<C>, fatal: boolean): void {
    const t = this.now();
    if (fatal || slot.connection.broken || this.expired(slot, t)) {
      this.discard(slot);
      this.wakeOpener();
      return;
    }
    slot.releasedAt = t;
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(slot);
    } else this.idle.push(slot);
  }

  /** A slot freed by a closed connection lets the first waiter open a new one. */
  private wakeOpener(): void {
    const waiter = this.waiters.shift();
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.acquire().then(waiter.resolve, waiter.reject);
  }

  private usable(slot: Slot<C>, t: number): boolean {
    return !slot.connection.broken && t - slot.releasedAt < this.options.idleMs && !this.expired(slot, t);
  }

  /** Older than `maxAgeMs`, or its login token (nearly) expired. */
  private expired(slot: Slot<C>, t: number): boolean {
    const { expiresAt } = slot.connection;
    return (
      t - slot.openedAt >= this.options.maxAgeMs ||
      (expiresAt !== undefined && t >= expiresAt - (this.options.tokenMarginMs ?? TOKEN_MARGIN_MS))
    );
  }

  private discard(slot: Slot<C>): void {
    this.open--;
    try {
      slot.connection.close();
    } catch {
      // Closing a broken connection: nothing more to release.
    }
  }
}
