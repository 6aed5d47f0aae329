/**
 * Runs a composite action (its action.yml) the way the GitHub Actions runner does, so tests can check its own
 * steps: inputs with their defaults, `${{ … }}` expressions evaluated by GitHub's expression engine, step `if`
 * conditions with the runner's status functions, one fresh set of file-command files (GITHUB_OUTPUT, GITHUB_ENV,
 * GITHUB_PATH, GITHUB_STEP_SUMMARY, GITHUB_STATE) per step, and the action's `outputs:` evaluated at the end.
 *
 * Only `run:` steps are supported. Expression syntax is checked when the action is loaded, as the runner does, so
 * a typo throws; an expression that fails while it is evaluated fails its step, as on the runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { Evaluator, Lexer, Parser, data, type Expr } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { TokenType, type Token } from '@actions/expressions/lexer';
import { truthy } from '@actions/expressions/result';
import { parse } from 'yaml';
import { cleanUpOnExit } from './cleanup-on-exit.js';

export interface CompositeStepResult {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly outcome: 'success' | 'failure' | 'skipped';
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

export interface CompositeRun {
  /** True when a step failed (and had no `continue-on-error`), like the runner's result for the composite step. */
  readonly failed: boolean;
  /** The action's `outputs:`, evaluated after all steps. */
  readonly outputs: Record<string, string>;
  readonly steps: CompositeStepResult[];
  /** The GITHUB_STEP_SUMMARY content of all steps, concatenated. */
  readonly summary: string;
  /** The GITHUB_PATH additions, oldest first (an addition made again moves to the end, as on the runner). */
  readonly paths: string[];
  /** The runner's warnings, such as `Unexpected input(s) …`. */
  readonly warnings: string[];
}

export interface CompositeRunOptions {
  /** The caller's environment (workflow, job and step `env:`): the `env` context and the steps' environment. */
  readonly env?: Record<string, string>;
  /** How long one step may run before its process group is killed and the step fails; default 10 minutes. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;
/** How long to wait for a step's stdout and stderr once its shell exited: a background process may hold them. */
const STDIO_GRACE_MS = 200;
const STEP_CONTEXTS = ['github', 'runner', 'inputs', 'steps', 'env'] as const;
const INPUT_DEFAULT_CONTEXTS = ['github', 'runner', 'steps', 'env'] as const;
const STATUS_FUNCTIONS = new Set(['success', 'failure', 'always', 'cancelled']);
const FILE_COMMANDS = {
  GITHUB_OUTPUT: 'set_output',
  GITHUB_ENV: 'set_env',
  GITHUB_PATH: 'add_path',
  GITHUB_STEP_SUMMARY: 'step_summary',
  GITHUB_STATE: 'save_state',
} as const;

type FileCommandFiles = Record<keyof typeof FILE_COMMANDS, string>;
type Contexts = Readonly<Record<string, unknown>>;
type Outcome = CompositeStepResult['outcome'];

// ---------------------------------------------------------------------------------------------------------------
// action.yml

interface ActionInput {
  readonly name: string;
  readonly required: boolean;
  readonly default: string | undefined;
}

interface RunStep {
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly label: string;
  readonly condition: string;
  readonly run: string;
  readonly shell: string;
  readonly workingDirectory: string | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly continueOnError: string;
}

interface ActionManifest {
  readonly inputs: readonly ActionInput[];
  readonly outputs: Readonly<Record<string, string>>;
  readonly steps: readonly RunStep[];
}

async function readManifest(actionDir: string): Promise<ActionManifest> {
  const file = join(actionDir, 'action.yml');
  const root = mapping(parse(await readFile(file, 'utf8')) as unknown, file);
  const runs = mapping(root.runs, 'runs');
  if (optionalText(runs.using, 'runs.using')?.toLowerCase() !== 'composite')
    throw new Error(`${file}: runs.using must be 'composite'`);
  if (!Array.isArray(runs.steps)) throw new Error(`${file}: runs.steps must be a sequence`);
  const manifest: ActionManifest = {
    inputs: Object.entries(mapping(root.inputs, 'inputs')).map(([name, value]) => readInput(name, value)),
    outputs: readOutputs(mapping(root.outputs, 'outputs')),
    steps: runs.steps.map((step: unknown, index) => readStep(step, index)),
  };
  checkExpressionSyntax(manifest);
  return manifest;
}

function readInput(name: string, value: unknown): ActionInput {
  const input = mapping(value, `inputs.${name}`);
  const required = input.required === true || optionalText(input.required, 'required') === 'true';
  return { name, required, default: optionalText(input.default, `inputs.${name}.default`) };
}

function readOutputs(outputs: Record<string, unknown>): Record<string, string> {
  const entries = Object.entries(outputs).map(([name, value]) => {
    const where = `outputs.${name}.value`;
    return [name, optionalText(mapping(value, `outputs.${name}`).value, where) ?? ''] as const;
  });
  return Object.fromEntries(entries);
}

function readStep(value: unknown, index: number): RunStep {
  const step = mapping(value, `runs.steps[${index}]`);
  const id = optionalText(step.id, 'id');
  const name = optionalText(step.name, 'name');
  const label = `step ${index + 1}${id === undefined ? '' : ` (${id})`}`;
  const uses = optionalText(step.uses, `${label} uses`);
  if (uses !== undefined)
    throw new Error(`${label} uses '${uses}': this test runner supports only run steps`);
  const run = optionalText(step.run, `${label} run`);
  if (run === undefined) throw new Error(`${label} has no run`);
  const shell = optionalText(step.shell, `${label} shell`);
  if (shell === undefined) throw new Error(`${label}: required property is missing: shell`);
  const env = Object.entries(mapping(step.env, `${label} env`)).map(
    ([key, item]) => [key, optionalText(item, `${label} env.${key}`) ?? ''] as const,
  );
  return {
    id,
    name,
    label,
    run,
    shell,
    condition: optionalText(step.if, `${label} if`) ?? '',
    workingDirectory: optionalText(step['working-directory'], `${label} working-directory`),
    env: Object.fromEntries(env),
    continueOnError: optionalText(step['continue-on-error'], `${label} continue-on-error`) ?? 'false',
  };
}

function mapping(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} must be a mapping`);
  return value as Record<string, unknown>;
}

/** A YAML scalar as the runner reads it where a string is expected: `true` → 'true', `1.0` → '1'. */
function optionalText(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${where} must be a string`);
}

