import { defineRoute } from '@tributary/shared/http/route';
import { STANDARD_ERRORS } from '../common.schemas';
import { PlatformListSchema } from './platform.schemas';

export const listPlatformsRoute = defineRoute({
  operationId: 'listPlatforms',
  method: 'get',
  path: '/api/v1/platforms',
  summary:
    'Every platform: connector availability, auth, credential fields, report types, pinned API version and its sunset',
  tags: ['platforms'],
  auth: 'user',
  request: {},
  responses: { 200: { description: 'Platforms', schema: PlatformListSchema }, ...STANDARD_ERRORS },
});
