import type { JWK } from 'jose';
import type { ArrangementRegistry } from '../domain/arrangement.js';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import { partnerKeyState, partnerKeyWeakness, type PartnerKey, type PartnerKeyState } from '../domain/partner-key.js';
import type { AdminActor, AdminStore, AdminTransaction } from './admin-store.js';
import type { AddKeyRequest } from './admin-requests.js';
import type { AuditLog } from './audit-log.js';
import { registrablePartnerJwk } from './partner-jwk.js';

/** A partner key as the admin API shows it: the public JWK, its window, and its state now. */
export interface PartnerKeyView {
  kid: string;
  state: PartnerKeyState;
  jwk: JWK;
  notBefore: string | null;
  notAfter: string | null;
  revokedAt: string | null;
  revocationReason: string | null;
  addedAt: string;
}

export interface PartnerKeyAdminDependencies {
  arrangements: ArrangementRegistry;
  /** Changes, each in one transaction with its audit entry; listing without one. */
  store: AdminStore;
  audit: AuditLog;
  clock: Clock;
  /** The partner algorithm allowlist (JWS_ALGORITHMS): a key no allowed algorithm can use is refused. */
  allowedAlgorithms: readonly string[];
}

/**
 * Partner key lifecycle per administration (ICD 3): add, list, retire at a future time (the old and the
 * new key both verify until then), revoke at once. The intake reads the same store for every message,
 * so each change applies to the next submission.
 */
export class PartnerKeyAdmin {
  constructor(private readonly deps: PartnerKeyAdminDependencies) {}

  async list(code: string): Promise<PartnerKeyView[]> {
    this.requireAdministration(code);
    const keys = await this.deps.store.partnerKeys(code);
    const now = this.deps.clock.now();
    return keys.map((key) => view(key, now));
  }

  async add(actor: AdminActor, code: string, request: AddKeyRequest): Promise<PartnerKeyView> {
    this.requireAdministration(code);
    const jwk = registrablePartnerJwk(request.jwk, this.deps.allowedAlgorithms);
    const now = this.deps.clock.now();
    if (request.notAfter && request.notAfter.getTime() <= now.getTime()) throw invalidTime('/notAfter', 'must be in the future: a key that has already expired cannot be added');
    if (request.notBefore && request.notAfter && request.notAfter.getTime() <= request.notBefore.getTime()) throw invalidTime('/notAfter', 'must be after notBefore');
    return this.deps.audit.change(actor, async (tx, at) => {
      // In the transaction, so that two administrators adding the same kid at once cannot both succeed.
      const holders = await tx.partnerKeysWithKid(jwk.kid);
      if (holders.some((key) => key.administration === code)) {
        throw new GatewayError('duplicate-kid', `${code} already has a key with kid "${jwk.kid}"; register the new key under a new kid.`);
      }
      const other = holders[0];
      if (other) {
        // The verifier finds a key by its kid alone: one kid for two administrations would let the kid
        // stand for either sender.
        throw new GatewayError('kid-in-use', `The kid "${jwk.kid}" is already registered for ${other.administration}; a kid names one key across all administrations, so register this key under another kid.`);
      }
      const key: PartnerKey = { administration: code, kid: jwk.kid, jwk, notBefore: request.notBefore, notAfter: request.notAfter, revokedAt: null, revocationReason: null, addedAt: at };
      await tx.addPartnerKey(key);
      const added = view(key, at);
      return { action: 'partner-key.add', administration: code, kid: key.kid, before: null, after: added, result: added };
    });
  }

  /**
   * Sets the time a key in use stops verifying; until then it keeps working beside its successor.
   * Retiring only ever shortens a key's life: a key already retiring can have its end brought earlier,
   * never later (an extension is refused, not applied). A pending key is not in use yet, so there is
   * nothing to retire: during a rollover it is usually the successor, and ending it would open a gap.
   */
  async retire(actor: AdminActor, code: string, kid: string, notAfter: Date): Promise<PartnerKeyView> {
    this.requireAdministration(code);
    return this.deps.audit.change(actor, async (tx, at) => {
      const key = await this.existingKey(tx, code, kid);
      const state = partnerKeyState(key, at);
      if (state === 'revoked' || state === 'expired') throw new GatewayError('invalid-state-transition', `Key "${kid}" of ${code} is already ${state}.`);
      if (state === 'unsafe') {
        throw new GatewayError('invalid-state-transition', `Key "${kid}" of ${code} is unsafe (${partnerKeyWeakness(key)}) and is never used: there is nothing to retire; revoke it.`);
      }
      if (state === 'pending') {
        throw new GatewayError(
          'invalid-state-transition',
          `Key "${kid}" of ${code} is pending (accepted from ${iso(key.notBefore)}): only a key in use can be retired. Retire it once it is active, or revoke it if it must never be used.`,
        );
      }
      if (key.notAfter && notAfter.getTime() >= key.notAfter.getTime()) {
        throw new GatewayError(
          'invalid-state-transition',
          `Key "${kid}" of ${code} is already retiring at ${iso(key.notAfter)}: retiring can bring that time earlier, never keep or move it later.`,
        );
      }
      if (notAfter.getTime() <= at.getTime()) throw invalidTime('/notAfter', 'must be in the future, to leave an overlap window; revoke the key to stop it at once');
      const retired = { ...key, notAfter };
      await tx.updatePartnerKey(retired);
      return { action: 'partner-key.retire', administration: code, kid, before: lifecycle(key, at), after: lifecycle(retired, at), result: view(retired, at) };
    });
  }

  /** Stops the key at once: the next submission signed with it is refused. */
  async revoke(actor: AdminActor, code: string, kid: string, reason: string): Promise<PartnerKeyView> {
    this.requireAdministration(code);
    return this.deps.audit.change(actor, async (tx, at) => {
      const key = await this.existingKey(tx, code, kid);
      if (key.revokedAt) throw new GatewayError('invalid-state-transition', `Key "${kid}" of ${code} was already revoked at ${key.revokedAt.toISOString()}.`);
      const revoked = { ...key, revokedAt: at, revocationReason: reason };
      await tx.updatePartnerKey(revoked);
      return { action: 'partner-key.revoke', administration: code, kid, before: lifecycle(key, at), after: lifecycle(revoked, at), reason, result: view(revoked, at) };
    });
  }

  private requireAdministration(code: string): void {
    if (!this.deps.arrangements.find(code)) throw new GatewayError('unknown-administration', `There is no arrangement with administration code "${code}".`);
  }

  private async existingKey(tx: AdminTransaction, code: string, kid: string): Promise<PartnerKey> {
    const key = await tx.partnerKey(code, kid);
    if (!key) throw new GatewayError('partner-key-not-found', `${code} has no key with kid "${kid}".`);
    return key;
  }
}

function invalidTime(pointer: string, detail: string): GatewayError {
  return new GatewayError('invalid-request', `${pointer.slice(1)} ${detail}.`, { errors: [{ pointer, detail }] });
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** The parts of a key that retire and revoke change: what the audit log records before and after. */
function lifecycle(key: PartnerKey, now: Date) {
  return { state: partnerKeyState(key, now), notBefore: iso(key.notBefore), notAfter: iso(key.notAfter), revokedAt: iso(key.revokedAt), revocationReason: key.revocationReason };
}

function view(key: PartnerKey, now: Date): PartnerKeyView {
  return { kid: key.kid, ...lifecycle(key, now), jwk: key.jwk, addedAt: key.addedAt.toISOString() };
}
