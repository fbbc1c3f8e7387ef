// The local runner's secret store: AES-256-GCM envelope encryption. Each secret gets its own random data
// key; the data key is itself encrypted (wrapped) under the master key in .tributary/master.key, created
// on first use with mode 0600. An update writes a new data key and overwrites the file, so the old value
// is gone, not merely superseded. The id, organization and project are bound in as additional
// authenticated data, so a ciphertext copied onto another secret's file does not decrypt.
import { createCipheriv, createDecipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NotFoundError } from '../domain/errors';
import type { SecretStore, SecretTags, StoredSecretRef } from '../ports/secret-store';

interface Sealed {
  iv: string;
  tag: string;
  data: string;
}

interface SecretFile {
  version: 1;
  id: string;
  name: string;
  tags: SecretTags;
  keyId: string;
  wrappedKey: Sealed;
  value: Sealed;
}

function seal(key: Buffer, plaintext: Buffer, aad: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

function open(key: Buffer, sealed: Sealed, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(aad);
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
}

export async function ensureMasterKey(keyFile: string): Promise<Buffer> {
  if (!existsSync(keyFile)) {
    await mkdir(path.dirname(keyFile), { recursive: true });
    // wx: two processes starting at once must not both write a key
    await writeFile(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' }).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      },
    );
  }
  await chmod(keyFile, 0o600);
  const key = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
  if (key.length !== 32) throw new Error(`master key in ${keyFile} is not 32 bytes of base64`);
  return key;
}

export class LocalEnvelopeSecretStore implements SecretStore {
  private master: Promise<{ key: Buffer; keyId: string }> | null = null;

  constructor(private readonly options: { keyFile: string; storeDir: string }) {}

  private masterKey() {
    this.master ??= ensureMasterKey(this.options.keyFile).then((key) => ({
      key,
      keyId: `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`,
    }));
    return this.master;
  }

  private fileOf(ref: string): string {
    if (!/^local-secret:[0-9a-f-]{36}$/.test(ref)) throw new NotFoundError('Secret');
    return path.join(this.options.storeDir, `${ref.slice('local-secret:'.length)}.json`);
  }

  private async write(id: string, name: string, tags: SecretTags, value: Record<string, unknown>): Promise<string> {
    const { key, keyId } = await this.masterKey();
    const dataKey = randomBytes(32);
    const aad = Buffer.from(`${id}|${tags.organizationId}|${tags.projectId}`);
    const file: SecretFile = {
      version: 1,
      id,
      name,
      tags,
      keyId,
      wrappedKey: seal(key, dataKey, aad),
      value: seal(dataKey, Buffer.from(JSON.stringify(value)), aad),
    };
    dataKey.fill(0);
    await mkdir(this.options.storeDir, { recursive: true, mode: 0o700 });
    const target = path.join(this.options.storeDir, `${id}.json`);
    const temp = `${target}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(file), { mode: 0o600 });
    const { rename } = await import('node:fs/promises');
    await rename(temp, target);
    return keyId;
  }

  async create(name: string, value: Record<string, unknown>, tags: SecretTags): Promise<StoredSecretRef> {
    const id = randomUUID();
    const keyId = await this.write(id, name, tags, value);
    return { ref: `local-secret:${id}`, keyId };
  }

  private async load(ref: string): Promise<SecretFile> {
    try {
      return JSON.parse(await readFile(this.fileOf(ref), 'utf8')) as SecretFile;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('Secret');
      throw error;
    }
  }

  async update(ref: string, value: Record<string, unknown>): Promise<void> {
    const existing = await this.load(ref);
    await this.write(existing.id, existing.name, existing.tags, value);
  }

  async read(ref: string): Promise<Record<string, unknown>> {
    const file = await this.load(ref);
    const { key } = await this.masterKey();
    const aad = Buffer.from(`${file.id}|${file.tags.organizationId}|${file.tags.projectId}`);
    const dataKey = open(key, file.wrappedKey, aad);
    try {
      return JSON.parse(open(dataKey, file.value, aad).toString('utf8')) as Record<string, unknown>;
    } finally {
      dataKey.fill(0);
    }
  }

  async delete(ref: string): Promise<void> {
    await rm(this.fileOf(ref), { force: true });
  }
}
