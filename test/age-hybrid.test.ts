/**
 * Post-quantum hybrid keys (`age1pq1…`, `AGE-SECRET-KEY-PQ-1…`): the age specification's example key pair, the
 * errors for keys that are not valid (never repeating a secret one), the refusal to mix hybrid and classic
 * recipients in one file, and what the wrong key is told.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AgeError,
  checkRecipientMix,
  createDecryptStream,
  createEncryptStream,
  generateHybridIdentity,
  generateIdentity,
  parseIdentity,
  parseRecipient,
} from '../src/age/index.js';
import { bech32Encode } from '../src/age/bech32.js';

const execFileAsync = promisify(execFile);
const root = join(import.meta.dirname, '..');

/** The example pair of the age specification (C2SP age.md, "The MLKEM768-X25519 … recipient type"). */
const SPEC_IDENTITY = 'AGE-SECRET-KEY-PQ-1XX76JRALNLXDMEW0CRK45QMCCH4X06SE84UN3VPM33W6HWDX0H3SK3ZQFR';
const SPEC_RECIPIENT =
  'age1pq1x34nzsvr0rxjsgdn8zgyhfe8j7ceq5r9rdelkjuh3y235jzxshfg87pzf5zrqtzdxz95paef6caq5aapdmwjjqpjfdyxnzr2zampc3uxy0dg4z2n2gm9su72p0pc3u0jvev55l694v78snxg3yzvcl7yda0eyytqj6a0ec477lnhcy5hzpz4zq3pxanve4cn62gqj3pjy5lqj9c6kyj4v2z8alktn8zh99970x79gjkv7522hv9kfz35zsnxhsx8wwtmu9cy3ftzjgwcp4sshn3llnylnpdsyz5jm72vefv4x5vfwytrefxg4wq3mv42wcrvkj742479zrxzpvp2p3e9fed9f0739vcu80r7ma28qfhnvlv4gfzel9q654dj3zmuvvz893azhxdvs9fxd0r7jzchzcfcs5mkyyjxhw0n2z6dvp9yn9qfdp29h0azxqyjw6v7fhyuzj7zel0uq6j9rd7wgrpz7mf5dnj43jwsgvrc8qcnhy7tu6dkdujuxzkp9xj43xe8h92ktre2a3u3s8mm5mrp9nr9pwkgtz4mdlq9hgn4fps4k57ff6wddn2fy23t47sm20r8km8sd2pcyyafnet8f0dajsrlyjeah4n3mssr6aseevuuskdvq5lzguyvpgwpta742c6698vgutzqgny8usfg0w2he7kq5vyxjd0f9hqg8xk26y9e4th0gezq92q4cpp5p2y9hf5f2cje5l0c3sa3a2qxmm38pxxvhxh99yzmfz0zk7r2s64nnwjhkfgfr3gf8xnmppcgmaykvh5sh6g7vk9790rf8ws0axmr2t7z8aae5fq2029uvcn2ghgt4fu4wgwdc0k0cz52qkvwmuzj8p8k5jgf3xzk5zmrkavjekjrpeq408xz3zxazwkc6tyfmhayrkfpjhwtz5mp8j8guqe43k2q6m2kte03vrw27y3wmqyu5etmt9dnkwcnnpmu9gz9dekfhdevf42ucshphnrk38ra6hx8w5f8q5ru0xdhrjxmwqf6cused7zc5xvq43r0zscjglpwlptpwydhqw64xz7ptjdyeyzpq2zkxtmzg29gzjpvzva4d3l0cenn9xs297wf4y4ukwrunf57xj6pm7nvrkwvtrt8hwcmgv8x7ajw7258ugf9wvkmk4052ekg87tw5vnx8nq2swyzv77v8yqlwsenvamr0zssknwts8rrhfuwj7ykysnq9jxy0uv3kuyt22djszjdtvpz6d0s0kwh8ryynddzud92emeyvvyqktd0jtj7rvvg5gch25v8smlvny3kvn5gagyz475ze2y6q466xqmz2n3hs77lddeqyta2nch5k2u5yacuk9ywnwfdzvyejnucz724hj77hrrmakm7pr3kxsrxq22ejexlud9fy2kdqmkg5yncz7jm5wv2qjk5w5kvcpqsry2yqffh2la52dxfjkjq5rzhjzeyn6dupn0qwtyv7s4lwg3xdarsdlwe2y3tujy480y7z39q259fzx6jhd2j0f5hagqpcpees7hzc2yrk5cy788uk3s7qvp5cpepx24gvws3m2g433exgwppnkjscec8qu4y9z9r7vccexjcjaen42245lmgmxmuavg9alej92322gvvyy2t6267v09ch64y0m53jff0vjj96s0ypk60hr3jw4myd6m5hpn3xjstx7tl2szhpr5qe8jj08ydjc4wy2rch2fhuy3pdfjax5awe9j99ly5hkntzz9fe5zatgjvzdd0kgtxs25njnajyf6ssekp7gelxquusn4pt25czh3scj68kq79wdn5tgm6yvm9nzavrg043x3msnygf8dweknw5jmqd0uvny6ttsn09508k0c55zfnegrm9efhxpfqdkmhh6gjtqmwze9pyyzk3tlhl53k2ykx3qheyty7saeq0d3fzv49zc0k';