/** The runner parses every expression when it loads the action, so a syntax error fails before any step runs. */
function checkExpressionSyntax(manifest: ActionManifest): void {
  for (const input of manifest.inputs)
    checkTemplate(input.default ?? '', INPUT_DEFAULT_CONTEXTS, `inputs.${input.name}.default`);
  for (const [name, value] of Object.entries(manifest.outputs))
    checkTemplate(value, STEP_CONTEXTS, `outputs.${name}.value`);
  for (const step of manifest.steps) {
    const templates = [step.run, step.shell, step.workingDirectory ?? '', step.continueOnError];
    for (const template of [...templates, ...Object.values(step.env)])
      checkTemplate(template, STEP_CONTEXTS, step.label);
    withExpressionErrors(conditionExpression(step.condition), `${step.label} if`, (expression) =>
      parseExpression(expression, STEP_CONTEXTS, statusFunctions(false)),
    );
  }
}

function checkTemplate(template: string, contextNames: readonly string[], where: string): void {
  for (const segment of splitTemplate(template))
    if (segment.expression)
      withExpressionErrors(segment.text, where, (expression) =>
        parseExpression(expression, contextNames, []),
      );
}

// ---------------------------------------------------------------------------------------------------------------
// Expressions

/** An expression that failed while it was evaluated: on the runner, this fails the step. */
class ExpressionEvaluationFailure extends Error {}

interface Segment {
  readonly expression: boolean;
  readonly text: string;
}

/** Splits `a ${{ x }} b` into literal text and expressions; `}}` inside a quoted string does not close one. */
function splitTemplate(template: string): Segment[] {
  const segments: Segment[] = [];
  let index = 0;
  for (let start = template.indexOf('${{'); start >= 0; start = template.indexOf('${{', index)) {
    const end = expressionEnd(template, start + 3);
    if (end < 0) throw new Error(`The expression is not closed: ${template.slice(start)}`);
    if (start > index) segments.push({ expression: false, text: template.slice(index, start) });
    segments.push({ expression: true, text: template.slice(start + 3, end).trim() });
    index = end + 2;
  }
  if (index < template.length) segments.push({ expression: false, text: template.slice(index) });
  return segments;
}

