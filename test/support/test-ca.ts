/**
 * A throwaway certificate authority made with the `openssl` CLI (as postgres-server.ts makes its certificate),
 * and one server certificate it signs: what a TLS-inspecting proxy's CA and the certificates it forges look like
 * to the action. Node's crypto can check certificates but not issue them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface TestCa {
  /** The CA's certificate file (PEM): what goes in the system store. */
  readonly caFile: string;
  /** The server certificate and its key (PEM), signed by the CA. */
  readonly cert: string;
  readonly key: string;
}

/** Makes the CA and a server certificate for `names` (DNS names, or IP addresses) in `dir`. */
export async function makeTestCa(dir: string, names: readonly string[]): Promise<TestCa> {
  const file = (name: string) => join(dir, name);
  await openssl([
    ...['req', '-x509', '-days', '2', '-subj', '/CN=postgres-backup-action test proxy CA', ...EC_KEY],
    ...['-keyout', file('ca.key'), '-out', file('ca.crt')],
  ]);
  const san = names.map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  await writeFile(
    file('server.ext'),
    `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  await openssl([
    ...['req', '-new', '-subj', `/CN=${names[0] ?? 'localhost'}`, ...EC_KEY],
    ...['-keyout', file('server.key'), '-out', file('server.csr')],
  ]);
  await openssl([
    ...['x509', '-req', '-days', '2', '-in', file('server.csr'), '-extfile', file('server.ext')],
    ...[
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
    ],
    ...['-out', file('server.crt')],
  ]);
  const [cert, key] = await Promise.all([
    readFile(file('server.crt'), 'utf8'),
    readFile(file('server.key'), 'utf8'),
  ]);
  return { caFile: file('ca.crt'), cert, key };
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (error) {
    const { stderr = '' } = error as { stderr?: string };
    throw new Error(`openssl ${args[0] ?? ''} failed:\n${stderr}`, { cause: error });
  }
}