function keyError(parse: () => unknown, secret?: string): AgeError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(AgeError);
    expect((error as AgeError).code).toBe('INVALID_KEY');
    if (secret) {
      const body = secret.slice(secret.lastIndexOf('1') + 1);
      expect((error as AgeError).message).not.toContain(body.slice(0, 20));
      expect((error as AgeError).message).not.toContain(body.slice(0, 20).toLowerCase());
    }
    return error as AgeError;
  }
  throw new Error('parsing succeeded where it should have failed');
}

async function roundTrip(data: Buffer, recipients: string[], identity: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([data]),
    createEncryptStream({ recipients: recipients.map((key) => parseRecipient(key)) }),
    createDecryptStream({ identities: parseIdentity(identity) }),
    async (source: AsyncIterable<Buffer>) => {
      for await (const part of source) parts.push(part);
    },
  );
  return Buffer.concat(parts);
}

describe('post-quantum hybrid keys', () => {
  it("derive the specification's example public key from its example secret key", () => {
    const [identity] = parseIdentity(`# a hybrid key\n${SPEC_IDENTITY}\n`);
    expect(identity!.type).toBe('mlkem768x25519');
    expect(identity!.recipient.toString()).toBe(SPEC_RECIPIENT);
    expect(parseRecipient(SPEC_RECIPIENT).toString()).toBe(SPEC_RECIPIENT);
    expect(String(identity)).not.toContain(SPEC_IDENTITY.slice(19));
  });

  it('are made in the encodings age-keygen -pq writes, and round-trip a file', async () => {
    const { identity, recipient } = generateHybridIdentity();
    expect(identity).toMatch(/^AGE-SECRET-KEY-PQ-1[0-9A-Z]{58}$/);
    expect(recipient).toMatch(/^age1pq1[0-9a-z]{1952}$/);
    const data = randomBytes(70_000);
    expect(
      (await roundTrip(data, [recipient, generateHybridIdentity().recipient], identity)).equals(data),
    ).toBe(true);
  });

  it('are refused when mistyped, truncated, in uppercase or not a valid ML-KEM key, saying which', () => {
    const { recipient } = generateHybridIdentity();
    const typo = recipient.slice(0, 900) + (recipient[900] === 'q' ? 'p' : 'q') + recipient.slice(901);
    expect(keyError(() => parseRecipient(typo)).message).toMatch(/checksum does not match/);
    expect(keyError(() => parseRecipient(recipient.slice(0, -1))).message).toMatch(/checksum/);
    expect(keyError(() => parseRecipient(recipient.toUpperCase())).message).toMatch(/written in lowercase/);
    const short = bech32Encode('age1pq', randomBytes(1215));
    expect(keyError(() => parseRecipient(short)).message).toMatch(/holds 1216 bytes, this one 1215/);
    const notMlKem = bech32Encode('age1pq', Buffer.alloc(1216, 0xff));
    expect(keyError(() => parseRecipient(notMlKem)).message).toMatch(
      /ML-KEM-768 part is not a valid encapsulation key/,
    );
    // A long key is named by its two ends.
    expect(keyError(() => parseRecipient(notMlKem)).message).toContain(
      `recipient "${notMlKem.slice(0, 24)}…${notMlKem.slice(-12)}"`,
    );
  });

  it('explain a secret key given where a public key belongs, and the reverse, without repeating it', () => {
    const { identity, recipient } = generateHybridIdentity();
    expect(keyError(() => parseRecipient(identity), identity).message).toMatch(/this is an age secret key/);
    expect(keyError(() => parseIdentity(`# key\n${recipient}`)).message).toMatch(
      /^line 2 is an age public key \(age1…\), not a secret key/,
    );
    expect(keyError(() => parseIdentity(identity.toLowerCase()), identity).message).toMatch(
      /written in uppercase/,
    );
    const damaged = identity.slice(0, 40) + (identity[40] === 'Q' ? 'P' : 'Q') + identity.slice(41);
    expect(keyError(() => parseIdentity(damaged), identity).message).toMatch(
      /^the secret key on the identity is not valid: .*checksum/,
    );
    expect(
      keyError(() => parseIdentity(bech32Encode('AGE-SECRET-KEY-PQ-', randomBytes(31)))).message,
    ).toMatch(/holds 31 bytes instead of 32/);
  });

  it('are not mixed with classic keys in one file, as age 1.3 and the specification require', () => {
    const hybrid = parseRecipient(generateHybridIdentity().recipient);
    const classic = parseRecipient(generateIdentity().recipient);
    expect(() => {
      checkRecipientMix([hybrid, hybrid]);
    }).not.toThrow();
    expect(() => {
      checkRecipientMix([classic, classic]);
    }).not.toThrow();
    expect(
      keyError(() => {
        checkRecipientMix([classic, hybrid, hybrid]);
      }).message,
    ).toMatch(
      /^2 of the 3 recipients are post-quantum \(age1pq1…\) and the others classic X25519 keys .* age refuses to mix them/,
    );
    expect(() => createEncryptStream({ recipients: [hybrid, classic] })).toThrow(/refuses to mix/);
  });

  it('tell the wrong key which kinds of recipient the file has, and its own public key by its ends', async () => {
    const owner = generateHybridIdentity();
    const stranger = generateHybridIdentity();
    const error = await roundTrip(Buffer.from('x'), [owner.recipient], stranger.identity).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(AgeError);
    expect((error as AgeError).code).toBe('NO_MATCH');
    expect((error as AgeError).message).toMatch(
      /^no identity matches any recipient of this file: it was encrypted to 1 post-quantum \(mlkem768x25519\) recipient, /,
    );
    expect((error as AgeError).message).toContain(
      `${stranger.recipient.slice(0, 24)}…${stranger.recipient.slice(-12)}`,
    );
  });

  it('are made by `npm run keygen`, into a file only its owner reads and never over another', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'keygen-'));
    try {
      const file = join(dir, 'backup-key.txt');
      const keygen = () =>
        execFileAsync(join(root, 'node_modules', '.bin', 'tsx'), [
          join(root, 'scripts', 'keygen.ts'),
          '-o',
          file,
        ]);
      const { stderr } = await keygen();
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const text = await readFile(file, 'utf8');
      const [identity] = parseIdentity(text);
      expect(identity!.type).toBe('mlkem768x25519');
      expect(text).toContain(`\n# public key: ${identity!.recipient.toString()}\n`);
      expect(stderr).toBe(`Public key: ${identity!.recipient.toString()}\n`);
      const again = await keygen().catch((error: unknown) => error as { code: number; stderr: string });
      expect('code' in again && again.code).toBe(1);
      expect(again.stderr).toMatch(/exists: a key file is never overwritten/);
      expect(await readFile(file, 'utf8')).toBe(text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
