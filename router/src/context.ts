import type { Identity, RequestScope } from '@shop/runtime';
import type { Admission } from './front-door';

/** What each client request carries through Apollo and the gateway to the subgraph fetches. */
export interface RouterContext {
  /** The request's trace and counters. */
  scope: RequestScope;
  identity: Identity | null;
  /** Who sent the request: the socket's peer, or from X-Forwarded-For when that peer is a trusted proxy (ROUTER_TRUSTED_PROXIES). */
  clientAddress: string;
  /** What the front door decided before Apollo saw the request. */
  frontDoor?: Admission;
  /** When the router took the request (Date.now()): its deadline (ROUTER_REQUEST_TIMEOUT_MS) runs from here. */
  receivedAt?: number;
  /** Aborted at the request's deadline; made by the first subgraph fetch that needs it (SignedDataSource). */
  deadline?: AbortSignal;
}
