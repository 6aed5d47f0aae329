/**
 * The apt repository as the installer's last layer and as the judge of the others: its signed release says
 * which build of a major is the newest, so a client kept in the tool cache or the Actions cache is used only
 * while it is that build. Everything read from the repository is verified first (signed-release.ts).
 */
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
  #main?: Promise<RepositoryIndex>;

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
  async mainIndex(): Promise<RepositoryIndex> {
    const release = await this.release();
    this.#main ??= fetchRepositoryIndex(this.mirror, release, 'main', this.platform);
    return this.#main;
  }

  /** The newest client and libpq of `major`; throws PackageNotInRepositoryError when the repository has none. */
  async newest(major: number): Promise<NewestClient> {
    const index = await this.mainIndex();
    return { index, packages: clientPackagesIn(index, major, this.platform) };
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
