/**
 * The draining answer: while a process shuts down it answers every new request with HTTP 503,
 * this header set to `1` and `Connection: close`, before executing anything. It is the only
 * answer, besides a refused connection, that proves a request did not run, so the load
 * balancer and the router may retry it elsewhere, mutations included.
 */
export const DRAINING_HEADER = 'x-shop-draining';
