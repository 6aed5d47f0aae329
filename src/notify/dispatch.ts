/**
 * Every notification channel of a run, in one place: the heartbeat pings at the start and the end whatever `notify`
 * says (its silence is what alerts), while Slack and the webhook follow `notify`. Each channel warns on its own
 * problems and none of them can fail the run.
 */
import { failureMessage, type HeartbeatSettings, pingHeartbeat } from './heartbeat.js';
import { type NotifyWhen, type RunFacts, shouldNotify } from './run-facts.js';
import { notifySlack } from './slack.js';
import { notifyWebhook } from './webhook.js';
import type { DeliveryOptions } from './delivery.js';
import { scrubForPosting } from '../shared/posted-text.js';

export interface NotificationSettings {
  readonly notify: NotifyWhen;
  readonly slackWebhookUrl: string | undefined;
  readonly webhookUrl: string | undefined;
  readonly heartbeat: HeartbeatSettings | undefined;
}

/** The heartbeat's start ping, once, as the run begins its work. */
export async function notifyStart(settings: NotificationSettings, options?: DeliveryOptions): Promise<void> {
  if (settings.heartbeat) await pingHeartbeat(settings.heartbeat, 'start', undefined, options);
}

/** The end of the run, told to every channel at once. */
export async function notifyEnd(
  settings: NotificationSettings,
  facts: RunFacts,
  env: NodeJS.ProcessEnv = process.env,
  options?: DeliveryOptions,
): Promise<void> {
  const { heartbeat, slackWebhookUrl, webhookUrl } = settings;
  const told = shouldNotify(settings.notify, facts.status);
  const posted = scrubbedFacts(facts);
  const failed = facts.status === 'failed';
  await Promise.all([
    heartbeat &&
      pingHeartbeat(
        heartbeat,
        failed ? 'failure' : 'success',
        failed ? failureMessage(posted, env) : undefined,
        options,
      ),
    told && slackWebhookUrl && notifySlack(slackWebhookUrl, posted, env),
    told && webhookUrl && notifyWebhook(webhookUrl, posted, env, options),
  ]);
}

/** The facts with their errors as they may be posted: every channel is outside the log's masking. */
function scrubbedFacts(facts: RunFacts): RunFacts {
  const error = facts.error === undefined ? {} : { error: scrubForPosting(facts.error) };
  const databases = facts.databases?.map((entry) =>
    entry.error === undefined ? entry : { ...entry, error: scrubForPosting(entry.error) },
  );
  return { ...facts, ...error, ...(databases ? { databases } : {}) };
}
