import type { RunFacts } from '../notify/run-facts.js';

/** What a run has learned so far, filled in by the mode as it goes, so a failure still reports what was known. */
export type RunFactsDraft = { -readonly [K in keyof RunFacts]?: RunFacts[K] } & Pick<RunFacts, 'mode'>;
