// Builds the CDK app for the environment named by the `env` context (`-c env=dev|staging|prod`).
// bin/tributary.ts calls it for the CLI; the synth tests call it with the same context, so both
// synthesize exactly the same stack.
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { cdkDefaultAccount } from '@tributary/shared/config/config';
import { environmentSettings, type DeployEnvironment } from './environments';
import { TributaryStack } from './tributary-stack';

export function stackName(environment: DeployEnvironment): string {
  return `Tributary-${environment}`;
}

export function buildApp(appProps: AppProps = {}): { app: App; stack: TributaryStack } {
  const app = new App(appProps);
  // an unknown or missing name stops synthesis with a message that lists the choices
  const settings = environmentSettings(app.node.tryGetContext('env'));
  // No account unless one is given (`-c account=…`, or the deploying credentials through the CLI's
  // CDK_DEFAULT_ACCOUNT): an account-agnostic stack needs no lookups, so synthesis works offline.
  const account: string | undefined = app.node.tryGetContext('account') ?? cdkDefaultAccount();
  const stack = new TributaryStack(app, stackName(settings.name), {
    settings,
    env: { account, region: settings.region },
    description: `Tributary (${settings.name}): marketing data extraction, storage and delivery`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
