import type { Identity, RequestScope } from '@shop/runtime';
import type { Admission } from './front-door';

/** What each client request carries through Apollo and the gateway to the subgraph fetches. */
export interface RouterContext {
  /** The request's trace and counters. */
  scope: RequestScope;
  identity: Identity | null;
  /** What the front door decided before Apollo saw the request. */
  frontDoor?: Admission;
}
