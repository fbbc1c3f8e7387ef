// The CDK app's entry point: `npx cdk synth -c env=dev|staging|prod` (see the root cdk.json).
import { buildApp } from '../lib/app';

buildApp().app.synth();
