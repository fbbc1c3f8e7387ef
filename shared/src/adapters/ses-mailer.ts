// Invitation email through Amazon SES (v2 SendEmail) from the deployment's verified sender address.
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { InvitationEmail, Mailer } from '../ports/mailer';
import { awsSdk } from './aws-sdk';

export class SesMailer implements Mailer {
  constructor(
    private readonly client: SESv2Client,
    private readonly options: { from: string; configurationSet?: string },
  ) {}

  async sendInvitation(message: InvitationEmail): Promise<void> {
    const subject = `You are invited to ${message.organizationName} on Tributary`;
    const text = [
      `You have been invited to join ${message.organizationName} on Tributary as ${message.role}.`,
      '',
      `Sign in with this email address and accept the invitation here (valid until ${message.expiresAt.toUTCString()}):`,
      message.acceptUrl,
      '',
      'If you did not expect this invitation, ignore this email.',
    ].join('\n');
    await this.client.send(
      new (awsSdk.sesV2().SendEmailCommand)({
        FromEmailAddress: this.options.from,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: { Subject: { Data: subject, Charset: 'UTF-8' }, Body: { Text: { Data: text, Charset: 'UTF-8' } } },
        },
        ...(this.options.configurationSet ? { ConfigurationSetName: this.options.configurationSet } : {}),
      }),
    );
  }
}
