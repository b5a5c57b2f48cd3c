import { Pool, type Dispatcher } from 'undici';
import { DRAINING_HEADER } from '@shop/runtime';

export interface SubgraphResponse {
  status: number;
  /** The subgraph's Cache-Control header, when it sent one. */
  cacheControl: string | null;
  /** The draining answer: HTTP 503 with `x-shop-draining: 1`. The replica ran nothing. */
  draining: boolean;
  body: string;
}

export interface SubgraphClientOptions {
  /** Most connections open to this subgraph at once. */
  connections?: number;
  /** Longest wait for the response headers, and then between body chunks (also for a connection, up to 10 s). */
  timeoutMs?: number;
}

const CACHE_CONTROL = 'cache-control';
const PROBE_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One call's answer, gathered straight from undici's dispatcher callbacks: the status, the
 * Cache-Control header and the body's bytes. No response object, body stream or header
 * object is built for it.
 */
class ResponseCollector implements Dispatcher.DispatchHandlers {
  private status = 0;
  private cacheControl: string | null = null;
  private draining = false;
  private readonly chunks: Buffer[] = [];
  private abort: ((reason?: Error) => void) | null = null;

  constructor(
    private readonly resolve: (response: SubgraphResponse) => void,
    private readonly reject: (error: Error) => void,
    private readonly signal: AbortSignal | undefined,
  ) {}

  onConnect(abort: (reason?: Error) => void): void {
    if (!this.signal) return;
    if (this.signal.aborted) {
      abort(abortError(this.signal));
      return;
    }
    this.abort = abort;
    this.signal.addEventListener('abort', this, { once: true });
  }

  /** The signal's abort: undici then calls onError with this error. */
  handleEvent(): void {
    this.abort?.(abortError(this.signal!));
  }

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    // Informational answers (103 Early Hints) come before the real one: not its headers.
    if (status < 200) return true;
    this.status = status;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!;
      if (name.length === CACHE_CONTROL.length && name.toString('latin1').toLowerCase() === CACHE_CONTROL) {
        const value = rawHeaders[i + 1]!.toString('latin1');
        this.cacheControl = this.cacheControl === null ? value : `${this.cacheControl}, ${value}`;
      } else if (status === 503 && name.length === DRAINING_HEADER.length && name.toString('latin1').toLowerCase() === DRAINING_HEADER) {
        this.draining = rawHeaders[i + 1]!.toString('latin1').trim() === '1';
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    this.done();
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.resolve({ status: this.status, cacheControl: this.cacheControl, draining: this.draining, body: body.toString('utf8') });
  }

  onError(error: Error): void {
    this.done();
    this.reject(error);
  }

  private done(): void {
    if (this.abort) this.signal!.removeEventListener('abort', this);
    this.abort = null;
  }
}

/** The error a fetch cut by its signal fails with: code ABORTED, whatever the signal's reason. */
function abortError(signal: AbortSignal): Error {
  return Object.assign(new Error('The subgraph fetch was aborted: the request ran out of time.', { cause: signal.reason }), { code: 'ABORTED' });
}

/**
 * POSTs to one subgraph replica over a keep-alive pool (undici's Pool), taking the answer from the
 * dispatcher's callbacks. It replaced node:http's ClientRequest and Agent, whose per-call
 * object graph cost about 30 µs of the router's CPU per subgraph call; undici's `request`,
 * with its body stream and header object per call, cost a few percent of the router's CPU
 * more than this; Node's built-in fetch, with web streams and Request objects, more still.
 */
export class SubgraphClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    readonly url: string,
    options: SubgraphClientOptions = {},
  ) {
    const target = new URL(url);
    this.path = `${target.pathname}${target.search}`;
    const timeout = options.timeoutMs ?? 30_000;
    this.pool = new Pool(target.origin, {
      connections: options.connections ?? 128,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connectTimeout: Math.min(timeout, CONNECT_TIMEOUT_MS),
    });
  }

  /** `signal` aborts the call (it then fails with code ABORTED): the client's request deadline. */
  post(headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<SubgraphResponse> {
    return new Promise((resolve, reject) => {
      this.pool.dispatch({ path: this.path, method: 'POST', headers, body }, new ResponseCollector(resolve, reject, signal));
    });
  }

  /** Whether the replica says it is ready: GET <origin>/health/ready answers 2xx within a second. */
  async ready(): Promise<boolean> {
    try {
      const response = await this.pool.request({ path: '/health/ready', method: 'GET', headersTimeout: PROBE_TIMEOUT_MS, bodyTimeout: PROBE_TIMEOUT_MS });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode <= 299;
    } catch {
      return false;
    }
  }

  /** Closes the idle connections and waits for calls in flight. */
  close(): Promise<void> {
    return this.pool.close();
  }
}
