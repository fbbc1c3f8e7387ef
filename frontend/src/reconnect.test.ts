import { describe, expect, it } from 'vitest';
import { connectionPath, rememberOAuthReturn, returnTarget, safeReturnPath, takeOAuthReturn } from './reconnect';

const P = '0b7d2c4e-1111-4a2b-9c3d-000000000001';
const OTHER = '0b7d2c4e-1111-4a2b-9c3d-000000000002';
const C = 'c0ffee00-2222-4b3c-8d4e-000000000003';
const S = '5a5a5a5a-3333-4c4d-9e5f-000000000004';
const J = '7b7b7b7b-4444-4d5e-8f60-000000000005';

/** sessionStorage as the browser has it: strings in, strings out. */
function memoryStorage(): Storage {
  const m = new Map<string, string>();
  return {
    get length() {
      return m.size;
    },
    clear: () => m.clear(),
    getItem: (k) => m.get(k) ?? null,
    key: (i) => [...m.keys()][i] ?? null,
    removeItem: (k) => void m.delete(k),
    setItem: (k, v) => void m.set(k, String(v)),
  };
}

describe('links to one connection', () => {
  it('name the connection, open its reconnect action and carry the way back', () => {
    const from = `/projects/${P}/sources/${S}/runs/${J}`;
    const url = new URL(connectionPath(P, C, { reconnect: true, from }), 'http://x');
    expect(url.pathname).toBe(`/projects/${P}/credentials/${C}`);
    expect(url.searchParams.get('reconnect')).toBe('1');
    expect(url.searchParams.get('from')).toBe(from);
    expect(connectionPath(P, C)).toBe(`/projects/${P}/credentials/${C}`);
  });

  it('accept a return path only inside the same project, so `from` cannot redirect anywhere else', () => {
    expect(safeReturnPath(`/projects/${P}/sources/${S}`, P)).toBe(`/projects/${P}/sources/${S}`);
    expect(safeReturnPath(`/projects/${OTHER}/sources/${S}`, P)).toBeNull();
    expect(safeReturnPath('https://evil.example/projects', P)).toBeNull();
    expect(safeReturnPath(`//evil.example/projects/${P}/`, P)).toBeNull();
    expect(safeReturnPath(`/projects/${P}//evil.example`, P)).toBeNull();
    expect(safeReturnPath(`/projects/${P}/x?next=https://evil.example`, P)).toBeNull();
    expect(safeReturnPath(null, P)).toBeNull();
  });

  it('find the data source and run a return path names, to extract it again', () => {
    expect(returnTarget(`/projects/${P}/sources/${S}/runs/${J}`)).toEqual({ sourceId: S, jobId: J });
    expect(returnTarget(`/projects/${P}/sources/${S}`)).toEqual({ sourceId: S, jobId: null });
    expect(returnTarget(`/projects/${P}/activity`)).toBeNull();
    expect(returnTarget(`/projects/${P}/sources/new`)).toBeNull();
    expect(returnTarget(null)).toBeNull();
  });
});

describe('the way back across the OAuth round trip', () => {
  it('is read once, by the flow whose state it was stored under', () => {
    const storage = memoryStorage();
    const from = `/projects/${P}/sources/${S}/runs/${J}`;
    rememberOAuthReturn('state-a', { projectId: P, credentialId: C, from }, storage);
    expect(takeOAuthReturn('state-b', storage)).toBeNull();
    expect(takeOAuthReturn('state-a', storage)).toEqual({ projectId: P, credentialId: C, from });
    expect(takeOAuthReturn('state-a', storage)).toBeNull();
    expect(storage.length).toBe(0);
  });

  it('drops a tampered return path and ignores what it cannot read', () => {
    const storage = memoryStorage();
    rememberOAuthReturn('s1', { projectId: P, credentialId: C, from: 'https://evil.example/' }, storage);
    expect(takeOAuthReturn('s1', storage)).toEqual({ projectId: P, credentialId: C, from: null });
    storage.setItem('tributary:oauth-return:s2', '{not json');
    expect(takeOAuthReturn('s2', storage)).toBeNull();
    expect(takeOAuthReturn(null, storage)).toBeNull();
  });
});
