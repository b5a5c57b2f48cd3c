import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest, PersistedQueryList, sha256 } from './manifest';

const manifest = (operations: unknown[]) => JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations });
const op = (name: string, body = `query ${name} { a }`) => ({ id: sha256(body), name, type: 'query' as const, body });

describe('persisted query manifests', () => {
  it('reads Apollo’s format', () => {
    const operations = parseManifest(manifest([op('A'), op('B')]), 'test.json');
    expect(operations.map((o) => o.name)).toEqual(['A', 'B']);
  });

  it('names the file and the problem when it is not a manifest', () => {
    expect(() => parseManifest('{', 'broken.json')).toThrow(/^broken\.json: not JSON/);
    expect(() => parseManifest(JSON.stringify({ format: 'other', version: 1, operations: [] }), 'm.json')).toThrow(/m\.json: .*format/);
    expect(() => parseManifest(manifest([{ id: 'x', name: 'A', type: 'query' }]), 'm.json')).toThrow(/operations\.0\.body/);
    expect(() => parseManifest(manifest([{ ...op('A'), type: 'fragment' }]), 'm.json')).toThrow(/operations\.0\.type/);
  });

  it('finds operations by id and by identical body only', () => {
    const a = op('A');
    const list = new PersistedQueryList([a, op('B')]);
    expect(list.size).toBe(2);
    expect(list.byIdentifier(a.id)?.name).toBe('A');
    expect(list.byIdentifier('unknown')).toBeUndefined();
    expect(list.byBody(a.body)?.name).toBe('A');
    expect(list.byBody(`${a.body} `)).toBeUndefined();
    expect(list.hasBodyHash(sha256(a.body))).toBe(true);
  });

  it('refuses one id for two different operations, and accepts the same one twice', () => {
    const a = op('A');
    expect(() => new PersistedQueryList([a, { ...a, body: 'query A { b }' }])).toThrow(/two different operations/);
    expect(new PersistedQueryList([a, a]).size).toBe(1);
  });

  it('the mobile client’s checked-in manifest has sha256 ids of its bodies', () => {
    const path = resolve(__dirname, '../../../schema/persisted-queries/mobile.json');
    const operations = parseManifest(readFileSync(path, 'utf8'), path);
    expect(operations.map((o) => o.name).sort()).toEqual(['AddToCart', 'MyCart', 'MyOrders', 'PlaceOrder', 'ProductBySku', 'Products']);
    for (const operation of operations) expect(operation.id).toBe(sha256(operation.body));
  });
});
