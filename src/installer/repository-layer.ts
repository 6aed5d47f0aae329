/**
 * The apt repository as the installer's last layer and as the judge of the others: its signed release says
 * which build of a major is the newest, so a client kept in the tool cache or the Actions cache is used only
 * while it is that build. Everything read from the repository is verified first (signed-release.ts).
 */
import { newestPackage } from './apt-index.js';
import {
  clientPackagesIn,
  fetchRepositoryIndex,
  PackageNotInRepositoryError,
  type RepositoryClientPackages,
  type RepositoryIndex,
  suiteFor,
} from './apt-repository.js';
import { type ClientRecord, upstreamVersion } from './client-record.js';
import type { Platform } from './platform.js';
import { fetchSignedRelease, type SignedRelease, SuiteNotFoundError } from './signed-release.js';

/** The keys a repository's release must be signed with, and how to name them when they do not parse. */
export interface RepositoryTrust {
  readonly armoredKeys: string;
  readonly name: string;
}

/** The newest build of a major the repository offers, with the index it was read from. */
export interface NewestClient {
  readonly index: RepositoryIndex;
  readonly packages: RepositoryClientPackages;
}

export class RepositoryLayer {
  #release?: Promise<SignedRelease>;
  readonly #indexes = new Map<string, Promise<RepositoryIndex>>();

  constructor(
    readonly mirror: string,
    private readonly trust: RepositoryTrust,
    private readonly platform: Platform,
  ) {}

  /** The suite's signed release, fetched and verified once. */
  release(): Promise<SignedRelease> {
    const suite = suiteFor(this.platform);
    this.#release ??= fetchSignedRelease(this.mirror, suite, this.trust).catch((error: unknown) => {
      if (!(error instanceof SuiteNotFoundError)) throw error;
      throw new PackageNotInRepositoryError(
        `the apt repository ${this.mirror} has no suite ${suite} ` +
          `(${this.platform.prettyName} may be too new or too old for it)`,
      );
    });
    return this.#release;
  }

  /** The `main` component's verified index, fetched once. */
  mainIndex(): Promise<RepositoryIndex> {
    return this.index('main');
  }

  /**
   * The newest client and libpq of `major`, from `main` or else from the major's own component, where the
   * repository keeps betas and release candidates; throws PackageNotInRepositoryError when it has neither.
   */
  async newest(major: number): Promise<NewestClient> {
    const main = await this.mainIndex();
    try {
      return { index: main, packages: clientPackagesIn(main, major, this.platform) };
    } catch (error) {
      const component = String(major);
      if (!(error instanceof PackageNotInRepositoryError)) throw error;
      if (!(await this.release()).components.includes(component)) throw error;
      const own = await this.index(component);
      const client = newestPackage(own.packages, `postgresql-client-${major}`, this.platform.debArch);
      // A beta's libpq5 sits beside it; a component without one leaves main's, which every client can use.
      const libpq =
        newestPackage(own.packages, 'libpq5', this.platform.debArch) ??
        newestPackage(main.packages, 'libpq5', this.platform.debArch);
      if (!client || !libpq) throw error;
      return { index: own, packages: { client, libpq } };
    }
  }

  private async index(component: string): Promise<RepositoryIndex> {
    const release = await this.release();
    let index = this.#indexes.get(component);
    if (!index) {
      index = fetchRepositoryIndex(this.mirror, release, component, this.platform);
      this.#indexes.set(component, index);
    }
    return index;
  }

  /**
   * Whether a kept client is the newest build its record names. When the signed release still lists the index
   * the client was chosen from with the same digest, nothing has changed and no index is downloaded.
   */
  async isNewest(record: ClientRecord | undefined, version: string, major: number): Promise<boolean> {
    const release = await this.release();
    if (
      record?.index &&
      record.repository === this.mirror &&
      release.files.get(record.index.path)?.sha256 === record.index.sha256
    ) {
      return true;
    }
    let newest: NewestClient;
    try {
      newest = await this.newest(major);
    } catch (error) {
      // A major the repository does not offer has no newer build there: what is kept stays the best there is.
      if (error instanceof PackageNotInRepositoryError) return true;
      throw error;
    }
    return record
      ? record.client.version === newest.packages.client.version
      : version === upstreamVersion(newest.packages.client.version);
  }
}
