// Decision-log lines for the CLI guard (check, hook, wrap), in the shape of OPA's decision log
// events, so that whatever collects OPA's (or dockgate serve's) decisions can take these too:
// one JSON line per request judged, and one per part of a command that could not be judged.
//   labels         {app: "dockgate", id: this process's id, version, point: check|hook|wrap}
//   decision_id    a fresh id per line
//   path           "docker/authz", the policy document the verdict comes from
//   input          the request as handed to the decision core (layer, method, path, body, the
//                  caller) and the command it came from; the shell text for an undecidable part
//   result         {outcome, allow, deny: the policy's reasons, notes}
//   requested_by   the caller ("uid:1000(alice)")
//   timestamp      RFC 3339, UTC
//   metrics        {timer_dockgate_judge_ns}: the time the decision core took
// Lines are appended to a file (FILE from --decision-log, else DOCKGATE_DECISION_LOG), written
// whole with one write each so that concurrent hook calls do not interleave. A line that cannot
// be written is reported on stderr; the verdict stands.
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

export type GuardPoint = 'check' | 'hook' | 'wrap';

export interface DecisionEvent {
  input: Record<string, unknown>;
  result: Record<string, unknown>;
  requestedBy: string;
  /** Nanoseconds the decision core took (0: no request was judged). */
  judgeNs: number;
}

export interface DecisionLog {
  write(event: DecisionEvent): void;
}

/** Lines longer than this are cut down to their verdict (a body of megabytes is not logged whole). */
const MAX_LINE = 256 * 1024;

const VERSION = '0.1.0';

/** The decision log a command asked for, or undefined when none is configured. */
export function decisionLogFor(
  values: Record<string, unknown>,
  point: GuardPoint,
  env: Record<string, string | undefined> = process.env,
): DecisionLog | undefined {
  const file =
    typeof values['decision-log'] === 'string' ? values['decision-log'] : env.DOCKGATE_DECISION_LOG || undefined;
  return file === undefined ? undefined : new FileDecisionLog(file, point);
}

class FileDecisionLog implements DecisionLog {
  private readonly labels: Record<string, string>;

  constructor(
    private readonly file: string,
    point: GuardPoint,
  ) {
    this.labels = { app: 'dockgate', id: randomUUID(), version: VERSION, point };
  }

  write(event: DecisionEvent): void {
    const line = decisionLine(this.labels, event);
    let fd: number | undefined;
    try {
      fd = openSync(this.file, 'a', 0o600);
      writeSync(fd, line);
    } catch (err) {
      process.stderr.write(`dockgate: decision log ${this.file}: ${(err as Error).message}\n`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

export function decisionLine(labels: Record<string, string>, event: DecisionEvent, now = new Date()): string {
  const record = {
    labels,
    decision_id: randomUUID(),
    path: 'docker/authz',
    input: event.input,
    result: event.result,
    requested_by: event.requestedBy,
    timestamp: now.toISOString(),
    metrics: { timer_dockgate_judge_ns: event.judgeNs },
  };
  let line = JSON.stringify(record);
  if (line.length > MAX_LINE) {
    const { Body: _omitted, ...rest } = event.input;
    line = JSON.stringify({ ...record, input: { ...rest, Body: '(omitted: over the line limit)' } });
    if (line.length > MAX_LINE) line = JSON.stringify({ ...record, input: { omitted: 'over the line limit' } });
  }
  return `${line}\n`;
}
