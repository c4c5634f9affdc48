import type { Arrangement } from './generated/mra-registry.js';

export type { Arrangement };

/** active: member lists flow; suspended: refused until reinstated; terminated: refused for good. */
export type ArrangementStatus = Arrangement['status'];

/**
 * The arrangements the gateway knows, by administration code. Membership data flows only in phase 4
 * (implementation) of an MRA, which the registry expresses as status `active` once the signing month
 * has begun.
 */
export class ArrangementRegistry {
  private readonly byCode: Map<string, Arrangement>;
  private readonly configured: Map<string, ArrangementStatus>;

  constructor(arrangements: readonly Arrangement[]) {
    this.byCode = new Map(arrangements.map((a) => [a.code, a]));
    this.configured = new Map(arrangements.map((a) => [a.code, a.status]));
  }

  /**
   * Puts an administrator's status change in force (the store keeps it, and it overrides mras.json).
   * The next `isActive` sees it, so a suspension refuses the very next submission.
   */
  applyStatus(code: string, status: ArrangementStatus): void {
    const arrangement = this.byCode.get(code);
    if (!arrangement) throw new Error(`No arrangement ${code} in the registry`);
    this.byCode.set(code, { ...arrangement, status });
  }

  /** The status mras.json gives, whatever administrators changed since. */
  configuredStatus(code: string): ArrangementStatus | undefined {
    return this.configured.get(code);
  }

  find(code: string): Arrangement | undefined {
    return this.byCode.get(code);
  }

  all(): Arrangement[] {
    return [...this.byCode.values()];
  }

  /** Whether member lists from this administration may be accepted at `at`. */
  isActive(code: string, at: Date): boolean {
    const arrangement = this.byCode.get(code);
    if (!arrangement || arrangement.status !== 'active') return false;
    return signingMonthStart(arrangement.signedOn) <= at.getTime();
  }
}

/** `signedOn` is year-month; the arrangement counts as signed from the first instant of that month, UTC. */
function signingMonthStart(signedOn: string): number {
  const [year, month] = signedOn.split('-').map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, 1);
}

/** Whether a member with this certificate type and status is within the arrangement's security scope now. */
export function isRecognized(arrangement: Arrangement, certificateType: string, status: string): boolean {
  return status === 'certified' && arrangement.recognizedCertificateTypes.includes(certificateType);
}
