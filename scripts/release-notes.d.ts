/** Types of scripts/release-notes.js (plain JavaScript, run by the Release workflow without an install). */
export declare class ReleaseNotesError extends Error {}
export declare function checkVersion(version: string): void;
export declare function releaseNotes(changelogText: string, version: string): string;
export declare function checkPackageVersion(
  packageJsonText: string,
  version: string,
  constantsText?: string,
): void;
export declare function releaseNotesOfRepository(root: string, version: string): string;
