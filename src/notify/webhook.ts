/**
 * The plain webhook: one JSON document per run, POSTed to any URL (a Teams workflow, a chat bridge, an automation),
 * in the versioned shape docs/notifications.md documents. It carries no secret: error texts lose URL credentials.
 * Sending never fails the run; a problem is a warning that never quotes the URL.
 */
import * as core from '@actions/core';

import { clipText } from '../shared/clip.js';
import { withoutSecretUrl, withoutUrlCredentials } from '../shared/secret-url.js';
import { DEFAULT_DELIVERY, deliver, DeliveryError, type DeliveryOptions } from './delivery.js';
import { runUrl } from './run-link.js';
import type { DatabaseFacts, RunFacts, RunStatus } from './run-facts.js';

/** Raised only when a field changes meaning or goes away; new fields are added within a version. */
export const WEBHOOK_DOCUMENT_VERSION = 1;

/** Long enough for any error the action writes, short enough for chat services' message limits. */
const ERROR_LIMIT = 4000;

export interface WebhookDatabase {
  readonly database: string;
  readonly status: RunStatus;
  readonly key?: string;
  readonly sizeBytes?: number;
  /** The recovery point: the restored backup's age. */
  readonly backupAgeSeconds?: number;
  /** The recovery time: how long the restore took. */
  readonly restoreSeconds?: number;
  readonly tablesChecked?: number;
  readonly tablesMismatched?: number;
  readonly prunedCount?: number;
  readonly durationSeconds?: number;
  readonly error?: string;
}

export interface WebhookDocument {
  readonly version: typeof WEBHOOK_DOCUMENT_VERSION;
  readonly status: RunStatus;
  readonly mode: RunFacts['mode'];
  readonly repository?: string;
  readonly runUrl?: string;
  readonly durationSeconds: number;
  readonly error?: string;
  /** One entry per database, in the order they ran; empty when the run failed before it knew which. */
  readonly databases: readonly WebhookDatabase[];
}

export function webhookDocument(facts: RunFacts, env: NodeJS.ProcessEnv = process.env): WebhookDocument {
  return {
    version: WEBHOOK_DOCUMENT_VERSION,
    status: facts.status,
    mode: facts.mode,
    repository: env.GITHUB_REPOSITORY || undefined,
    runUrl: runUrl(env),
    durationSeconds: seconds(facts.durationSeconds),
    error: safeError(facts.error),
    databases: (facts.databases ?? singleDatabase(facts)).map(databaseEntry),
  };
}

/** Posts the run's document; a failure to do so only warns, with the HTTP status or network error, never the URL. */
export async function notifyWebhook(
  url: string,
  facts: RunFacts,
  env: NodeJS.ProcessEnv = process.env,
  options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<void> {
  const body = JSON.stringify(webhookDocument(facts, env));
  try {
    await deliver({ method: 'POST', url, body, contentType: 'application/json' }, options);
  } catch (error) {
    const reason = error instanceof DeliveryError ? error.message : 'failed the request';
    core.warning(
      `Webhook notification failed: the webhook ${withoutSecretUrl(reason, url, '<webhook URL>')}.`,
    );
  }
}

/** A run of one database keeps its facts on the run itself; `databaseEntry` picks the per-database ones. */
function singleDatabase(facts: RunFacts): DatabaseFacts[] {
  return facts.database === undefined ? [] : [{ ...facts, database: facts.database }];
}

function databaseEntry(facts: DatabaseFacts): WebhookDatabase {
  return {
    database: facts.database,
    status: facts.status,
    key: facts.key,
    sizeBytes: facts.sizeBytes,
    backupAgeSeconds: optionalSeconds(facts.backupAgeSeconds),
    restoreSeconds: optionalSeconds(facts.restoreSeconds),
    tablesChecked: facts.tablesChecked,
    tablesMismatched: facts.tablesMismatched,
    prunedCount: facts.prunedCount,
    durationSeconds: optionalSeconds(facts.durationSeconds),
    error: safeError(facts.error),
  };
}

/** Tenths of a second: what a person reads, and what a timer measured honestly. */
function seconds(value: number): number {
  return Math.round(value * 10) / 10;
}

function optionalSeconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : seconds(value);
}

function safeError(error: string | undefined): string | undefined {
  return error === undefined ? undefined : clipText(withoutUrlCredentials(error), ERROR_LIMIT);
}
