// Where platform credentials live. Secrets Manager with a customer-managed KMS key in AWS; AES-256-GCM
// envelope encryption under a master key in .tributary/ locally. PostgreSQL only ever holds `ref`.
export interface SecretTags {
  organizationId: string;
  projectId: string;
  platform: string;
}

export interface StoredSecretRef {
  /** opaque reference: a Secrets Manager ARN, or the local store's id */
  ref: string;
  /** the key that encrypts it: a KMS key ARN, or the local master key's id */
  keyId: string;
}

export interface SecretStore {
  create(name: string, value: Record<string, unknown>, tags: SecretTags): Promise<StoredSecretRef>;
  /** Replaces the value; the previous value becomes unreadable to the application. */
  update(ref: string, value: Record<string, unknown>): Promise<void>;
  read(ref: string): Promise<Record<string, unknown>>;
  delete(ref: string): Promise<void>;
}
