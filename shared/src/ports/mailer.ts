// Email that Tributary itself sends (invitations). SES in AWS; locally an outbox file the runner prints,
// since no email leaves the machine. The message carries a single-use link, so it goes to the addressee only.
export interface InvitationEmail {
  to: string;
  organizationName: string;
  role: string;
  /** the dashboard's accept page with the single-use token */
  acceptUrl: string;
  expiresAt: Date;
}

export interface Mailer {
  sendInvitation(message: InvitationEmail): Promise<void>;
}
