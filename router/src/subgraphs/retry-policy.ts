/**
 * Why a fetch to one replica failed:
 * - `refused`: no connection was made (refused, connect timeout, host not found or unreachable), so nothing was sent;
 * - `draining`: the replica answered HTTP 503 with the draining header, before running anything;
 * - `timeout`: the request was sent and the answer did not come in time;
 * - `transport`: anything else on the way (a reset or closed connection); the request may have run.
 */
export type FetchFailure = 'refused' | 'draining' | 'timeout' | 'transport';

const NOTHING_SENT: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMED_OUT: ReadonlySet<unknown> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The failure an error of the subgraph client (undici, or the socket under it) stands for. */
export function failureOf(error: unknown): FetchFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (NOTHING_SENT.has(code)) return 'refused';
  if (TIMED_OUT.has(code)) return 'timeout';
  return 'transport';
}

/** Whether the replica leaves the rotation after this failure: it refused, timed out or is draining (a one-off reset does not count). */
export function leavesRotation(failure: FetchFailure): boolean {
  return failure !== 'transport';
}

/**
 * Whether this failure counts towards opening the replica's circuit breaker: any but the
 * draining answer (a replica that says it is draining answers at once and is on its way out
 * of rotation anyway; its breaker should not keep it out once it is back).
 */
export function countsForBreaker(failure: FetchFailure): boolean {
  return failure !== 'draining';
}

/** Each failure's effect on its replica, built once (ReplicaSet.failed takes it on the hot path). */
export const FAILURE_EFFECTS: Readonly<Record<FetchFailure, { leavesRotation: boolean; countsForBreaker: boolean }>> = {
  refused: { leavesRotation: leavesRotation('refused'), countsForBreaker: countsForBreaker('refused') },
  draining: { leavesRotation: leavesRotation('draining'), countsForBreaker: countsForBreaker('draining') },
  timeout: { leavesRotation: leavesRotation('timeout'), countsForBreaker: countsForBreaker('timeout') },
  transport: { leavesRotation: leavesRotation('transport'), countsForBreaker: countsForBreaker('transport') },
};

/** An HTTP answer that says the replica is unavailable (502, 503 but not draining, 504): a failure to its breaker, not to the rotation. */
export const UNAVAILABLE_ANSWER = { leavesRotation: false, countsForBreaker: true } as const;

/**
 * Whether a failed fetch may be sent again, to another replica. Fetches that only read (a query,
 * entity fetches included) may, after any failure. Any other (the fetch carrying a mutation's
 * root fields) only when it certainly did not run: nothing was sent, or the replica answered
 * draining.
 */
export function mayRetry(failure: FetchFailure, readOnly: boolean): boolean {
  return readOnly || failure === 'refused' || failure === 'draining';
}

/**
 * Whether the gateway's fetch document is a query, from its first keyword only (the document is
 * not parsed): `query …` or the `{ … }` shorthand. Entity fetches (`query ($representations…)
 * { _entities … }`) are queries, also under a mutation; a mutation's root fields go in a
 * `mutation` document. Anything else, or a document this cannot read at a glance, counts as not
 * a query, which only makes retries rarer.
 */
export function isQueryDocument(document: string): boolean {
  const length = document.length;
  let i = 0;
  while (i < length) {
    const c = document.charCodeAt(i);
    // Ignored tokens: white space, line terminators, commas, the byte order mark, comments.
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x2c || c === 0xfeff) {
      i += 1;
    } else if (c === 0x23) {
      while (i < length && document.charCodeAt(i) !== 0x0a && document.charCodeAt(i) !== 0x0d) i += 1;
    } else {
      break;
    }
  }
  if (document.charCodeAt(i) === 0x7b) return true; // {
  return document.startsWith('query', i) && !isNameContinue(document.charCodeAt(i + 5));
}

function isNameContinue(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}
