/**
 * `npm run keygen -- [-o FILE] [--x25519]`: a new age key pair, as `age-keygen -pq` (age 1.3 and later) makes it,
 * for those whose age is older: a post-quantum hybrid key by default, a classic X25519 one with `--x25519`. The
 * key file (`# created`, `# public key`, then the secret key) goes to FILE, created readable by its owner only and
 * never over an existing file, or to stdout; the public key is printed on stderr.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { generateHybridIdentity, generateIdentity } from '../src/age/index.js';

const { values } = parseArgs({
  options: {
    output: { type: 'string', short: 'o' },
    x25519: { type: 'boolean', default: false },
  },
});

const key = values.x25519 ? generateIdentity() : generateHybridIdentity();
const text = `# created: ${new Date().toISOString()}\n# public key: ${key.recipient}\n${key.identity}\n`;
if (values.output) {
  try {
    await writeFile(values.output, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    console.error(`keygen: ${values.output} exists: a key file is never overwritten, choose another name`);
    process.exit(1);
  }
  console.error(`Public key: ${key.recipient}`);
} else {
  process.stdout.write(text);
}
