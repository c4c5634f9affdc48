import type { JSONWebKeySet } from 'jose';
import { CliError } from '../cli-error.js';
import { fetchGatewayJwks, gatewayAnswer, gatewayUrl, requestJson, type UploadProgress } from './gateway-client.js';
import { bodyDigest, signedPayloadDigest, verifyReceipt, type VerifiedReceipt } from './receipt-check.js';
import { MEDIA_TYPES, serializationOf } from './sign-member-list.js';

export type PushResult =
  | { outcome: 'accepted' | 'replayed'; status: number; receipt: Record<string, unknown>; verified: VerifiedReceipt }
  | { outcome: 'rejected'; status: number; problem: Record<string, unknown>; verified: VerifiedReceipt | undefined };

export interface PushOptions {
  /** The gateway's base URL. */
  gateway: string;
  /** The JWS as produced by `sign` (compact or JSON serialization). */
  jws: string;
  /** A pinned key set to verify receipts with; by default the gateway's /.well-known/jwks.json. */
  jwks?: JSONWebKeySet;
  onProgress?: UploadProgress;
  /** Called once the gateway is known to be there, before the upload starts. */
  onSending?: (url: URL, bytes: number) => void;
  /** Called when the whole body has been handed to the network and the gateway is checking the list. */
  onUploaded?: () => void;
}

/**
 * Sends a signed member list to the gateway and verifies the signed receipt that comes back (for an
 * acceptance, a replay, and for a rejection once the sender was authenticated). A receipt that does
 * not verify is an error even when the list was accepted: the partner then has no proof. A replay
 * (200) answers with the original receipt, which may be about an earlier body with the same signed
 * payload (a retry signed again): it verifies when its payloadDigest is that of what was signed.
 *
 * Before the upload, the base URL is checked: an mra-gateway serves its key set at
 * /.well-known/jwks.json, so nothing there (or nothing listening) stops the push with exit code 5
 * before a byte of the list is sent.
 */
export async function pushMemberList(options: PushOptions): Promise<PushResult> {
  const serialization = serializationOf(options.jws);
  const body = Buffer.from(serialization === 'compact' ? options.jws.trim() : options.jws);
  const digest = bodyDigest(body);
  const payloadDigest = signedPayloadDigest(options.jws, serialization);
  const url = gatewayUrl(options.gateway, 'v1/member-lists');
  await fetchGatewayJwks(options.gateway);
  options.onSending?.(url, body.length);
  const response = await requestJson('POST', url, {
    body,
    contentType: MEDIA_TYPES[serialization],
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.onUploaded ? { onUploaded: options.onUploaded } : {}),
  });
  const answer = gatewayAnswer(response, options.gateway);
  // Fetched after the answer: a receipt key rotated meanwhile is in it.
  const jwks = options.jwks ?? (await fetchGatewayJwks(options.gateway));

  if (answer.kind === 'answer') {
    const receipt = answer.body as Record<string, unknown> | null;
    if (response.status !== 200 && response.status !== 202) throw new CliError('unexpected-response', `POST ${url.href} answered ${response.status}, which the gateway never answers to a member list`);
    if (typeof receipt !== 'object' || receipt === null || typeof receipt.receipt !== 'string') throw new CliError('receipt-unverified', `the gateway answered ${response.status} but sent no signed receipt`);
    const { messageId, administration, receivedAt, outcome, counts } = receipt;
    let verified: VerifiedReceipt;
    try {
      verified = await verifyReceipt(receipt.receipt, jwks, { digest, payloadDigest, replay: response.status === 200, claims: { messageId, administration, receivedAt, outcome, counts } });
    } catch (error) {
      // The list was taken, but there is no proof of it: say both.
      if (error instanceof CliError) throw new CliError(error.code, `the gateway answered ${response.status} (${response.status === 202 ? 'accepted' : 'a replay'}), but ${error.message}`, error.details, receipt);
      throw error;
    }
    return { outcome: response.status === 202 ? 'accepted' : 'replayed', status: response.status, receipt, verified };
  }
  const problem = answer.problem;
  const verified = typeof problem.receipt === 'string' ? await verifyReceipt(problem.receipt, jwks, { digest, payloadDigest, claims: { outcome: 'rejected', status: response.status } }) : undefined;
  return { outcome: 'rejected', status: response.status, problem, verified };
}

/** The gateway's receipt keys (GET /.well-known/jwks.json under the base URL). */
export const fetchJwks = fetchGatewayJwks;