function expressionEnd(template: string, from: number): number {
  let quoted = false;
  for (let index = from; index < template.length - 1; index++) {
    if (template[index] === "'") quoted = !quoted;
    else if (!quoted && template.startsWith('}}', index)) return index;
  }
  return -1;
}

/**
 * The expression a step `if` stands for, as the runner converts it: empty is `success()`, text without `${{` is
 * the expression itself, one `${{ x }}` is `x`, and a mix of text and expressions is a `format(…)` of them (a
 * non-empty string, so true).
 */
function conditionExpression(condition: string): string {
  const trimmed = condition.trim();
  if (trimmed === '') return 'success()';
  const segments = splitTemplate(trimmed);
  const [only] = segments;
  if (segments.length === 1 && only !== undefined) return only.text;
  const args = segments.filter((segment) => segment.expression).map((segment) => segment.text);
  let argIndex = 0;
  const pattern = segments
    .map((segment) => (segment.expression ? `{${argIndex++}}` : segment.text.replace(/[{}]/g, '$&$&')))
    .join('');
  return `format('${pattern.replaceAll("'", "''")}', ${args.join(', ')})`;
}

function lex(expression: string): Token[] {
  const { tokens } = new Lexer(expression).lex();
  // The lexer unescapes only the first '' of a string literal (String.replace with a string): unescape them all.
  for (const token of tokens)
    if (token.type === TokenType.STRING) token.value = token.lexeme.slice(1, -1).replaceAll("''", "'");
  return tokens;
}

function parseExpression(
  expression: string,
  contextNames: readonly string[],
  functions: readonly FunctionDefinition[],
): Expr {
  // parse() returns undefined for an empty expression, whatever its declared type says.
  const tree = new Parser(lex(expression), [...contextNames], [...functions]).parse() as Expr | undefined;
  if (tree === undefined) throw new Error('the expression is empty');
  return tree;
}

function evaluateExpression(
  expression: string,
  contexts: Contexts,
  functions: readonly FunctionDefinition[] = [],
): data.ExpressionData {
  const tree = parseExpression(expression, Object.keys(contexts), functions);
  const implementations = new Map(functions.map((definition) => [definition.name.toLowerCase(), definition]));
  try {
    return new Evaluator(tree, toDictionary(contexts), implementations).evaluate();
  } catch (error) {
    throw new ExpressionEvaluationFailure(`Error evaluating '${expression}': ${messageOf(error)}`, {
      cause: error,
    });
  }
}

/** Runs `work` on `expression`, naming the expression and where it is in any syntax error. */
function withExpressionErrors<T>(expression: string, where: string, work: (expression: string) => T): T {
  try {
    return work(expression);
  } catch (error) {
    if (error instanceof ExpressionEvaluationFailure) throw error;
    throw new Error(`${where}: invalid expression '${expression}': ${messageOf(error)}`, { cause: error });
  }
}

/** Evaluates a string with `${{ … }}` in it; values become strings as on the runner (true → 'true', null → ''). */
function evaluateTemplate(template: string, contexts: Contexts): string {
  return splitTemplate(template)
    .map((segment) =>
      segment.expression ? evaluateExpression(segment.text, contexts).coerceString() : segment.text,
    )
    .join('');
}

/** A step `if`: without a status function, the runner evaluates `success() && (…)`. */
function evaluateCondition(condition: string, contexts: Contexts, actionFailed: boolean): boolean {
  const expression = conditionExpression(condition);
  const full = hasStatusFunction(expression) ? expression : `success() && (${expression})`;
  return truthy(evaluateExpression(full, contexts, statusFunctions(actionFailed)));
}

function hasStatusFunction(expression: string): boolean {
  const tokens = lex(expression);
  return tokens.some(
    (token, index) =>
      token.type === TokenType.IDENTIFIER &&
      STATUS_FUNCTIONS.has(token.lexeme.toLowerCase()) &&
      tokens[index + 1]?.type === TokenType.LEFT_PAREN,
  );
}

