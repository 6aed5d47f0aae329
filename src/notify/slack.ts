/**
 * Slack alerts for a finished run: a Block Kit message sent to an incoming webhook. Sending never fails the run;
 * a Slack problem becomes a warning that never quotes the webhook URL, which is a secret.
 */
import * as core from '@actions/core';
import type { IncomingWebhookSendArguments } from '@slack/webhook';

import { formatDuration } from '../shared/duration.js';
import { formatBytes } from '../shared/format.js';
import { errorMessage } from '../shared/errors.js';
import { escapeHtml } from '../shared/html.js';
import { withoutSecretUrl, withoutUrlCredentials } from '../shared/secret-url.js';
import { runUrl } from './run-link.js';
import type { RunFacts } from './run-facts.js';

export { type NotifyWhen, type RunFacts, shouldNotify } from './run-facts.js';

export type SlackBlock = NonNullable<IncomingWebhookSendArguments['blocks']>[number];

export interface SlackPayload {
  /** The notification's plain fallback, shown where blocks are not. */
  readonly text: string;
  readonly blocks: SlackBlock[];
}

const SEND_TIMEOUT_MS = 10_000;
/** Slack's limits: a section's text and a message's fallback text, and one field of a section. */
const SECTION_TEXT_LIMIT = 3000;
const FIELD_TEXT_LIMIT = 2000;
const MODE_TITLES: Record<RunFacts['mode'], string> = {
  backup: 'backup',
  restore: 'restore',
  drill: 'restore drill',
  prune: 'prune',
};

/** The Block Kit message for a run, with a link to the run when the GitHub Actions variables are set. */
export function slackPayload(facts: RunFacts, env: NodeJS.ProcessEnv = process.env): SlackPayload {
  const title = `${facts.status === 'failed' ? '❌' : '✅'} Postgres ${MODE_TITLES[facts.mode]} ${facts.status}`;
  const url = runUrl(env);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: title, emoji: true } },
    { type: 'section', fields: factFields(facts).map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (facts.error !== undefined) blocks.push(errorSection(facts.error));
  if (url !== undefined) {
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'View the workflow run' }, url }],
    });
  }
  return { text: fallbackText(title, facts), blocks };
}

/** Sends the run's message; a failure to do so only warns, with a reason that never contains the webhook URL. */
export async function notifySlack(
  webhookUrl: string,
  facts: RunFacts,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  try {
    // Loaded only when a message is sent: axios and its MIME table are not parsed on runs without Slack.
    const { IncomingWebhook } = await import('@slack/webhook');
    await new IncomingWebhook(webhookUrl, { timeout: SEND_TIMEOUT_MS }).send(slackPayload(facts, env));
  } catch (error) {
    core.warning(
      `Slack notification failed: ${withoutSecretUrl(failureReason(error), webhookUrl, '<webhook URL>')}`,
    );
  }
}

function factFields(facts: RunFacts): string[] {
  const fields: [string, string | undefined][] = [
    ['Database', optional(facts.database, inlineCode)],
    ['Databases', optional(facts.databases, databaseList)],
    ['Backup size', optional(facts.sizeBytes, formatBytes)],
    ['Backup age (RPO)', optional(facts.backupAgeSeconds, formatDuration)],
    ['Restore time (RTO)', optional(facts.restoreSeconds, formatDuration)],
    ['Tables mismatched', optional(facts.tablesMismatched, String)],
    ['Backups pruned', optional(facts.prunedCount, String)],
    ['Duration', formatDuration(facts.durationSeconds)],
    ['Backup key', optional(facts.key, inlineCode)],
  ];
  return fields.flatMap(([label, value]) =>
    value === undefined ? [] : [clip(`*${label}*\n${value}`, FIELD_TEXT_LIMIT)],
  );
}

/** A run of several databases: each one with its outcome, so the failed ones stand out. */
function databaseList(databases: NonNullable<RunFacts['databases']>): string {
  return databases
    .map((entry) => `${entry.status === 'failed' ? '❌' : '✅'} ${inlineCode(entry.database)}`)
    .join('\n');
}

function optional<T>(value: T | undefined, format: (value: T) => string): string | undefined {
  return value === undefined ? undefined : format(value);
}

function inlineCode(text: string): string {
  return `\`${escapeMrkdwn(text)}\``;
}

function errorSection(error: string): SlackBlock {
  const opening = '*Error*\n```\n';
  const closing = '\n```';
  // A fence inside the message would end the code block early.
  const body = escapeMrkdwn(withoutUrlCredentials(error)).replaceAll('```', "'''");
  const text = opening + clip(body, SECTION_TEXT_LIMIT - opening.length - closing.length) + closing;
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

function fallbackText(title: string, facts: RunFacts): string {
  const database = facts.database === undefined ? '' : ` (${facts.database})`;
  const error = facts.error === undefined ? '' : `: ${withoutUrlCredentials(facts.error)}`;
  return clip(escapeMrkdwn(title + database + error), SECTION_TEXT_LIMIT);
}

/** Slack's own escaping is HTML's three entities: the characters would otherwise start links and mentions. */
const escapeMrkdwn = escapeHtml;

/** Cuts escaped text to `limit` characters without splitting an entity or a surrogate pair. */
function clip(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit - 1).replace(/&[a-z]*$|[\uD800-\uDBFF]$/, '')}…`;
}

/**
 * Why the send failed, from the HTTP status (with Slack's error code, such as `no_service`) or the network error's
 * code: the wrapped error's messages and request config can quote the URL.
 */
function failureReason(error: unknown): string {
  const original = property(error, 'original');
  const response = property(original, 'response');
  const status = property(response, 'status');
  if (typeof status === 'number')
    return `Slack answered HTTP ${status}${slackErrorCode(property(response, 'data'))}`;
  const code = property(original, 'code') ?? property(error, 'code');
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return `no answer within ${SEND_TIMEOUT_MS / 1000} s`;
  if (typeof code === 'string') return `the request failed (${code})`;
  return errorMessage(error);
}

function property(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function slackErrorCode(body: unknown): string {
  return typeof body === 'string' && /^[a-z_]{1,64}$/.test(body) ? ` (${body})` : '';
}
