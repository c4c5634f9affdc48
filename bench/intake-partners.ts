/**
 * The partners of the intake bench (bench/run.ts): a configuration directory with one signing key per
 * administration, the signers, and the lists they send. One directory serves every gateway of the run;
 * each gateway has a store of its own, so the same keys and list numbers are fresh to each.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CompactSign, exportJWK, generateKeyPair } from 'jose';
import type { Member } from '../src/domain/generated/member-list.js';
import { benchMember } from './bench-members.js';

export const ADMINISTRATIONS = ['EU', 'GB', 'JP', 'MX', 'KR'] as const;
export type Administration = (typeof ADMINISTRATIONS)[number];

export interface Signer {
  kid: string;
  sign(payload: unknown): Promise<string>;
}

const root = path.resolve(import.meta.dirname, '..');

async function partnerSigner(administration: Administration): Promise<{ signer: Signer; publicJwk: object }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = `bench-${administration.toLowerCase()}-${Date.now()}`;
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid },
    signer: {
      kid,
      sign: (payload) =>
        new CompactSign(Buffer.from(JSON.stringify(payload))).setProtectedHeader({ alg: 'ES256', kid, typ: 'mra-member-list+json' }).sign(privateKey),
    },
  };
}

/** Writes `configDir` (the MRAs and every administration's public key) and gives the signers. */
export async function writePartnerConfig(configDir: string): Promise<Record<Administration, Signer>> {
  mkdirSync(path.join(configDir, 'partner-keys'), { recursive: true });
  copyFileSync(path.join(root, 'config/mras.json'), path.join(configDir, 'mras.json'));
  const signers: Partial<Record<Administration, Signer>> = {};
  for (const administration of ADMINISTRATIONS) {
    const { signer, publicJwk } = await partnerSigner(administration);
    signers[administration] = signer;
    writeFileSync(path.join(configDir, 'partner-keys', `${administration}.json`), JSON.stringify({ keys: [publicJwk] }));
  }
  return signers as Record<Administration, Signer>;
}

/** A member of a non-EU administration for the small-submission phase (opaque identifiers). */
export function otherMember(administration: Administration, i: number, version: number): Member {
  const base = benchMember(i, version);
  const country = administration === 'GB' ? 'GB' : administration;
  return {
    ...base,
    memberId: administration === 'GB' ? `GB${String(100_000_000_000 + i)}` : `${administration}-${i}`,
    idScheme: administration === 'GB' ? 'EORI' : 'OTHER',
    address: { ...base.address, country },
    certificateType: { GB: 'AEOS', JP: 'AEO', MX: 'OEA', KR: 'AEO' }[administration as string] ?? 'AEO',
  };
}

export function listOf(administration: Administration, kind: 'snapshot' | 'delta', members: Member[], messageId: string, sequence?: number) {
  return { specVersion: '1.0', messageId, administration, issuedAt: new Date().toISOString(), kind, ...(sequence ? { sequence } : {}), members };
}
