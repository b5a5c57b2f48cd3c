import { describe, expect, it } from 'vitest';
import { PersistedQueryList, sha256 } from './manifest';
import { resolveOperation, type PersistedQueryMode } from './policy';

const listedBody = 'query Listed { a }';
const list = new PersistedQueryList([{ id: 'listed-id', name: 'Listed', type: 'query', body: listedBody }]);
const free = '{ b }';
const apqHash = sha256(free);

const resolveIn = (mode: PersistedQueryMode) => ({
  byId: resolveOperation({ id: 'listed-id' }, mode, list),
  byIdAndText: resolveOperation({ id: 'listed-id', query: listedBody }, mode, list),
  idWithOtherText: resolveOperation({ id: 'listed-id', query: free }, mode, list),
  listedText: resolveOperation({ query: listedBody }, mode, list),
  freeText: resolveOperation({ query: free }, mode, list),
  apqRegister: resolveOperation({ id: apqHash, query: free }, mode, list),
  apqHashOnly: resolveOperation({ id: apqHash }, mode, list),
  nothing: resolveOperation({}, mode, list),
});

const run = (source: string, fromManifest: boolean) => ({ kind: 'run', source, fromManifest });
const code = (c: string) => expect.objectContaining({ kind: 'refuse', code: c });

describe('resolveOperation', () => {
  it('runs a manifest id’s body in every mode, and refuses other text under that id', () => {
    for (const mode of ['off', 'audit', 'safelist', 'require-id'] as const) {
      const r = resolveIn(mode);
      expect(r.byId).toEqual(run(listedBody, true));
      expect(r.byIdAndText).toEqual(run(listedBody, true));
      expect(r.idWithOtherText).toEqual(code('BAD_REQUEST'));
    }
  });

  it('off and audit: free text runs, unknown hashes go to APQ', () => {
    for (const mode of ['off', 'audit'] as const) {
      const r = resolveIn(mode);
      expect(r.freeText).toEqual(run(free, false));
      expect(r.listedText).toEqual(run(listedBody, false));
      expect(r.apqRegister).toEqual(run(free, false));
      expect(r.apqHashOnly).toEqual({ kind: 'apq' });
      expect(r.nothing).toEqual({ kind: 'pass' });
    }
  });

  it('safelist: only listed operations, by id or identical text; no APQ', () => {
    const r = resolveIn('safelist');
    expect(r.listedText).toEqual(run(listedBody, true));
    expect(r.freeText).toEqual(code('PERSISTED_QUERY_NOT_IN_LIST'));
    expect(r.apqRegister).toEqual(code('PERSISTED_QUERY_NOT_IN_LIST'));
    expect(r.apqHashOnly).toEqual(code('PERSISTED_QUERY_NOT_IN_LIST'));
  });

  it('require-id: only ids; text gets PERSISTED_QUERY_ID_REQUIRED', () => {
    const r = resolveIn('require-id');
    expect(r.freeText).toEqual(code('PERSISTED_QUERY_ID_REQUIRED'));
    expect(r.listedText).toEqual(code('PERSISTED_QUERY_ID_REQUIRED'));
    expect(r.apqRegister).toEqual(code('PERSISTED_QUERY_NOT_IN_LIST'));
    expect(r.apqHashOnly).toEqual(code('PERSISTED_QUERY_NOT_IN_LIST'));
  });
});