/** Inside a composite action, success() and failure() follow the action's status so far, not the job's. */
function statusFunctions(actionFailed: boolean): FunctionDefinition[] {
  const constant = (name: string, value: boolean): FunctionDefinition => ({
    name,
    minArgs: 0,
    maxArgs: 0,
    call: () => new data.BooleanData(value),
  });
  return [
    constant('success', !actionFailed),
    constant('failure', actionFailed),
    constant('always', true),
    constant('cancelled', false),
  ];
}

function toData(value: unknown): data.ExpressionData {
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toData));
  if (typeof value === 'object' && value !== null) return toDictionary(value as Record<string, unknown>);
  return new data.Null();
}

function toDictionary(record: Readonly<Record<string, unknown>>): data.Dictionary {
  return new data.Dictionary(
    ...Object.entries(record).map(([key, value]) => ({ key, value: toData(value) })),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// File commands

/** Reads GITHUB_OUTPUT or GITHUB_ENV: `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks. */
export function parseKeyValueFile(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.replace(/\r$/, '');
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals > 0 && (heredoc < 0 || equals < heredoc)) {
      pairs.push([line.slice(0, equals), line.slice(equals + 1)]);
    } else if (heredoc > 0 && heredoc + 2 < line.length) {
      const delimiter = line.slice(heredoc + 2);
      const end = lines.findIndex(
        (candidate, at) => at > index && candidate.replace(/\r$/, '') === delimiter,
      );
      if (end < 0) throw new Error(`Invalid value. Matching delimiter not found '${delimiter}'`);
      pairs.push([
        line.slice(0, heredoc),
        lines
          .slice(index + 1, end)
          .join('\n')
          .replace(/\r$/, ''),
      ]);
      index = end;
    } else {
      throw new Error(`Invalid format '${line}'`);
    }
  }
  return pairs;
}

async function createFileCommandFiles(dir: string): Promise<FileCommandFiles> {
  const id = randomUUID();
  const entries = Object.entries(FILE_COMMANDS).map(([name, prefix]) => [name, join(dir, `${prefix}_${id}`)]);
  const files = Object.fromEntries(entries) as FileCommandFiles;
  await Promise.all(Object.values(files).map((file) => writeFile(file, '')));
  return files;
}

interface FileCommands {
  readonly outputs: Record<string, string>;
  readonly env: [string, string][];
  readonly paths: string[];
  readonly summary: string;
}

