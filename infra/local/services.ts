// Every service the local runner starts, in order. Adding one is one line here.
import type { LocalService } from './runner';
import { postgresService } from './postgres.service';
import { dynamoDbService, s3Service } from './aws-standins.service';
import { demoWebhookService, webhookService } from './webhook.service';
import { googleSandboxService } from '../../connectors/src/sandboxes/google/google-sandbox';
import { cognitoService } from './cognito.service';
import { apiService } from './api.service';
import { metaSandboxService } from '../../connectors/src/sandboxes/meta/meta.service';
import { ecbSandboxService } from '../../connectors/src/sandboxes/ecb/ecb-sandbox';
import { metricoolSandboxService } from '../../connectors/src/sandboxes/metricool/metricool-sandbox';
import { klaviyoSandboxService } from '../../connectors/src/sandboxes/klaviyo/klaviyo.service';
import { maintenanceService } from './maintenance.service';
import { schedulesService } from './schedules.service';
import { demoDataService } from './demo-data.service';
import { progressService } from './progress.service';
import { webService } from './web.service';

export const LOCAL_SERVICES: LocalService[] = [
  postgresService,
  webhookService,
  s3Service,
  dynamoDbService,
  googleSandboxService,
  cognitoService(),
  metaSandboxService,
  ecbSandboxService,
  metricoolSandboxService,
  klaviyoSandboxService,
  progressService(),
  webService(),
  apiService(),
  schedulesService,
  demoWebhookService,
  demoDataService,
  maintenanceService,
];
