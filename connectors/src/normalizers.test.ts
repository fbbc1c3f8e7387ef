// Covers the page encoder thread's normalizer modules against the registry: every connector that declares
// normalizesRawBytes has one, it is that connector's own normalize, and no other platform has one.
import { describe, expect, it } from 'vitest';
import { PLATFORMS } from '@tributary/shared/domain/platform';
import { rawBytesNormalizer } from './normalizers';
import { findConnector, listConnectors } from './registry';

describe('raw-bytes normalizers', () => {
  it("when a connector declares normalizesRawBytes, its lazily loaded module is the connector's own normalize; no other platform has one", async () => {
    for (const platform of PLATFORMS) {
      const connector = findConnector(platform);
      const load = rawBytesNormalizer(platform);
      expect(load !== undefined, platform).toBe(connector?.normalizesRawBytes === true);
      if (load && connector) expect(await load()).toBe(connector.normalize);
    }
    expect(
      listConnectors()
        .filter((c) => c.normalizesRawBytes)
        .map((c) => c.platform),
    ).toEqual(['google_ads']);
  });
});