async function readFileCommands(files: FileCommandFiles): Promise<FileCommands> {
  const read = (file: string): Promise<string> => readFile(file, 'utf8');
  const [output, env, path, summary] = await Promise.all([
    read(files.GITHUB_OUTPUT),
    read(files.GITHUB_ENV),
    read(files.GITHUB_PATH),
    read(files.GITHUB_STEP_SUMMARY),
  ]);
  return {
    outputs: Object.fromEntries(parseKeyValueFile(output)),
    env: parseKeyValueFile(env),
    paths: path.split(/\r?\n/).filter((line) => line !== ''),
    summary,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

interface ProcessResult {
  readonly succeeded: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

interface ProcessOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly timeoutMs: number;
  /** Gets the process group the step leads, so the run can kill what the step left running in the background. */
  readonly groups: Set<number>;
}

/** The runner's command lines for the shells it knows, and `command {0}` for a custom shell. */
function shellCommand(shell: string, script: string): string[] {
  const trimmed = shell.trim();
  if (trimmed === 'bash') return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', script];
  if (trimmed === 'sh') return ['sh', '-e', script];
  if (trimmed.includes('{0}')) return trimmed.split(/\s+/).map((part) => part.replaceAll('{0}', script));
  throw new Error(`Unsupported shell '${shell}': use bash, sh or a command line with {0}`);
}

/** Process groups and temp dirs of runs in progress, for when this process ends in the middle of one. */
const liveGroups = new Set<number>();
const liveDirs = new Set<string>();
let exitCleanupInstalled = false;

function installExitCleanup(): void {
  if (exitCleanupInstalled) return;
  exitCleanupInstalled = true;
  cleanUpOnExit(() => {
    for (const group of liveGroups) killGroup(group);
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function killGroup(group: number | undefined): void {
  if (group === undefined) return;
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

async function runProcess(command: readonly string[], options: ProcessOptions): Promise<ProcessResult> {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid !== undefined) {
    options.groups.add(child.pid);
    liveGroups.add(child.pid);
  }
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);
  const timeout = { fired: false };
  const timer = setTimeout(() => {
    timeout.fired = true;
    killGroup(child.pid);
  }, options.timeoutMs);
  try {
    const exit = await waitForExit(child);
    await settle([child.stdout, child.stderr]);
    const problems: string[] = [];
    if (exit.error) problems.push(`Error: could not run ${file!} in ${options.cwd}: ${exit.error.message}\n`);
    if (timeout.fired)
      problems.push(`Error: the step timed out after ${options.timeoutMs} ms and was killed\n`);
    const succeeded = exit.code === 0 && problems.length === 0;
    return { succeeded, stdout: stdout(), stderr: [stderr(), ...problems].join('') };
  } finally {
    clearTimeout(timer);
  }
}

function collect(stream: Readable): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks).toString('utf8');
}

function waitForExit(child: ChildProcess): Promise<{ code: number | null; error?: Error }> {
  return new Promise((done) => {
    child.once('exit', (code) => {
      done({ code });
    });
    child.once('error', (error) => {
      done({ code: null, error });
    });
  });
}

/** Waits for the streams to end, but not for a background process that inherited them and still runs. */
async function settle(streams: readonly Readable[]): Promise<void> {
  const ended = Promise.all(streams.map((stream) => finished(stream).catch(() => undefined)));
  await Promise.race([ended, delay(STDIO_GRACE_MS, undefined, { ref: false })]);
  for (const stream of streams) stream.destroy();
}

// ---------------------------------------------------------------------------------------------------------------
// The run

interface RunSetup {
  readonly actionDir: string;
  readonly workspace: string;
  readonly temp: string;
  readonly fileCommandDir: string;
  readonly timeoutMs: number;
  readonly github: Record<string, unknown>;
  readonly runner: Record<string, string>;
  /** The caller's env: the `env` context and the steps' environment. */
  readonly env: Readonly<Record<string, string>>;
  /** The variables the runner sets for every step. */
  readonly runnerEnv: Readonly<Record<string, string>>;
}

interface PreparedStep {
  readonly script: string;
  readonly shell: string;
  readonly cwd: string;
  readonly env: Record<string, string>;
}

interface StepContext {
  readonly outputs: Record<string, string>;
  readonly outcome: Outcome;
  readonly conclusion: Outcome;
}

class CompositeExecution {
  readonly results: CompositeStepResult[] = [];
  readonly summaries: string[] = [];
  readonly paths: string[] = [];
  failed = false;
  private readonly addedEnv: Record<string, string> = {};
  private readonly steps: Record<string, StepContext> = {};

  /** `groups` gets the process groups the steps lead, for the runner's orphan process cleanup at the end. */
  constructor(
    private readonly setup: RunSetup,
    private readonly inputs: Readonly<Record<string, string>>,
    private readonly groups: Set<number>,
  ) {}

  async runSteps(steps: readonly RunStep[]): Promise<void> {
    for (const step of steps) {
      const result = await this.runStep(step);
      this.results.push(result);
      this.record(step, result);
    }
  }

  outputs(outputs: Readonly<Record<string, string>>): Record<string, string> {
    const contexts = this.contexts();
    return Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [name, evaluateTemplate(value, contexts)]),
    );
  }

  private contexts(stepEnv: Readonly<Record<string, string>> = {}): Contexts {
    const env = { ...this.setup.env, ...this.addedEnv, ...stepEnv };
    const { github, runner } = this.setup;
    return { github, runner, inputs: this.inputs, steps: this.steps, env };
  }

  private async runStep(step: RunStep): Promise<CompositeStepResult> {
    const base = { id: step.id, name: step.name, stdout: '', stderr: '', outputs: {} };
    try {
      if (!evaluateCondition(step.condition, this.contexts(), this.failed))
        return { ...base, outcome: 'skipped' };
      return { ...base, ...(await this.execute(this.prepare(step))) };
    } catch (error) {
      if (!(error instanceof ExpressionEvaluationFailure)) throw error;
      return { ...base, outcome: 'failure', stderr: `Error: ${error.message}\n` };
    }
  }

  /** Evaluates the step's `env:` first, then `run`, `shell` and `working-directory` with that env in context. */
  private prepare(step: RunStep): PreparedStep {
    const outer = this.contexts();
    const env = Object.fromEntries(
      Object.entries(step.env).map(([name, value]) => [name, evaluateTemplate(value, outer)]),
    );
    const contexts = this.contexts(env);
    const directory =
      step.workingDirectory === undefined ? '' : evaluateTemplate(step.workingDirectory, contexts);
    return {
      script: evaluateTemplate(step.run, contexts),
      shell: evaluateTemplate(step.shell, contexts),
      cwd: resolve(this.setup.workspace, directory),
      env,
    };
  }

  private async execute(step: PreparedStep): Promise<Omit<CompositeStepResult, 'id' | 'name'>> {
    const files = await createFileCommandFiles(this.setup.fileCommandDir);
    const script = join(this.setup.temp, `${randomUUID()}.sh`);
    await writeFile(script, step.script);
    try {
      const env = this.processEnv(step.env, files);
      const { timeoutMs } = this.setup;
      const command = shellCommand(step.shell, script);
      const { succeeded, stdout, stderr } = await runProcess(command, {
        cwd: step.cwd,
        env,
        timeoutMs,
        groups: this.groups,
      });
      const outcome: Outcome = succeeded ? 'success' : 'failure';
      try {
        return { outcome, stdout, stderr, outputs: this.apply(await readFileCommands(files)) };
      } catch (error) {
        const problem = `Error: unable to process file commands: ${messageOf(error)}\n`;
        return { outcome: 'failure', stdout, stderr: stderr + problem, outputs: {} };
      }
    } finally {
      await Promise.all([script, ...Object.values(files)].map((file) => rm(file, { force: true })));
    }
  }

  /** The step's environment: this process's, the runner's, the caller's, GITHUB_ENV's, then the step's own. */
  private processEnv(stepEnv: Record<string, string>, files: FileCommandFiles): Record<string, string> {
    const env = { ...definedEnv(), ...this.setup.runnerEnv, ...this.setup.env, ...this.addedEnv, ...stepEnv };
    const path = [...this.paths].reverse().join(':');
    const PATH = env.PATH === undefined || path === '' ? env.PATH || path : `${path}:${env.PATH}`;
    return { ...env, PATH, ...files, GITHUB_ACTION_PATH: this.setup.actionDir, RUNNER_TEMP: this.setup.temp };
  }

  /** Applies GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY for later steps; returns the step's outputs. */
  private apply(commands: FileCommands): Record<string, string> {
    for (const [name, value] of commands.env) this.addedEnv[name] = value;
    for (const path of commands.paths) {
      const existing = this.paths.indexOf(path);
      if (existing >= 0) this.paths.splice(existing, 1);
      this.paths.push(path);
    }
    this.summaries.push(commands.summary);
    return commands.outputs;
  }

  private record(step: RunStep, result: CompositeStepResult): void {
    const { outcome } = result;
    const conclusion = outcome === 'failure' && this.continuesOnError(step) ? 'success' : outcome;
    if (conclusion === 'failure') this.failed = true;
    if (step.id !== undefined) this.steps[step.id] = { outputs: result.outputs, outcome, conclusion };
  }

  private continuesOnError(step: RunStep): boolean {
    try {
      return evaluateTemplate(step.continueOnError, this.contexts()).toLowerCase() === 'true';
    } catch (error) {
      if (error instanceof ExpressionEvaluationFailure) return false;
      throw error;
    }
  }
}

