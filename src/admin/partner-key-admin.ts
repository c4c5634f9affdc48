import type { JWK } from 'jose';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { ArrangementRegistry } from '../domain/arrangement.js';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import { partnerKeyState, type PartnerKey, type PartnerKeyState } from '../domain/partner-key.js';
import { checkPartnerJwk } from '../domain/partner-key-policy.js';
import type { AdminActor, AdminStore, AdminTransaction } from './admin-store.js';
import type { AddKeyRequest } from './admin-requests.js';
import type { AuditLog } from './audit-log.js';

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
  store: AdminStore;
  audit: AuditLog;
  clock: Clock;
  /** The partner algorithm allowlist (JWS_ALGORITHMS): a key no allowed algorithm can use is refused. */
  allowedAlgorithms: readonly string[];
}

/** The JWK members a registered key keeps; others (key_ops, ext, x5c ...) could only get in the way. */
const KEPT_MEMBERS = ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * Partner key lifecycle per administration (ICD 3): add, list, retire at a future time (the old and the
 * new key both verify until then), revoke at once. The intake reads the same store for every message,
 * so each change applies to the next submission.
 */
export class PartnerKeyAdmin {
  constructor(private readonly deps: PartnerKeyAdminDependencies) {}

  async list(code: string): Promise<PartnerKeyView[]> {
    this.requireAdministration(code);
    const now = this.deps.clock.now();
    return this.deps.store.transaction(async (tx) => (await tx.partnerKeys(code)).map((key) => view(key, now)));
  }

  async add(actor: AdminActor, code: string, request: AddKeyRequest): Promise<PartnerKeyView> {
    this.requireAdministration(code);
    const jwk = publicJwk(checkPartnerJwk(request.jwk, this.deps.allowedAlgorithms));
    const now = this.deps.clock.now();
    if (request.notAfter && request.notAfter.getTime() <= now.getTime()) throw invalidTime('/notAfter', 'must be in the future: a key that has already expired cannot be added');
    if (request.notBefore && request.notAfter && request.notAfter.getTime() <= request.notBefore.getTime()) throw invalidTime('/notAfter', 'must be after notBefore');
    return this.deps.audit.change(actor, async (tx, at) => {
      if (await tx.partnerKey(code, jwk.kid)) {
        throw new GatewayError('duplicate-kid', `${code} already has a key with kid "${jwk.kid}"; register the new key under a new kid.`);
      }
      const key: PartnerKey = { administration: code, kid: jwk.kid, jwk, notBefore: request.notBefore, notAfter: request.notAfter, revokedAt: null, revocationReason: null, addedAt: at };
      await tx.addPartnerKey(key);
      const added = view(key, at);
      return { action: 'partner-key.add', administration: code, kid: key.kid, before: null, after: added, result: added };
    });
  }

  /** Sets the time the key stops verifying; until then it keeps working beside its successor. */
  async retire(actor: AdminActor, code: string, kid: string, notAfter: Date): Promise<PartnerKeyView> {
    this.requireAdministration(code);
    return this.deps.audit.change(actor, async (tx, at) => {
      const key = await this.existingKey(tx, code, kid);
      const state = partnerKeyState(key, at);
      if (state === 'revoked' || state === 'expired') throw new GatewayError('invalid-state-transition', `Key "${kid}" of ${code} is already ${state}.`);
      if (notAfter.getTime() <= at.getTime()) throw invalidTime('/notAfter', 'must be in the future, to leave an overlap window; revoke the key to stop it at once');
      if (key.notBefore && notAfter.getTime() <= key.notBefore.getTime()) throw invalidTime('/notAfter', 'must be after the key\'s notBefore');
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

/** The checked key reduced to its public members, after proving the numbers form a key. */
function publicJwk(checked: JWK & { kid: string }): JWK & { kid: string } {
  try {
    // The policy checks members; importing proves the rest (an EC point on its curve, a sane modulus).
    createPublicKey({ key: checked as JsonWebKey, format: 'jwk' });
  } catch {
    throw new GatewayError('invalid-partner-key', 'Partner key refused: the key parameters do not form a valid public key.');
  }
  const kept: Record<string, unknown> = {};
  for (const member of KEPT_MEMBERS) if (checked[member] !== undefined) kept[member] = checked[member];
  return kept as JWK & { kid: string };
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
