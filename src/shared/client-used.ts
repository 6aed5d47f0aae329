/** The PostgreSQL client a mode ran, as summaries name it: its version and where the installer found it. */
export interface ClientUsed {
  readonly version: string;
  /** `runner`, `tool cache`, `Actions cache` or `apt repository`. */
  readonly source: string;
}
