import type { JSONWebKeySet } from 'jose';
import { gatewayUrl, requestJson, type UploadProgress } from './gateway-client.js';
import { PartnerToolError } from './partner-tool-error.js';
import { bodyDigest, signedPayloadDigest, verifyReceipt, type VerifiedReceipt } from './receipt-check.js';
import { MEDIA_TYPES, serializationOf } from './sign-member-list.js';

export type PushResult =
  | { outcome: 'accepted' | 'replayed'; status: number; receipt: Record<string, unknown>; verified: VerifiedReceipt }
  | { outcome: 'rejected'; status: number; problem: Record<string, unknown>; verified: VerifiedReceipt | undefined };

export interface PushOptions {
  gateway: string;
  /** The JWS as produced by `sign` (compact or JSON serialization). */
  jws: string;
  /** A pinned key set to verify receipts with; by default the gateway's /.well-known/jwks.json. */
  jwks?: JSONWebKeySet;
  onProgress?: UploadProgress;
  /** Called when the upload is complete and the gateway is checking the list. */
  onUploaded?: () => void;
}

/**
 * Sends a signed member list to the gateway and verifies the signed receipt that comes back (for an
 * acceptance, a replay, and for a rejection once the sender was authenticated). A receipt that does
 * not verify is an error even when the list was accepted: the partner then has no proof. A replay
 * (200) answers with the original receipt, which may be about an earlier body with the same signed
 * payload (a retry signed again): it verifies when its payloadDigest is that of what was signed.
 */
export async function pushMemberList(options: PushOptions): Promise<PushResult> {
  const serialization = serializationOf(options.jws);
  const body = Buffer.from(serialization === 'compact' ? options.jws.trim() : options.jws);
  const digest = bodyDigest(body);
  const payloadDigest = signedPayloadDigest(options.jws, serialization);
  const response = await requestJson('POST', gatewayUrl(options.gateway, 'v1/member-lists'), {
    body,
    contentType: MEDIA_TYPES[serialization],
    onProgress: (sent, total) => {
      options.onProgress?.(sent, total);
      if (sent === total) options.onUploaded?.();
    },
  });
  const answer = typeof response.body === 'object' && response.body !== null ? (response.body as Record<string, unknown>) : undefined;
  if (!answer) throw new PartnerToolError('unexpected-response', `the gateway answered ${response.status} without a JSON body`);
  const jwks = options.jwks ?? (await fetchJwks(options.gateway));

  if (response.status === 200 || response.status === 202) {
    if (typeof answer.receipt !== 'string') throw new PartnerToolError('receipt-unverified', 'the gateway accepted the list but sent no signed receipt');
    const { messageId, administration, receivedAt, outcome, counts } = answer;
    const verified = await verifyReceipt(answer.receipt, jwks, { digest, payloadDigest, replay: response.status === 200, claims: { messageId, administration, receivedAt, outcome, counts } });
    return { outcome: response.status === 202 ? 'accepted' : 'replayed', status: response.status, receipt: answer, verified };
  }
  const verified = typeof answer.receipt === 'string' ? await verifyReceipt(answer.receipt, jwks, { digest, payloadDigest, claims: { outcome: 'rejected', status: response.status } }) : undefined;
  return { outcome: 'rejected', status: response.status, problem: answer, verified };
}

/** The gateway's receipt keys. */
export async function fetchJwks(gateway: string): Promise<JSONWebKeySet> {
  const response = await requestJson('GET', gatewayUrl(gateway, '.well-known/jwks.json'));
  const keys = (response.body as { keys?: unknown } | undefined)?.keys;
  if (response.status !== 200 || !Array.isArray(keys)) throw new PartnerToolError('unexpected-response', `the gateway's key set answered ${response.status} without keys`);
  return response.body as JSONWebKeySet;
}
