/**
 * Makes the process's TLS clients trust the operating system's CA store as well as Node's own roots. Node trusts
 * only its bundled Mozilla roots (and `NODE_EXTRA_CA_CERTS`) unless told otherwise, while a self-hosted runner
 * behind a TLS-inspecting proxy has that proxy's CA in the system store (/etc/ssl/certs on Debian and Ubuntu, or
 * wherever `SSL_CERT_FILE` / `SSL_CERT_DIR` point): without it every download and S3 request fails with a
 * certificate error there.
 */
import tls from 'node:tls';
import * as core from '@actions/core';
import { errorMessage } from './errors.js';

/**
 * What trustSystemCertificates did: how many certificates the store listed (with repeats) and how many of them
 * Node did not trust already, or why it changed nothing.
 */
export type SystemTrust =
  | { readonly applied: true; readonly system: number; readonly added: number }
  | { readonly applied: false; readonly reason: string };

/**
 * The two APIs, as they may be missing: the drill composite runs the bundle on the runner's PATH Node (20 has
 * neither; 22.15–22.18 lack the setter), while the typings describe Node 24.
 */
const api: Partial<Pick<typeof tls, 'getCACertificates' | 'setDefaultCACertificates'>> = tls;

/**
 * Adds the system CA store to the CA certificates every TLS client of this process trusts by default: the
 * installer's downloads (@actions/http-client, through a proxy's CONNECT tunnel or not), the AWS SDK's https
 * agent, `fetch`, and `pg` when `sslrootcert` gives no CA of its own. Node's bundled roots and
 * `NODE_EXTRA_CA_CERTS` stay trusted: the default list is kept and the system's certificates are appended to it.
 *
 * The proxy CA of a TLS-inspecting proxy lives in that store, so this is what lets a self-hosted runner behind one
 * work without `NODE_EXTRA_CA_CERTS` or `--use-system-ca`. Call it once, before any connection: TLS sessions
 * an agent cached earlier keep the trust they were made with.
 *
 * It never throws. On a Node without the APIs (before 22.19 and 24.5) it changes nothing and says so with
 * core.debug, since the job then works exactly as before. A store that cannot be read is a warning, not a failure:
 * most runners need nothing from it, and the warning explains a certificate error that would follow.
 */
export function trustSystemCertificates(): SystemTrust {
  if (!api.getCACertificates || !api.setDefaultCACertificates) {
    const reason =
      `Node ${process.version} lacks tls.getCACertificates or tls.setDefaultCACertificates (Node 22.19+, ` +
      "24.5+): TLS trusts Node's bundled CA certificates and NODE_EXTRA_CA_CERTS only, not the system store.";
    core.debug(reason);
    return { applied: false, reason };
  }
  try {
    const system = api.getCACertificates('system');
    if (system.length === 0) {
      const reason = 'The system CA store holds no certificates: TLS trusts what Node trusts by default.';
      core.debug(reason);
      return { applied: false, reason };
    }
    const before = api.getCACertificates('default');
    const known = new Set(before);
    // The store lists a certificate once per file and once per hashed link; Node's own list has most of them.
    const fresh = [...new Set(system.filter((pem) => !known.has(pem)))];
    api.setDefaultCACertificates([...before, ...fresh]);
    core.debug(
      `Trusting the system CA store too: of its ${system.length} entries, ${fresh.length} new to Node.`,
    );
    return { applied: true, system: system.length, added: fresh.length };
  } catch (error) {
    const reason = `The system CA store could not be added to the trusted CA certificates: ${errorMessage(error)}`;
    core.warning(`${reason}. TLS trusts Node's bundled CA certificates and NODE_EXTRA_CA_CERTS only.`);
    return { applied: false, reason };
  }
}
