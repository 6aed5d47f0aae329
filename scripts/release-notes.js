// The release notes of one version: the body of its `## [X.Y.Z]` section in CHANGELOG.md, printed to stdout.
//
//   node scripts/release-notes.js 0.2.0 > release-notes.md
//
// Used by the Release workflow (.github/workflows/release.yml) before anything is tagged or published: it fails,
// with what to do on stderr, when the version is not X.Y.Z, when the changelog has no section for it or the
// section is empty, or when package.json (or src/shared/constants.ts) carries another version. Plain JavaScript with no
// dependencies, so it runs on the runner's own Node without `npm ci`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A problem the maintainer has to fix; the CLI prints its message and exits 1. */
export class ReleaseNotesError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'ReleaseNotesError';
  }
}

/** X.Y.Z as Semantic Versioning writes it: no leading zeros, no `v`, no pre-release or build suffix. */
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/**
 * Throws unless `version` is a plain X.Y.Z release version.
 * @param {string} version
 */
export function checkVersion(version) {
  if (VERSION.test(version)) return;
  const hint = /^v\d/.test(version)
    ? ' (without the leading v)'
    : /^\d+\.\d+\.\d+[-+]/.test(version)
      ? ' (pre-releases and build metadata are not handled by the release workflow)'
      : '';
  throw new ReleaseNotesError(`'${version}' is not a release version: give it as X.Y.Z, e.g. 0.3.0${hint}.`);
}

/** A link reference definition (`[0.2.0]: https://…`): Keep a Changelog puts them after the last section. */
const LINK_REFERENCE = /^ {0,3}\[[^\]]+\]:\s*\S/;
const FENCE = /^ {0,3}(```|~~~)/;

/**
 * The body of the `## [version]` section of a Keep a Changelog file, without its heading and trimmed: everything up
 * to the next `## ` heading or the link references. Throws when the version is not X.Y.Z, when there is no such
 * section, or when it is empty.
 * @param {string} changelogText
 * @param {string} version
 * @returns {string}
 */
export function releaseNotes(changelogText, version) {
  checkVersion(version);
  const lines = changelogText.split(/\r?\n/);
  const heading = new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\](?:\\s|$)`);
  const start = lines.findIndex((line) => heading.test(line));
  if (start < 0) {
    throw new ReleaseNotesError(
      `CHANGELOG.md has no section for ${version}: move the entries of [Unreleased] into a new ` +
        `'## [${version}] - YYYY-MM-DD' section (see docs/releasing.md).`,
    );
  }
  const body = [];
  let inFence = false;
  for (const line of lines.slice(start + 1)) {
    if (FENCE.test(line)) inFence = !inFence;
    else if (!inFence && (/^## /.test(line) || /^# /.test(line) || LINK_REFERENCE.test(line))) break;
    body.push(line);
  }
  const notes = body.join('\n').trim();
  if (!notes) {
    throw new ReleaseNotesError(
      `The ${version} section of CHANGELOG.md is empty: write what the release adds, changes or fixes.`,
    );
  }
  return notes;
}

/**
 * Throws unless package.json's "version" (and, when given, src/shared/constants.ts's TOOL_VERSION) is `version`.
 * @param {string} packageJsonText
 * @param {string} version
 * @param {string} [constantsText]
 */
export function checkPackageVersion(packageJsonText, version, constantsText) {
  const fix =
    `bump "version" in package.json (npm version ${version} --no-git-tag-version, which updates ` +
    `package-lock.json too) and TOOL_VERSION in src/shared/constants.ts to ${version}, run npm run all and commit.`;
  /** @type {{ version?: unknown }} */
  const pkg = JSON.parse(packageJsonText);
  if (pkg.version !== version) {
    throw new ReleaseNotesError(
      `package.json's version is ${JSON.stringify(pkg.version)}, not the release's ${version}: ${fix}`,
    );
  }
  if (constantsText === undefined) return;
  const toolVersion = /\bTOOL_VERSION\s*=\s*['"]([^'"]*)['"]/.exec(constantsText)?.[1];
  if (toolVersion !== version) {
    throw new ReleaseNotesError(
      `src/shared/constants.ts's TOOL_VERSION is ${toolVersion === undefined ? 'missing' : `'${toolVersion}'`}, ` +
        `not the release's ${version}: ${fix}`,
    );
  }
}

/**
 * The CLI: checks the repository at `root` and returns the notes for `version`.
 * @param {string} root
 * @param {string} version
 * @returns {string}
 */
export function releaseNotesOfRepository(root, version) {
  checkVersion(version);
  const notes = releaseNotes(readFileSync(join(root, 'CHANGELOG.md'), 'utf8'), version);
  checkPackageVersion(
    readFileSync(join(root, 'package.json'), 'utf8'),
    version,
    readFileSync(join(root, 'src', 'shared', 'constants.ts'), 'utf8'),
  );
  return notes;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args.length !== 1 || !args[0]) {
    console.error(
      'usage: node scripts/release-notes.js X.Y.Z   (prints the notes of that CHANGELOG.md section)',
    );
    process.exitCode = 2;
  } else {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    try {
      process.stdout.write(`${releaseNotesOfRepository(root, args[0])}\n`);
    } catch (error) {
      if (!(error instanceof ReleaseNotesError)) throw error;
      console.error(`release-notes: ${error.message}`);
      process.exitCode = 1;
    }
  }
}
