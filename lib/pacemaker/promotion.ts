/**
 * The one promotion-score publisher of the promotable agents (mfs-drbd-store, mfs-metarestore):
 * a score (or none) and its reasons, written with attributes.ts, and a record of what was last
 * written in a small JSON file (under /run: a reboot forgets it, as it forgets the attributes),
 * replaced atomically (rename), so that a steady monitor costs no CIB update:
 *
 * - an action (`force`) always writes both;
 * - a monitor writes the score when it changed, the reasons when they changed (with
 *   `reasonRefreshMs`, a reason whose codes are unchanged and only its figures moved, a lag for
 *   instance, is rewritten at most that often);
 * - whatever is unchanged is republished every 5 minutes all the same: a CIB may have been
 *   replaced (cibadmin --replace, a node's status section wiped) meanwhile.
 *
 * A failed score write forgets the record, so that the next call writes again.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Failure } from '../runtime/errors.js';
import { publishReason, setPromotionScore, type AttributeTarget } from './attributes.js';
import { isPacemakerTrue } from './cib.js';
import { renderReasons, type Reason } from './reason.js';

/** Republish an unchanged score and reason at least this often. */
export const REPUBLISH_MS = 5 * 60_000;

interface Record {
  score: number | null;
  /** The reasons' codes, and their text. */
  codes: string;
  reason: string;
  /** When the score, and the reason, were last written (ms since the epoch). */
  at: number;
  reasonAt: number;
}

/** The record's file for one resource instance on one node, in `dir`. */
export function publishedFile(dir: string, instance: string, node: string): string {
  return join(dir, `${instance.replace(/:\d+$/, '').replace(/[^\w.-]/g, '_')}-${node.replace(/[^\w.-]/g, '_')}.published.json`);
}

function readRecord(file: string): Record | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Record> | null;
    return parsed && typeof parsed.reason === 'string' && typeof parsed.at === 'number' ? (parsed as Record) : undefined;
  } catch {
    return undefined;
  }
}

function writeRecord(file: string, record: Record): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record)}\n`);
  renameSync(temporary, file);
}

export interface PromotionPublisher {
  /** Publishes the score (undefined: none) and why. */
  publish(score: number | undefined, reasons: readonly Reason[], options?: { force?: boolean; reasonRefreshMs?: number }): Promise<void>;
  /** Publishes reasons alone (a refusal beside an unchanged score); the record is forgotten. */
  publishReasonOnly(reasons: readonly Reason[]): Promise<void>;
}

export function promotionPublisher(target: AttributeTarget, file: string): PromotionPublisher {
  const forget = () => rmSync(file, { force: true });
  return {
    async publish(score, reasons, { force = false, reasonRefreshMs = 0 } = {}) {
      const last = force ? undefined : readRecord(file);
      const now = Date.now();
      const reason = renderReasons(reasons);
      const codes = reasons.map((r) => r.code).join(' ');
      const stale = !last || now - last.at >= REPUBLISH_MS;
      const scoreDue = stale || last.score !== (score ?? null);
      const reasonChanged = !last || last.reason !== reason;
      const reasonDue = stale || scoreDue || (reasonChanged && (last.codes !== codes || now - last.reasonAt >= reasonRefreshMs));
      if (!scoreDue && !reasonDue) return;
      const news = !last || last.score !== (score ?? null) || last.codes !== codes;
      (news ? target.log.info : target.log.debug).call(target.log, `promotion score ${score === undefined ? 'removed' : score}: ${reason}`);
      // One after the other: an offline CIB file has no locking, concurrent writers lose updates.
      const scoreOk = scoreDue ? await setPromotionScore(target, score) : true;
      const reasonOk = reasonDue ? await publishReason(target, reasons) : true;
      if (!scoreOk || !reasonOk) {
        forget(); // try again next time
        return;
      }
      try {
        writeRecord(file, {
          score: score ?? null,
          codes: reasonDue ? codes : last!.codes,
          reason: reasonDue ? reason : last!.reason,
          at: scoreDue ? now : last!.at,
          reasonAt: reasonDue ? now : last!.reasonAt,
        });
      } catch (error) {
        target.log.debug(`cannot record the published score in ${file}: ${(error as Error).message}`);
      }
    },
    async publishReasonOnly(reasons) {
      await publishReason(target, reasons);
      forget();
    },
  };
}

/**
 * Run as a clone (Pacemaker passes clone_max), a promotable agent needs notify=true and at most
 * one Promoted instance; `why` says what each is for. By hand (or ocf-tester) nothing is checked.
 */
export function checkPromotableClone(meta: (name: string) => string | undefined, why: { notify: string; promotedMax: string }): void {
  if (meta('clone_max') === undefined) return;
  if (!isPacemakerTrue(meta('notify'))) throw new Failure('misconfigured', `the clone of this resource needs meta attribute notify=true: ${why.notify}`);
  const promotedMax = Number(meta('promoted_max') ?? meta('master_max') ?? '1');
  if (promotedMax > 1) throw new Failure('misconfigured', `the clone of this resource must have promoted-max=1 (got ${promotedMax}): ${why.promotedMax}`);
}
