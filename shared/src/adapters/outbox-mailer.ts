// The local runner's mailer: each message is appended as one JSON line to an outbox file under .tributary/
// and announced on the console, so a developer can open the accept link. Nothing leaves the machine.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { InvitationEmail, Mailer } from '../ports/mailer';

export class OutboxMailer implements Mailer {
  constructor(
    private readonly file: string,
    private readonly announce: (line: string) => void = (line) => console.log(line),
  ) {}

  async sendInvitation(message: InvitationEmail): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const record = {
      kind: 'invitation',
      to: message.to,
      organization: message.organizationName,
      role: message.role,
      accept_url: message.acceptUrl,
      expires_at: message.expiresAt.toISOString(),
      sent_at: new Date().toISOString(),
    };
    await appendFile(this.file, JSON.stringify(record) + '\n', { mode: 0o600 });
    this.announce(`[mail] invitation for ${message.to} to ${message.organizationName}: ${message.acceptUrl}`);
  }

  /** Every message sent so far (tests and the runner read the outbox). */
  async sent(): Promise<{ kind: string; to: string; accept_url: string }[]> {
    try {
      return (await readFile(this.file, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { kind: string; to: string; accept_url: string });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
