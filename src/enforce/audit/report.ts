// How an audit is shown: one block per finding for people, or one JSON document for tools.
import type { AuditReport, Finding } from './audit.js';
import { jsonText, MUTATION_RULE } from './judge.js';
import type { Owner } from './owners.js';

/**
 * Text: each finding as a head line (kind, short id, name, owner) and one indented line per
 * reason ("RULE: MSG (HINT)"), then a summary line.
 */
export function formatText(report: AuditReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    const id = f.kind === 'container' ? `${f.id.slice(0, 12)} ` : '';
    lines.push(`${f.kind} ${id}${oneLine(f.name)} (${ownerText(f.owner)})`);
    for (const r of f.reasons)
      lines.push(`  ${r.rule ? `${r.rule}: ` : ''}${oneLine(r.msg)}${r.hint ? ` (${oneLine(r.hint)})` : ''}`);
    if (f.changes.length > 0) lines.push(`  ${MUTATION_RULE}: ${changeText(f)}`);
  }
  lines.push(summary(report));
  return lines.join('\n') + '\n';
}

/** The JSON document of `--json`: the counts, every finding and every error. */
export function formatJson(report: AuditReport): string {
  const doc = {
    containers: report.containers,
    volumes: report.volumes,
    findings: report.findings.map((f) => ({
      kind: f.kind,
      id: f.id,
      name: f.name,
      owner: { name: f.owner.name, source: f.owner.source, ...(f.owner.note ? { note: f.owner.note } : {}) },
      reasons: f.reasons,
      changes: f.changes,
    })),
    errors: report.errors,
  };
  return `${jsonText(doc)}\n`;
}

/** One line per object that could not be judged, for stderr. */
export function formatErrors(report: AuditReport): string {
  return report.errors
    .map(
      (e) =>
        `dockgate: audit: ${e.kind}${e.name || e.id ? ` ${oneLine(e.name || e.id)}` : ''}: ${oneLine(e.message)}\n`,
    )
    .join('');
}

export function summary(report: AuditReport): string {
  const n = report.findings.length;
  const what = `${report.containers} container${report.containers === 1 ? '' : 's'} and ${report.volumes} volume${report.volumes === 1 ? '' : 's'}`;
  const errors = report.errors.length > 0 ? `; ${report.errors.length} could not be judged` : '';
  return n === 0
    ? `dockgate audit: nothing found in ${what}${errors}`
    : `dockgate audit: ${n} of ${what} would not be allowed as they are${errors}`;
}

function changeText(f: Finding): string {
  const parts = f.changes.map((c) =>
    c.path === '...' ? '...' : `${c.path} ${jsonText(c.before) ?? '(absent)'} -> ${jsonText(c.after) ?? '(absent)'}`,
  );
  return `the policy would change this ${f.kind}: ${oneLine(parts.join('; '))}`;
}

function ownerText(owner: Owner): string {
  if (owner.source === 'unknown') return 'owner unknown';
  const from = owner.source === 'as' ? ', from --as' : '';
  return `owner ${oneLine(owner.name)}${from}${owner.note ? `: ${oneLine(owner.note)}` : ''}`;
}

/**
 * Names, labels and messages come from the daemon and from whoever created the object: control
 * characters are shown escaped, so a finding cannot forge or hide lines of the report.
 */
function oneLine(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
