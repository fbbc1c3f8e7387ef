// Aurora and RDS Proxy as the functions meet them, in front of the rehearsal's PostgreSQL: TLS that the
// client verifies against a CA it is told to trust (TRIBUTARY_DB_CA_FILE, or NODE_EXTRA_CA_CERTS for the
// migration function, as the RDS CA bundle in Lambda), and, for the proxy, IAM authentication: the password must be an rds-db:connect token for the user it
// logs in as, which is recorded as that function's call; the proxy then signs in to PostgreSQL with the
// login secret, as RDS Proxy does with the secret it holds. The cluster endpoint passes authentication
// through (the migration function signs in with the admin secret's password).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { createRequire } from 'node:module';

const sasl = createRequire(import.meta.url)('pg/lib/crypto/sasl.js') as {
  startSession(mechanisms: string[]): { mechanism: string; response: string };
  continueSession(session: object, password: string, serverData: string): Promise<void>;
  finalizeSession(session: object, serverData: string): void;
};

export interface Certificates {
  caFile: string;
  key: Buffer;
  cert: Buffer;
}

/** A CA and a server certificate for localhost and 127.0.0.1, made with openssl. */
export function makeCertificates(dir: string): Certificates {
  mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Tributary rehearsal CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  );
  run(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  run(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('server.pem'),
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
  );
  return { caFile: f('ca.pem'), key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')) };
}

/** Reads PostgreSQL protocol pieces from a socket. */
class Reader {
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | null = null;
  private ended = false;
  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('end', () => {
      this.ended = true;
      this.waiting?.();
    });
    socket.on('error', () => {
      this.ended = true;
      this.waiting?.();
    });
  }
  private readonly onData = (chunk: Buffer) => {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    this.waiting?.();
  };
  async bytes(n: number): Promise<Buffer> {
    while (this.buffer.length < n) {
      if (this.ended) throw new Error('connection closed during the handshake');
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.waiting = null;
    }
    const out = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return out;
  }
  /** a typed message: its type byte, its whole bytes, and its payload */
  async message(): Promise<{ type: string; raw: Buffer; payload: Buffer }> {
    const head = await this.bytes(5);
    const payload = await this.bytes(head.readInt32BE(1) - 4);
    return { type: String.fromCharCode(head[0]!), raw: Buffer.concat([head, payload]), payload };
  }
  /** stops reading; what was read ahead is returned */
  release(): Buffer {
    this.socket.pause();
    this.socket.off('data', this.onData);
    const rest = this.buffer;
    this.buffer = Buffer.alloc(0);
    return rest;
  }
}

const SSL_REQUEST = 80877103;

function message(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([head, payload]);
}

function fatal(socket: net.Socket, code: string, text: string): void {
  socket.end(message('E', Buffer.concat([Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${text}\0`), Buffer.from([0])])));
}

function startupParameters(startup: Buffer): Record<string, string> {
  const parts = startup.subarray(8).toString('utf8').split('\0');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) out[parts[i]!] = parts[i + 1]!;
  return out;
}

export interface TlsPostgresOptions {
  certificates: Certificates;
  upstream: { host: string; port: number };
  /**
   * IAM mode (RDS Proxy): checks the token, reports the rds-db:connect call, and signs in upstream with
   * `password(user)`. Without it (Aurora's endpoint), authentication passes through.
   */
  iam?: { onConnect(user: string, token: URL): void; password(user: string): string | undefined };
}

export interface TlsPostgres {
  port: number;
  stop(): Promise<void>;
}

export async function startTlsPostgres(options: TlsPostgresOptions): Promise<TlsPostgres> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => {});
    void handle(raw, options, sockets).catch(() => raw.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function handle(raw: net.Socket, options: TlsPostgresOptions, sockets: Set<net.Socket>): Promise<void> {
  const plainReader = new Reader(raw);
  const request = await plainReader.bytes(8);
  if (request.readInt32BE(4) !== SSL_REQUEST) return fatal(raw, '28000', 'this endpoint requires TLS');
  plainReader.release();
  raw.write('S');
  const secure = new tls.TLSSocket(raw, {
    isServer: true,
    key: options.certificates.key,
    cert: options.certificates.cert,
  });
  secure.on('error', () => raw.destroy());
  const client = new Reader(secure);
  const length = (await client.bytes(4)).readInt32BE(0);
  const startup = Buffer.concat([Buffer.alloc(4), await client.bytes(length - 4)]);
  startup.writeInt32BE(length, 0);
  const params = startupParameters(startup);

  const upstream = net.connect(options.upstream.port, options.upstream.host);
  sockets.add(upstream);
  upstream.on('close', () => sockets.delete(upstream));
  upstream.on('error', () => secure.destroy());
  await new Promise<void>((resolve, reject) => upstream.once('connect', resolve).once('error', reject));

  if (options.iam) {
    const user = params.user ?? '';
    secure.write(message('R', Buffer.from([0, 0, 0, 3]))); // AuthenticationCleartextPassword
    const reply = await client.message();
    const token = reply.payload.subarray(0, reply.payload.length - 1).toString('utf8');
    let url: URL;
    try {
      url = new URL(`https://${token}`);
    } catch {
      return fatal(secure, '28P01', 'the password is not an IAM authentication token');
    }
    const q = url.searchParams;
    if (
      q.get('Action') !== 'connect' ||
      q.get('DBUser') !== user ||
      !q.get('X-Amz-Signature') ||
      !q.get('X-Amz-Credential')?.includes('/rds-db/aws4_request')
    ) {
      return fatal(secure, '28P01', `IAM authentication failed for user "${user}"`);
    }
    options.iam.onConnect(user, url);
    const password = options.iam.password(user);
    if (!password) return fatal(secure, '28P01', `the proxy holds no secret for user "${user}"`);
    // sign in upstream as the proxy does, with the login secret (SCRAM-SHA-256)
    const server = new Reader(upstream);
    upstream.write(startup);
    let session: object | undefined;
    for (;;) {
      const m = await server.message();
      if (m.type === 'E')
        return fatal(secure, '28P01', `upstream refused the login: ${m.payload.toString('utf8').replace(/\0/g, ' ')}`);
      if (m.type !== 'R') return fatal(secure, '08P01', `unexpected upstream message ${m.type}`);
      const code = m.payload.readInt32BE(0);
      if (code === 0) {
        secure.write(m.raw);
        secure.write(server.release());
        break;
      }
      if (code === 10) {
        const s = sasl.startSession(m.payload.subarray(4).toString('utf8').split('\0').filter(Boolean));
        session = s;
        const response = Buffer.from(s.response, 'utf8');
        const len = Buffer.alloc(4);
        len.writeInt32BE(response.length, 0);
        upstream.write(message('p', Buffer.concat([Buffer.from(`${s.mechanism}\0`), len, response])));
      } else if (code === 11) {
        await sasl.continueSession(session!, password, m.payload.subarray(4).toString('utf8'));
        upstream.write(message('p', Buffer.from((session as { response: string }).response, 'utf8')));
      } else if (code === 12) {
        sasl.finalizeSession(session!, m.payload.subarray(4).toString('utf8'));
      } else if (code === 3) {
        upstream.write(message('p', Buffer.from(`${password}\0`)));
      } else {
        return fatal(secure, '08P01', `the proxy cannot answer authentication request ${code}`);
      }
    }
  } else {
    upstream.write(startup);
  }
  const rest = client.release();
  if (rest.length) upstream.write(rest);
  secure.pipe(upstream);
  upstream.pipe(secure);
}
