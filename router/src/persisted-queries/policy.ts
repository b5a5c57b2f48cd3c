import type { PersistedQueryList } from './manifest';

export const PERSISTED_QUERY_MODES = ['off', 'audit', 'safelist', 'require-id'] as const;
export type PersistedQueryMode = (typeof PERSISTED_QUERY_MODES)[number];

export interface OperationRequest {
  query?: string;
  /** extensions.persistedQuery.sha256Hash: an APQ hash or a manifest id. */
  id?: string;
}

export type Resolution =
  /** Run this text: the request's own, or the manifest body for its id (`fromManifest`). */
  | { kind: 'run'; source: string; fromManifest: boolean }
  /** A hash with no text and no manifest entry: Apollo looks it up in the APQ cache. */
  | { kind: 'apq' }
  /** Nothing to resolve (no query, no id): Apollo answers as it does for any bad request. */
  | { kind: 'pass' }
  | { kind: 'refuse'; code: 'PERSISTED_QUERY_NOT_IN_LIST' | 'PERSISTED_QUERY_ID_REQUIRED' | 'BAD_REQUEST'; message: string };

export const refusals = {
  notInList: { kind: 'refuse', code: 'PERSISTED_QUERY_NOT_IN_LIST', message: 'This operation is not in the persisted query list.' },
  idRequired: {
    kind: 'refuse',
    code: 'PERSISTED_QUERY_ID_REQUIRED',
    message: 'Send a persisted query id (extensions.persistedQuery.sha256Hash) instead of query text.',
  },
  mismatch: { kind: 'refuse', code: 'BAD_REQUEST', message: 'The query text does not match the persisted query id.' },
} as const satisfies Record<string, Resolution>;

/**
 * Which text a request runs, decided before Apollo parses anything. An id is looked up in the
 * manifests first; a hit runs the manifest's body, so Apollo never needs APQ for it.
 * - off, audit: anything runs; unknown hashes go to APQ (audit logs what is not listed later).
 * - safelist: only manifest operations, by id or by byte-identical text.
 * - require-id: only manifest operations, by id.
 */
export function resolveOperation(request: OperationRequest, mode: PersistedQueryMode, list: PersistedQueryList): Resolution {
  const { query, id } = request;
  const listed = id === undefined ? undefined : list.byIdentifier(id);
  if (listed) {
    if (query !== undefined && query !== listed.body) return refusals.mismatch;
    return { kind: 'run', source: listed.body, fromManifest: true };
  }
  switch (mode) {
    case 'off':
    case 'audit':
      if (query !== undefined) return { kind: 'run', source: query, fromManifest: false };
      return id === undefined ? { kind: 'pass' } : { kind: 'apq' };
    case 'safelist':
      if (query !== undefined) return list.byBody(query) ? { kind: 'run', source: query, fromManifest: true } : refusals.notInList;
      return id === undefined ? { kind: 'pass' } : refusals.notInList;
    case 'require-id':
      if (id !== undefined) return refusals.notInList;
      return query === undefined ? { kind: 'pass' } : refusals.idRequired;
  }
}