function definedEnv(): Record<string, string> {
  const entries = Object.entries(process.env).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  return Object.fromEntries(entries);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The `github` and `runner` contexts and the matching variables, from the caller's env where it sets them. */
function createSetup(actionDir: string, root: string, options: CompositeRunOptions): RunSetup {
  const env = options.env ?? {};
  const repository = env.GITHUB_REPOSITORY ?? 'octo-org/octo-repo';
  const temp = join(root, 'temp');
  const github = {
    action_path: actionDir,
    workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
    event_name: 'workflow_dispatch',
    event: { inputs: {} },
    repository,
    repository_owner: repository.split('/')[0] ?? '',
    run_id: env.GITHUB_RUN_ID ?? '1',
    run_number: env.GITHUB_RUN_NUMBER ?? '1',
    run_attempt: env.GITHUB_RUN_ATTEMPT ?? '1',
    server_url: env.GITHUB_SERVER_URL ?? 'https://github.com',
    api_url: env.GITHUB_API_URL ?? 'https://api.github.com',
  };
  const runner = {
    name: 'composite-runner',
    os: 'Linux',
    arch: 'X64',
    temp,
    tool_cache: env.RUNNER_TOOL_CACHE ?? join(root, 'tool-cache'),
  };
  const runnerEnv = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: github.workspace,
    GITHUB_EVENT_NAME: github.event_name,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: github.repository_owner,
    GITHUB_RUN_ID: github.run_id,
    GITHUB_RUN_NUMBER: github.run_number,
    GITHUB_RUN_ATTEMPT: github.run_attempt,
    GITHUB_SERVER_URL: github.server_url,
    GITHUB_API_URL: github.api_url,
    RUNNER_OS: runner.os,
    RUNNER_ARCH: runner.arch,
    RUNNER_TOOL_CACHE: runner.tool_cache,
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fileCommandDir = join(temp, '_runner_file_commands');
  return {
    actionDir,
    workspace: github.workspace,
    temp,
    fileCommandDir,
    timeoutMs,
    github,
    runner,
    env,
    runnerEnv,
  };
}

/**
 * The `inputs` context: the caller's `with:`, then defaults (themselves evaluated) for the inputs not given, and ''
 * for the rest.
 */
function resolveInputs(
  declared: readonly ActionInput[],
  given: Readonly<Record<string, string>>,
  setup: RunSetup,
): { inputs: Record<string, string>; warnings: string[] } {
  const givenByName = new Map(Object.entries(given).map(([name, value]) => [name.toLowerCase(), value]));
  const declaredNames = new Set(declared.map((input) => input.name.toLowerCase()));
  const unexpected = Object.keys(given).filter((name) => !declaredNames.has(name.toLowerCase()));
  const defaultContexts = { github: setup.github, runner: setup.runner, steps: {}, env: setup.env };
  const inputs: Record<string, string> = Object.fromEntries(
    Object.entries(given).filter(([name]) => !declaredNames.has(name.toLowerCase())),
  );
  const missing: string[] = [];
  for (const input of declared) {
    const value =
      givenByName.get(input.name.toLowerCase()) ??
      (input.default === undefined ? undefined : evaluateTemplate(input.default, defaultContexts));
    if (value === undefined && input.required) missing.push(input.name);
    inputs[input.name] = value ?? '';
  }
  if (missing.length > 0) throw new Error(`Input required and not supplied: ${missing.join(', ')}`);
  const quoted = (names: readonly string[]): string => names.map((name) => `'${name}'`).join(', ');
  const valid = quoted(declared.map((input) => input.name));
  const warnings =
    unexpected.length === 0 ? [] : [`Unexpected input(s) ${quoted(unexpected)}, valid inputs are [${valid}]`];
  return { inputs, warnings };
}

/** Runs the composite action in `actionDir` with the caller's `with:` inputs; see the file comment. */
export async function runCompositeAction(
  actionDir: string,
  inputs: Record<string, string>,
  options: CompositeRunOptions = {},
): Promise<CompositeRun> {
  const absoluteDir = resolve(actionDir);
  const manifest = await readManifest(absoluteDir);
  installExitCleanup();
  const root = await mkdtemp(join(tmpdir(), 'composite-run-'));
  // World-readable like the runner's work folders: as root, a step may run a program as another user.
  await chmod(root, 0o755);
  liveDirs.add(root);
  const groups = new Set<number>();
  try {
    const setup = createSetup(absoluteDir, root, options);
    await mkdir(setup.fileCommandDir, { recursive: true });
    await mkdir(join(root, 'tool-cache'));
    const resolved = resolveInputs(manifest.inputs, inputs, setup);
    const execution = new CompositeExecution(setup, resolved.inputs, groups);
    await execution.runSteps(manifest.steps);
    return {
      failed: execution.failed,
      outputs: execution.outputs(manifest.outputs),
      steps: execution.results,
      summary: execution.summaries.join(''),
      paths: [...execution.paths],
      warnings: resolved.warnings,
    };
  } finally {
    for (const group of groups) {
      killGroup(group);
      liveGroups.delete(group);
    }
    await rm(root, { recursive: true, force: true });
    liveDirs.delete(root);
  }
}
