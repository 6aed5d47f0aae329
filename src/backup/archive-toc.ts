/**
 * Reads the header and table of contents (TOC) of a pg_dump custom-format archive from the head of its stream, so
 * a backup keeps what the dump itself says (the values its SEQUENCE SET entries restore) without another program:
 * written to a pipe, pg_dump puts the whole TOC, with every entry's SQL, before any data. The layout is that of
 * PostgreSQL's pg_backup_archiver.c (ReadHead, ReadToc, ReadInt, ReadStr, ReadOffset) and pg_backup_custom.c
 * (_ReadExtraToc) for the versions pg_dump 14 to 18 write: 1.14 (pg_dump 14, 15), 1.15 (16: a compression
 * algorithm byte for 1.14's level int), 1.16 (17, 18: a relkind int per entry). Others are refused, not guessed.
 */

/** An entry as pg_restore --list shows it, with its SQL. */
export interface TocEntry {
  readonly dumpId: number;
  /** The catalog holding the object (pg_class…), 0 for an entry that is no object (TABLE DATA…). */
  readonly tableOid: number;
  readonly oid: number;
  readonly desc: string;
  /** The object's name, unquoted (`Odd 'Seq`), or what a COMMENT or ACL is on (`TABLE orders`). */
  readonly tag: string;
  /** Undefined (pg_restore --list prints `-`) where the archive has none, as for a schema. */
  readonly namespace: string | undefined;
  readonly owner: string | undefined;
  readonly defn: string | undefined;
  readonly section: 'none' | 'pre-data' | 'data' | 'post-data';
  readonly dependencies: readonly number[];
}

export interface ArchiveToc {
  /** As pg_restore --list prints it: `1.16-0`. */
  readonly archiveVersion: string;
  /** Of the data (never of the TOC): `none`, `gzip`, `lz4`, `zstd`, or `unknown N`. */
  readonly compression: string;
  readonly pgDumpVersion: string;
  readonly serverVersion: string;
  readonly database: string;
  readonly entries: readonly TocEntry[];
  /** The length of header and TOC: where the data starts in the stream. */
  readonly tocBytes: number;
}

/** `incomplete`: the stream ended, or the byte cap came, before the TOC did. */
export type ArchiveTocProblem = 'not-custom-archive' | 'unsupported' | 'damaged' | 'incomplete';

