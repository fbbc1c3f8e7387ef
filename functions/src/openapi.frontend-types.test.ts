import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { FRONTEND_API_TYPES_FILE, renderFrontendApiTypes } from './openapi.frontend-types';

describe('the dashboard API types', () => {
  it('when the routes change, the committed frontend/src/api/schema.gen.ts must be regenerated (npm run api:types)', async () => {
    const committed = await readFile(FRONTEND_API_TYPES_FILE, 'utf8');
    const fresh = await renderFrontendApiTypes();
    expect(committed === fresh, 'frontend/src/api/schema.gen.ts is stale: run `npm run api:types`').toBe(true);
  });
});
