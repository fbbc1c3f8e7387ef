// The VPC every data-touching function runs in. Three tiers:
//  - public: only the NAT gateways live here;
//  - private with egress: Lambdas (the extract workers must reach the platforms' public APIs);
//  - isolated: Aurora and RDS Proxy, with no route to or from the internet at all.
// Gateway endpoints (free) keep S3 and DynamoDB traffic off the NAT; interface endpoints let the
// functions reach Secrets Manager and KMS without leaving the VPC.
import {
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  SubnetType,
  Vpc,
  type IVpc,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environments';

export interface NetworkProps {
  settings: EnvironmentSettings;
}

export class Network extends Construct {
  readonly vpc: IVpc;
  /** where functions run */
  readonly functionSubnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
  /** where the database and its proxy run */
  readonly dataSubnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_ISOLATED };

  constructor(scope: Construct, id: string, { settings }: NetworkProps) {
    super(scope, id);
    const vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr('10.40.0.0/16'),
      maxAzs: settings.network.maxAzs,
      natGateways: settings.network.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    this.vpc = vpc;

    vpc.addGatewayEndpoint('S3Endpoint', { service: GatewayVpcEndpointAwsService.S3 });
    vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: GatewayVpcEndpointAwsService.DYNAMODB });
    // open: true lets anything inside the VPC use them; what a caller may do is decided by its IAM role.
    vpc.addInterfaceEndpoint('SecretsManagerEndpoint', {
      service: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      subnets: this.functionSubnets,
      open: true,
    });
    vpc.addInterfaceEndpoint('KmsEndpoint', {
      service: InterfaceVpcEndpointAwsService.KMS,
      subnets: this.functionSubnets,
      open: true,
    });
  }
}
