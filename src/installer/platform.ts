import { readFile } from 'node:fs/promises';

/** Where the client is installed: what the PostgreSQL apt repository calls the distribution and architecture. */
export interface Platform {
  /** `debian` or `ubuntu`. */
  readonly distro: string;
  /** e.g. `noble`, `bookworm`: the apt suite is `<codename>-pgdg`. */
  readonly codename: string;
  /** Debian architecture name: `amd64` or `arm64`. */
  readonly debArch: string;
  /** Node's architecture name, used by the tool cache: `x64` or `arm64`. */
  readonly arch: string;
  /** The multiarch library directory name, e.g. `x86_64-linux-gnu`. */
  readonly multiarch: string;
  readonly prettyName: string;
}

export class UnsupportedPlatformError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedPlatformError';
  }
}

const ARCHITECTURES: Record<string, { debArch: string; multiarch: string }> = {
  x64: { debArch: 'amd64', multiarch: 'x86_64-linux-gnu' },
  arm64: { debArch: 'arm64', multiarch: 'aarch64-linux-gnu' },
};

/** Parses `/etc/os-release` (shell-style KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields.set(match[1]!, match[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return fields;
}

/** The apt platform of this runner, or an UnsupportedPlatformError that names what was found. */
export async function detectPlatform(
  osReleasePath = '/etc/os-release',
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): Promise<Platform> {
  if (platform !== 'linux') {
    throw new UnsupportedPlatformError(
      `Unsupported platform: ${platform}. Clients are downloaded from the PostgreSQL apt repository, which serves Linux ` +
        '(Debian and Ubuntu) only: run this action on ubuntu-latest, or put a matching pg_dump on PATH before it.',
    );
  }
  const archInfo = ARCHITECTURES[arch];
  if (!archInfo) {
    throw new UnsupportedPlatformError(
      `Unsupported architecture: ${arch}. The PostgreSQL apt repository is used for x64 (amd64) and arm64 only.`,
    );
  }
  let text: string;
  try {
    text = await readFile(osReleasePath, 'utf8');
  } catch {
    throw new UnsupportedPlatformError(
      `Unsupported platform: ${osReleasePath} is missing, so the Linux distribution is unknown; ` +
        'the PostgreSQL apt repository serves Debian and Ubuntu.',
    );
  }
  const fields = parseOsRelease(text);
  const id = fields.get('ID') ?? '';
  const idLike = (fields.get('ID_LIKE') ?? '').split(/\s+/);
  const prettyName = fields.get('PRETTY_NAME') ?? id;
  const distro = ['debian', 'ubuntu'].includes(id)
    ? id
    : idLike.find((like) => like === 'ubuntu' || like === 'debian');
  // A derivative names the release it is built on: UBUNTU_CODENAME (Mint, Pop!_OS), DEBIAN_CODENAME (LMDE).
  const derived =
    id === distro ? undefined : fields.get(distro === 'ubuntu' ? 'UBUNTU_CODENAME' : 'DEBIAN_CODENAME');
  const codename = derived ?? fields.get('VERSION_CODENAME') ?? '';
  if (!distro || !codename) {
    throw new UnsupportedPlatformError(
      `Unsupported platform: ${prettyName || 'an unknown Linux'}. The PostgreSQL apt repository serves Debian and ` +
        'Ubuntu releases (found by VERSION_CODENAME in /etc/os-release); put a matching pg_dump on PATH instead.',
    );
  }
  return { distro, codename, ...archInfo, arch, prettyName };
}
