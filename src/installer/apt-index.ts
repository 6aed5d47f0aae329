/**
 * Reading a Debian `Packages` index (the format apt.postgresql.org and Debian's archive publish) and comparing
 * Debian package versions, so the installer can pick the newest build of a package and know its SHA-256.
 */

export interface AptPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** Path of the .deb relative to the repository root, e.g. `pool/main/p/postgresql-17/…deb`. */
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  /** The raw `Depends:` field, empty when the package has none. */
  readonly depends: string;
  readonly provides: string;
}

/** Parses the stanzas of a `Packages` file. Stanzas without the fields a download needs are skipped. */
export function parsePackagesIndex(text: string): AptPackage[] {
  const packages: AptPackage[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = parseStanza(stanza);
    const name = fields.get('package');
    const version = fields.get('version');
    const filename = fields.get('filename');
    const sha256 = fields.get('sha256');
    if (!name || !version || !filename || !sha256) continue;
    packages.push({
      name,
      version,
      architecture: fields.get('architecture') ?? '',
      filename,
      sha256: sha256.toLowerCase(),
      size: Number(fields.get('size') ?? '0'),
      depends: [fields.get('pre-depends'), fields.get('depends')].filter(Boolean).join(', '),
      provides: fields.get('provides') ?? '',
    });
  }
  return packages;
}

function parseStanza(stanza: string): Map<string, string> {
  const fields = new Map<string, string>();
  let current: string | undefined;
  for (const line of stanza.split('\n')) {
    if (/^\s/.test(line)) {
      // A continuation line belongs to the previous field (Description, Conffiles…).
      if (current !== undefined) fields.set(current, `${fields.get(current) ?? ''}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    current = line.slice(0, colon).trim().toLowerCase();
    fields.set(current, line.slice(colon + 1).trim());
  }
  return fields;
}

/** The newest version of `name` in the index (optionally only of one architecture), or undefined. */
export function newestPackage(
  packages: readonly AptPackage[],
  name: string,
  architecture?: string,
): AptPackage | undefined {
  let best: AptPackage | undefined;
  for (const pkg of packages) {
    if (pkg.name !== name) continue;
    if (architecture && pkg.architecture !== architecture && pkg.architecture !== 'all') continue;
    if (!best || compareDebianVersions(pkg.version, best.version) > 0) best = pkg;
  }
  return best;
}

/** Names of the packages a `Depends:` field requires, first alternative of each, without version constraints. */
export function dependencyNames(depends: string): string[] {
  if (!depends.trim()) return [];
  return depends
    .split(',')
    .map((clause) => (clause.split('|')[0] ?? '').trim().split(/[\s(:]/)[0] ?? '')
    .filter((name) => name.length > 0);
}

/**
 * Compares two Debian versions (`[epoch:]upstream[-revision]`) the way dpkg does:
 * negative when a < b, 0 when equal, positive when a > b.
 */
export function compareDebianVersions(a: string, b: string): number {
  const pa = splitVersion(a);
  const pb = splitVersion(b);
  if (pa.epoch !== pb.epoch) return pa.epoch - pb.epoch;
  return compareFragment(pa.upstream, pb.upstream) || compareFragment(pa.revision, pb.revision);
}

function splitVersion(version: string): { epoch: number; upstream: string; revision: string } {
  let rest = version.trim();
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon > 0) {
    epoch = Number(rest.slice(0, colon)) || 0;
    rest = rest.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return { epoch, upstream: rest, revision: '' };
  return { epoch, upstream: rest.slice(0, dash), revision: rest.slice(dash + 1) };
}

/** dpkg's ordering of a non-digit character: `~` sorts before everything, even the end of the string. */
function charOrder(ch: string | undefined): number {
  if (ch === undefined) return 0;
  if (ch === '~') return -1;
  if (/[A-Za-z]/.test(ch)) return ch.charCodeAt(0);
  return ch.charCodeAt(0) + 256;
}

function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefix, compared character by character.
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ca = i < a.length && !isDigit(a[i]) ? a[i] : undefined;
      const cb = j < b.length && !isDigit(b[j]) ? b[j] : undefined;
      const diff = charOrder(ca) - charOrder(cb);
      if (diff !== 0) return diff;
      i++;
      j++;
    }
    // Digit run, compared numerically.
    let na = '';
    let nb = '';
    while (i < a.length && isDigit(a[i])) na += a.charAt(i++);
    while (j < b.length && isDigit(b[j])) nb += b.charAt(j++);
    const diff = Number(na || '0') - Number(nb || '0');
    if (diff !== 0) return diff;
  }
  return 0;
}

function isDigit(ch: string | undefined): boolean {
  return ch !== undefined && ch >= '0' && ch <= '9';
}
