import * as core from '@actions/core';
import { formatBytes } from '../shared/format.js';

const INTERVAL_MS = 10_000;

export interface ProgressLog {
  stop(): void;
}

/** Logs bytes dumped and stored, and the rate since the last line, every 10 s until stopped. */
export function startProgressLog(read: () => { dumped: number; stored: number }): ProgressLog {
  const started = Date.now();
  let last = { at: started, dumped: 0 };
  const timer = setInterval(() => {
    const now = Date.now();
    const { dumped, stored } = read();
    const rate = (dumped - last.dumped) / Math.max(0.001, (now - last.at) / 1000);
    last = { at: now, dumped };
    core.info(
      `${Math.round((now - started) / 1000)} s: dumped ${formatBytes(dumped)} (${formatBytes(rate)}/s), ` +
        `stored ${formatBytes(stored)}`,
    );
  }, INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
    },
  };
}
