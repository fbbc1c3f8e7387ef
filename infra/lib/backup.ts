// Data safety for Aurora:
//  - an AWS Backup plan (daily, plus monthly in prod) into a vault encrypted with the data key, where the
//    environment keeps backups (backupDailyRetentionDays > 0: staging and prod); Aurora's own continuous
//    backups (point-in-time recovery) stay as they are;
//  - what a snapshot or a backup needs to be usable outlives the stack as long as the data does: when the
//    cluster is kept (SNAPSHOT or RETAIN), the data key that encrypts it and the database secrets are kept
//    too (a snapshot encrypted with a deleted key cannot be restored; a kept cluster without its admin
//    secret cannot be logged into);
//  - the database secrets rotate (single user: each login changes its own password), through Secrets
//    Manager's hosted rotation function in the functions' subnets;
//  - Aurora's minimum capacity is one RDS Proxy can serve: the proxy keeps connections open, so a cluster
//    that may pause (0 ACU) is refused at synth.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { Peer, Port, SecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { DatabaseCluster } from 'aws-cdk-lib/aws-rds';
import { HostedRotation, Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DATABASE_PORT, type Database } from './database';
import type { EnvironmentSettings } from './environments';
import type { OperationsSettings } from './operations-settings';

export interface DataSafetyProps {
  settings: EnvironmentSettings;
  operations: OperationsSettings;
  database: Database;
  key: IKey;
  vpc: IVpc;
  functionSubnets: SubnetSelection;
}

/** RDS Proxy holds connections to its target, which keeps a 0-ACU (auto-pausing) instance from ever pausing. */
export const MIN_ACU_WITH_PROXY = 0.5;

export class DataSafety extends Construct {
  readonly vault?: BackupVault;
  readonly plan?: BackupPlan;

  constructor(
    scope: Construct,
    id: string,
    { settings, operations, database, key, vpc, functionSubnets }: DataSafetyProps,
  ) {
    super(scope, id);
    if (settings.database.minCapacity < MIN_ACU_WITH_PROXY) {
      throw new Error(
        `${settings.name}: Aurora minCapacity ${settings.database.minCapacity} ACU cannot sit behind RDS Proxy; use at least ${MIN_ACU_WITH_PROXY}`,
      );
    }
    const cluster = database.cluster as DatabaseCluster;

    // data kept ⇒ its key and its logins kept
    if (settings.database.removalPolicy !== RemovalPolicy.DESTROY) {
      if (settings.kms.removalPolicy !== RemovalPolicy.RETAIN) {
        throw new Error(
          `${settings.name}: the database is kept on delete (${settings.database.removalPolicy}), so its KMS key must be retained too (kms.removalPolicy)`,
        );
      }
      // the admin secret as the cluster exposes it is its target attachment; the secret itself is the cluster's child
      const adminSecret = cluster.node.findAll().find((c): c is Secret => c instanceof Secret);
      for (const secret of [adminSecret, database.appUserSecret, database.pipelineUserSecret])
        secret?.applyRemovalPolicy(RemovalPolicy.RETAIN);
    }

    const rotationSecurityGroup = new SecurityGroup(this, 'RotationSecurityGroup', {
      vpc,
      description: 'Secrets Manager rotation: Aurora and the Secrets Manager endpoint only',
      allowAllOutbound: false,
    });
    rotationSecurityGroup.connections.allowTo(cluster, Port.tcp(DATABASE_PORT), 'rotation to Aurora');
    rotationSecurityGroup.addEgressRule(
      Peer.ipv4(vpc.vpcCidrBlock),
      Port.tcp(443),
      'Secrets Manager and KMS endpoints',
    );
    const rotate = (secret: ISecret, name: string) =>
      secret.addRotationSchedule(`${name}Rotation`, {
        hostedRotation: HostedRotation.postgreSqlSingleUser({
          vpc,
          vpcSubnets: functionSubnets,
          securityGroups: [rotationSecurityGroup],
          functionName: `tributary-${settings.name}-rotate-${name.toLowerCase()}`,
        }),
        automaticallyAfter: Duration.days(30),
      });
    rotate(database.adminSecret, 'Admin');
    // the rotation function needs the host, port and engine beside the password: attaching the secret adds them
    rotate(database.appUserSecret.attach(cluster), 'App');
    rotate(database.pipelineUserSecret.attach(cluster), 'Pipeline');

    const dailyDays = operations.backupDailyRetentionDays ?? 0;
    if (dailyDays === 0) return;
    this.vault = new BackupVault(this, 'Vault', {
      backupVaultName: `tributary-${settings.name}`,
      encryptionKey: key,
      // recovery points outlive the stack: a vault that still holds them cannot be deleted anyway
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const rules = [
      new BackupPlanRule({
        ruleName: 'daily',
        backupVault: this.vault,
        scheduleExpression: Schedule.cron({ hour: '4', minute: '0' }),
        startWindow: Duration.hours(1),
        completionWindow: Duration.hours(4),
        deleteAfter: Duration.days(dailyDays),
      }),
    ];
    const monthlyDays = operations.backupMonthlyRetentionDays ?? 0;
    if (monthlyDays > 0) {
      rules.push(
        new BackupPlanRule({
          ruleName: 'monthly',
          backupVault: this.vault,
          scheduleExpression: Schedule.cron({ day: '1', hour: '5', minute: '0' }),
          startWindow: Duration.hours(1),
          completionWindow: Duration.hours(8),
          deleteAfter: Duration.days(monthlyDays),
        }),
      );
    }
    this.plan = new BackupPlan(this, 'Plan', { backupPlanName: `tributary-${settings.name}`, backupPlanRules: rules });
    this.plan.addSelection('Aurora', {
      resources: [BackupResource.fromRdsDatabaseCluster(cluster)],
      allowRestores: true,
    });
  }
}
