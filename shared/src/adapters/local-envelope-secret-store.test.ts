// Seam: LocalEnvelopeSecretStore against the real file system: the master key file, the per-secret
// envelope, rotation and tamper detection.
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEnvelopeSecretStore } from './local-envelope-secret-store';

const TAGS = {
  organizationId: '11111111-1111-4111-8111-111111111111',
  projectId: '22222222-2222-4222-8222-222222222222',
  platform: 'shopify',
};
let dir: string;
let store: LocalEnvelopeSecretStore;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'envelope-'));
  store = new LocalEnvelopeSecretStore({ keyFile: path.join(dir, 'master.key'), storeDir: path.join(dir, 'secrets') });
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('LocalEnvelopeSecretStore', () => {
  it('when a secret is created, it reads back while the file holds neither the plaintext nor the data key in clear', async () => {
    const { ref, keyId } = await store.create('shop', { token: 'plain-canary-value' }, TAGS);
    expect(keyId).toMatch(/^local:/);
    expect(await store.read(ref)).toEqual({ token: 'plain-canary-value' });
    const [file] = await readdir(path.join(dir, 'secrets'));
    expect(await readFile(path.join(dir, 'secrets', file!), 'utf8')).not.toContain('plain-canary-value');
    expect((await stat(path.join(dir, 'master.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'secrets', file!))).mode & 0o777).toBe(0o600);
  });

  it('when a secret is updated, the old ciphertext is gone and only the new value reads back', async () => {
    const { ref } = await store.create('shop', { token: 'old-value' }, TAGS);
    const [file] = await readdir(path.join(dir, 'secrets'));
    const before = await readFile(path.join(dir, 'secrets', file!), 'utf8');
    await store.update(ref, { token: 'new-value' });
    expect(await store.read(ref)).toEqual({ token: 'new-value' });
    const after = await readFile(path.join(dir, 'secrets', file!), 'utf8');
    expect(JSON.parse(after).wrappedKey).not.toEqual(JSON.parse(before).wrappedKey);
    expect(await readdir(path.join(dir, 'secrets'))).toHaveLength(1);
  });

  it("when one secret's ciphertext is copied onto another's file, it does not decrypt", async () => {
    const a = await store.create('a', { token: 'a-value' }, TAGS);
    const b = await store.create('b', { token: 'b-value' }, TAGS);
    const fileOf = (ref: string) => path.join(dir, 'secrets', `${ref.slice('local-secret:'.length)}.json`);
    const aFile = JSON.parse(await readFile(fileOf(a.ref), 'utf8'));
    const bFile = JSON.parse(await readFile(fileOf(b.ref), 'utf8'));
    await writeFile(fileOf(b.ref), JSON.stringify({ ...bFile, wrappedKey: aFile.wrappedKey, value: aFile.value }));
    await expect(store.read(b.ref)).rejects.toThrow();
  });

  it('when the store restarts, the master key on disk still opens earlier secrets; a deleted secret is not found', async () => {
    const { ref } = await store.create('shop', { token: 'kept' }, TAGS);
    const reopened = new LocalEnvelopeSecretStore({
      keyFile: path.join(dir, 'master.key'),
      storeDir: path.join(dir, 'secrets'),
    });
    expect(await reopened.read(ref)).toEqual({ token: 'kept' });
    await reopened.delete(ref);
    await expect(reopened.read(ref)).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    await expect(reopened.read('../../etc/passwd')).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
  });
});
