// Stopping a long-running CLI cleanly: SIGINT (Ctrl-C), SIGTERM (what `timeout`, `docker stop`,
// systemd and Kubernetes send) and SIGHUP (the terminal closed) all ask for the same graceful
// stop: the trainer checkpoints, the sweep stops its runs, the server closes.
import { constants } from 'node:os';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The conventional exit code of a process ended by `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + constants.signals[signal];
}

export interface StopSignals {
  /** The first stop signal received, or null. */
  readonly received: StopSignal | null;
  /** Removes the handlers. */
  dispose(): void;
}

/**
 * Calls `onStop` once, for the first stop signal. A further signal at least `abortAfterMs` later
 * (a deliberate second Ctrl-C) calls `onAbort` (default: exit at once with 128 + its number).
 * Signals within that window count as the first: on Ctrl-C the terminal signals every process of
 * the foreground group and npm relays the same signal to its child, so one key press arrives twice.
 *
 * `watchParent` (default: when run by an npm script): the parent process going away counts as
 * SIGHUP. npm relays SIGINT and SIGTERM to its script but not SIGHUP, and nothing relays SIGKILL:
 * when npm dies of either, the script would otherwise run on unsupervised.
 */
export function onStopSignals(
  onStop: (signal: StopSignal) => void,
  opts: { abortAfterMs?: number; onAbort?: (signal: StopSignal) => void; watchParent?: boolean } = {},
): StopSignals {
  const abortAfterMs = opts.abortAfterMs ?? 1000;
  let first: { signal: StopSignal; at: number } | null = null;
  const handler = (signal: StopSignal) => {
    if (signal === 'SIGHUP') {
      // The terminal may be gone: a write to it would fail (EIO) and crash the clean stop.
      for (const s of [process.stdout, process.stderr]) s.on('error', () => {});
    }
    const now = performance.now();
    if (!first) {
      first = { signal, at: now };
      onStop(signal);
    } else if (now - first.at >= abortAfterMs) {
      (opts.onAbort ?? ((s: StopSignal) => process.exit(signalExitCode(s))))(signal);
    }
  };
  for (const s of STOP_SIGNALS) process.on(s, handler);
  let watch: NodeJS.Timeout | undefined;
  if (opts.watchParent ?? Boolean(process.env.npm_lifecycle_event)) {
    const parent = process.ppid;
    watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      handler('SIGHUP');
    }, 500).unref();
  }
  return {
    get received() {
      return first?.signal ?? null;
    },
    dispose: () => {
      for (const s of STOP_SIGNALS) process.off(s, handler);
      clearInterval(watch);
    },
  };
}