export class ArchiveTocError extends Error {
  override readonly name = 'ArchiveTocError';
  readonly problem: ArchiveTocProblem;
  constructor(problem: ArchiveTocProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

export type TocReadState =
  | { readonly status: 'need-more' }
  | { readonly status: 'complete'; readonly toc: ArchiveToc }
  | { readonly status: 'failed'; readonly error: ArchiveTocError };

/** A TOC is rarely a megabyte; past this much of the stream the reader gives up, so memory stays flat. */
export const DEFAULT_MAX_TOC_BYTES = 64 * 1024 * 1024;

const MAGIC = Buffer.from('PGDMP');
const version = (major: number, minor: number, rev: number) => (major * 256 + minor) * 256 + rev;
const K_VERS_1_14 = version(1, 14, 0);
const K_VERS_1_15 = version(1, 15, 0);
const K_VERS_1_16 = version(1, 16, 0);
const K_VERS_MAX = version(1, 16, 255); // pg_restore 17 and 18 read any revision of 1.16
const COMPRESSIONS = ['none', 'gzip', 'lz4', 'zstd'];
/** Indexed by teSection, which starts at SECTION_NONE = 1. */
const SECTIONS = [undefined, 'none', 'pre-data', 'data', 'post-data'] as const;
const OFFSET_FLAGS = new Set([1, 2, 3]); // K_OFFSET_POS_NOT_SET, K_OFFSET_POS_SET, K_OFFSET_NO_DATA

/** Thrown by a parse that ran out of bytes: `needed` is the stream offset it must see to get further. */
class Short extends Error {
  constructor(readonly needed: number) {
    super(`needs the stream up to byte ${needed}`);
  }
}

const damaged = (message: string) => new ArchiveTocError('damaged', `the archive is damaged: ${message}`);
const unsupported = (message: string) => new ArchiveTocError('unsupported', message);
type Decode = (bytes: Buffer) => string;
const utf8: Decode = (bytes) => bytes.toString('utf8');

/** The buffered part of the stream, read as the archiver's Read* functions read it. */
class Cursor {
  pos = 0;
  intSize = 4;
  offSize = 8;
  constructor(
    readonly buffer: Buffer,
    readonly base: number,
  ) {}
  take(length: number): Buffer {
    if (this.pos + length > this.buffer.length) throw new Short(this.base + this.pos + length);
    return this.buffer.subarray(this.pos, (this.pos += length));
  }
  byte(): number {
    return this.take(1)[0]!;
  }
  /** ReadInt: a sign byte (non-zero: negative), then intSize bytes, least significant first, summed in a C int. */
  int(): number {
    const negative = this.byte() !== 0;
    let value = 0;
    for (const [index, byte] of this.take(this.intSize).entries()) {
      if (index < 4) value = (value + (byte << (8 * index))) | 0;
      else if (byte !== 0) throw damaged(`an integer before byte ${this.base + this.pos} exceeds 32 bits`);
    }
    return negative ? -value | 0 : value;
  }
  /** ReadStr: a length, then that many bytes; a negative length is NULL. */
  str(): Buffer | undefined {
    const length = this.int();
    return length < 0 ? undefined : this.take(length);
  }
  /** ReadOffset: a flag byte, then offSize bytes, of which only pgoff_t's 8 may be non-zero. */
  offset(): void {
    const [flag, at] = [this.byte(), this.base + this.pos];
    if (!OFFSET_FLAGS.has(flag)) throw damaged(`data offset flag ${flag} before byte ${at}`);
    if (this.take(this.offSize).subarray(8).some(Boolean)) throw damaged(`too large an offset at byte ${at}`);
  }
}

function readHead(cursor: Cursor) {
  const start = cursor.buffer.subarray(0, MAGIC.length);
  if (!MAGIC.subarray(0, start.length).equals(start)) throw notCustomArchive(cursor.buffer);
  cursor.take(MAGIC.length);
  const [major, minor] = [cursor.byte(), cursor.byte()];
  const rev = major > 1 || (major === 1 && minor > 0) ? cursor.byte() : 0;
  const [archive, archiveVersion] = [version(major, minor, rev), `${major}.${minor}-${rev}`];
  if (archive < K_VERS_1_14 || archive > K_VERS_MAX)
    throw unsupported(`archive version ${archiveVersion}: this reader knows 1.14 to 1.16 (pg_dump 14 to 18)`);
  const intSize = (cursor.intSize = cursor.byte());
  if (intSize < 1 || intSize > 32) throw damaged(`sanity check on integer size (${intSize}) failed`);
  const offSize = (cursor.offSize = cursor.byte());
  const format = cursor.byte(); // archCustom is 1; a directory archive's toc.dat also starts with PGDMP
  if (format !== 1) throw unsupported(`the archive's format is ${format}, not custom (1)`);
  // 1.14 has a gzip level there, where 0 means none.
  const algorithm = archive >= K_VERS_1_15 ? cursor.byte() : Math.min(Math.abs(cursor.int()), 1);
  for (let field = 0; field < 7; field++) cursor.int(); // its creation time, a struct tm in pg_dump's time zone
  const string = () => utf8(cursor.str() ?? Buffer.alloc(0));
  const [database, serverVersion, pgDumpVersion] = [string(), string(), string()];
  const compression = COMPRESSIONS[algorithm] ?? `unknown ${algorithm}`;
  const fields = { archiveVersion, compression, database, serverVersion, pgDumpVersion };
  return { fields, version: archive, sizes: { intSize, offSize } };
}

function notCustomArchive(head: Buffer): ArchiveTocError {
  const bytes = [...head.subarray(0, 8)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  const sql = /^\s*(--|SET |CREATE |\\)/.test(head.subarray(0, 64).toString('latin1'));
  const what = sql ? 'it looks like SQL text, a plain-format dump' : `it starts with the bytes ${bytes}`;
  return new ArchiveTocError('not-custom-archive', `not a pg_dump custom-format archive: ${what}`);
}

/** One entry, in ReadToc's order, then _ReadExtraToc's data offset. */
function readEntry(cursor: Cursor, archive: number, decode: Decode): TocEntry {
  const start = cursor.base + cursor.pos;
  const text = (bytes = cursor.str()) => bytes && decode(bytes);
  // OIDs and dependencies are written as strings of digits, which pg_restore scans with %u and %d.
  const id = (bytes = cursor.str()) => (/^\d{1,10}$/.test(String(bytes)) ? Number(String(bytes)) : NaN);
  const dumpId = cursor.int();
  if (dumpId <= 0) throw damaged(`entry ID ${dumpId} at byte ${start} is out of range`);
  cursor.int(); // hadDumper
  const [tableOid, oid, tag, desc, sectionNumber] = [id(), id(), text() ?? '', text(), cursor.int()];
  const section = SECTIONS[sectionNumber];
  if (desc === undefined || !section)
    throw damaged(`entry ${dumpId} has section ${sectionNumber}, type ${desc}`);
  // defn, dropStmt, copyStmt, namespace, tablespace, tableam (there since 1.14)
  const [defn, , , namespace] = [text(), cursor.str(), cursor.str(), text(), cursor.str(), cursor.str()];
  if (archive >= K_VERS_1_16) cursor.int(); // relkind
  const [owner] = [text(), cursor.str()]; // and withOids, "false" since pg_dump 12 cannot dump WITH OIDS
  const dependencies: number[] = [];
  for (let next = cursor.str(); next; next = cursor.str()) dependencies.push(id(next));
  if ([tableOid, oid, ...dependencies].some(Number.isNaN)) throw damaged(`entry ${dumpId} has a bad OID`);
  cursor.offset();
  return { dumpId, tableOid, oid, desc, tag, namespace, owner, defn, section, dependencies };
}

/** How the archive's strings are encoded, from its ENCODING entry (`SET client_encoding = 'UTF8';`). */
function decoderFor(defn: string | undefined): Decode {
  const name = /'([^']*)'/.exec(defn ?? '')?.[1]?.toUpperCase() ?? 'UTF8';
  if (name === 'LATIN1') return (bytes) => bytes.toString('latin1'); // TextDecoder would read windows-1252
  try {
    const label = name.replace(/^WIN/, 'windows-').replace(/^ISO_/, 'iso-').replace('_', '-');
    const decoder = new TextDecoder(label);
    return (bytes) => decoder.decode(bytes);
  } catch {
    return utf8; // UTF8, SQL_ASCII (most often UTF-8), and the few whose names are no WHATWG label
  }
}

/**
 * Reads a TOC from a stream's chunks as they come, keeping only what it has of the entry it is in. feed() never
 * throws, so a stream callback can call it on every chunk, and returns at once when the TOC is complete, or
 * failed, or did not end within the first `maxBytes` of the stream. end() says the stream ended.
 */
export class ArchiveTocReader {
  #state: TocReadState = { status: 'need-more' };
  /** Chunks not parsed yet, the first starting at stream offset #base. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #base = 0;
  /** Where the last attempt ran out: none is made before the stream gets there, so no string is parsed twice. */
  #needed = 0;
  #head: ReturnType<typeof readHead> | undefined;
  #count: number | undefined;
  #entries: TocEntry[] = [];
  #decode = utf8;
  constructor(readonly maxBytes = DEFAULT_MAX_TOC_BYTES) {}
  get state(): TocReadState {
    return this.#state;
  }
  get toc(): ArchiveToc | undefined {
    return this.#state.status === 'complete' ? this.#state.toc : undefined;
  }
  feed(chunk: Uint8Array): void {
    if (this.#state.status !== 'need-more' || chunk.length === 0) return;
    const kept = chunk.subarray(0, Math.max(this.maxBytes - this.#base - this.#pendingBytes, 0));
    this.#pending.push(Buffer.from(kept)); // a copy: the caller may reuse its buffer
    this.#pendingBytes += kept.length;
    try {
      if (this.#base + this.#pendingBytes >= this.#needed) this.#attempt();
    } catch (error) {
      this.#fail(error instanceof ArchiveTocError ? error : damaged(`unreadable TOC (${String(error)})`));
    }
    if (kept.length < chunk.length || this.#needed > this.maxBytes)
      this.#incomplete(`the archive's TOC does not end within its first ${this.maxBytes} bytes (the cap)`);
  }
  end(): void {
    this.#incomplete(`the archive ended after ${this.#base + this.#pendingBytes} bytes, inside its TOC`);
  }
  #incomplete(why: string): void {
    if (this.#state.status === 'need-more') this.#fail(new ArchiveTocError('incomplete', why));
  }
  #fail(error: ArchiveTocError): void {
    [this.#state, this.#pending] = [{ status: 'failed', error }, []];
  }
  /** Parses what is buffered, dropping each unit (header, count, entry) once it is parsed whole. */
  #attempt(): void {
    const buffer = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const cursor = new Cursor(buffer, this.#base);
    let parsed = 0;
    try {
      this.#head ??= readHead(cursor);
      Object.assign(cursor, this.#head.sizes);
      parsed = cursor.pos;
      this.#count ??= cursor.int();
      if (this.#count < 0) throw damaged(`it counts ${this.#count} entries`);
      for (parsed = cursor.pos; this.#entries.length < this.#count; parsed = cursor.pos) {
        const entry = readEntry(cursor, this.#head.version, this.#decode);
        this.#entries.push(entry);
        if (entry.desc === 'ENCODING') this.#decode = decoderFor(entry.defn);
      }
      const toc = { ...this.#head.fields, entries: this.#entries, tocBytes: this.#base + parsed };
      [this.#state, this.#pending] = [{ status: 'complete', toc }, []];
    } catch (error) {
      if (!(error instanceof Short)) throw error;
      [this.#needed, this.#base] = [error.needed, this.#base + parsed];
      [this.#pending, this.#pendingBytes] = [[buffer.subarray(parsed)], buffer.length - parsed];
    }
  }
}

export interface SequenceValue {
  readonly value: string;
  readonly isCalled: boolean;
  readonly schema: string;
  readonly name: string;
  /** The regclass literal as the defn has it, quotes and all: `'"Odd Schema"."Odd ''Seq"'`. */
  readonly literal: string;
}

const SETVAL = /^SELECT pg_catalog\.setval\(('(?:[^']|'')*'), (-?\d+), (true|false)\);\s*$/;
const IDENTIFIER = String.raw`(?:"((?:[^"]|"")+)"|([^."]+))`;
const QUALIFIED = new RegExp(`^${IDENTIFIER}\\.${IDENTIFIER}$`);
/** As regclass reads an identifier: a quoted one with `""` undone, an unquoted one in lower case. */
const unquote = (quoted: string | undefined, bare: string | undefined) =>
  quoted?.replaceAll('""', '"') ?? bare!.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());

/**
 * The values (bigints, so strings) the dump's SEQUENCE SET entries restore, by `schema.name`: the two identifiers
 * as the catalog spells them, joined by a dot (`Odd Schema.Odd 'Seq` for `'"Odd Schema"."Odd ''Seq"'`). Names
 * with dots in them can meet in that key: each value has its schema and name apart, too.
 */
export function sequenceValues(toc: ArchiveToc): Map<string, SequenceValue> {
  // Off, standard_conforming_strings has pg_dump double the backslashes in a literal too.
  const standard = !toc.entries.some((entry) => entry.desc === 'STDSTRINGS' && entry.defn?.includes("'off'"));
  const unescape = (pair: string) => (pair === "''" ? "'" : standard ? pair : '\\');
  const values = new Map<string, SequenceValue>();
  for (const entry of toc.entries.filter(({ desc }) => desc === 'SEQUENCE SET')) {
    const setval = SETVAL.exec(entry.defn ?? '');
    const literal = setval?.[1] ?? '';
    const name = QUALIFIED.exec(literal.slice(1, -1).replace(/''|\\\\/g, unescape));
    if (!setval || !name)
      throw unsupported(`SEQUENCE SET entry ${entry.dumpId} is no setval this reader knows: ${entry.defn}`);
    const [schema, sequence] = [unquote(name[1], name[2]), unquote(name[3], name[4])];
    const value = { value: setval[2]!, isCalled: setval[3] === 'true', schema, name: sequence, literal };
    values.set(`${schema}.${sequence}`, value);
  }
  return values;
}
