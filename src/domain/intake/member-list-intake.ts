import type { ArrangementRegistry } from '../arrangement.js';
import type { Clock } from '../clock.js';
import { parseInstant } from '../rfc3339.js';
import { GatewayError } from '../gateway-error.js';
import type { MemberList } from '../generated/member-list.js';
import type { RecordSource } from '../member/member-record.js';
import { isUsableAt, partnerKeyState } from '../partner-key.js';
import { problemTypeUri } from '../problem-types.js';
import type { JwsSerialization } from '../signature/jws-envelope.js';
import type { MemberListVerifier, VerifiedSubmission } from '../signature/member-list-verifier.js';
import type { AdministrationAdmission } from './administration-admission.js';
import type { Warning } from '../member/member-cross-checks.js';
import { ChangeBatches } from './change-batches.js';
import type { AcceptedMessage, AdministrationCursor, IntakeStore, IntakeTransaction } from './intake-store.js';
import { ListedProblems, receiptWarnings } from './listed-problems.js';
import { entryKindOf, type MemberListSchema } from './member-list-schema.js';
import { passMembers } from './member-pass.js';
import { MemberPreparation } from './member-preparation.js';
import { checkPayload, decodeList, isArraySpan, parseEnvelope, type CheckedPayload } from './payload-decoding.js';
import { sha256Base64url, type Receipt, type ReceiptCounts, type ReceiptDigests, type ReceiptSigner } from './receipt.js';
import { ReceivedBody } from './received-body.js';
import { recordedProblem, type SubmissionRecord, type SubmissionRecorder } from './submission-record.js';
import { membersDigest, repeatOutcome, rulesDigest, type MarkedSnapshot, type SnapshotMark } from './snapshot-repeat.js';

export interface IntakeLimits {
  maxMembers: number;
  /** How far ahead of the gateway's clock issuedAt may be. */
  maxClockSkewMs: number;
  /** How old issuedAt may be. */
  maxMessageAgeMs: number;
}

export interface IntakeDependencies {
  verifier: Pick<MemberListVerifier, 'verify'>;
  schema: MemberListSchema;
  arrangements: ArrangementRegistry;
  store: IntakeStore;
  signer: ReceiptSigner;
  clock: Clock;
  limits: IntakeLimits;
  /** The gateway's version: part of the rules a repeated snapshot must have gone through (see snapshot-repeat). */
  gatewayVersion: string;
  /** Whether the authenticated administration may submit now (rate limits); throws a GatewayError if not. */
  admit?: AdministrationAdmission;
  /** Called after a commit that put records in the outbox, so the relay need not wait for its next poll. */
  onRecordsQueued?: () => void;
  /**
   * Brings what this instance caches from a shared store (arrangement statuses, receipt keys) up to
   * date with changes made through other instances; called once the sender is authenticated.
   */
  ensureCurrent?: () => Promise<void>;
  /**
   * Told of every submission whose signature verified once its answer is decided (the submission log),
   * except a refusal by the per-administration rate limit and a 5xx (no decision about the message).
   * Awaited before the answer, which it never changes.
   */
  recordSubmission?: SubmissionRecorder;
}

/** What the transport knows about a submission that the intake reports with it. */
export interface SubmissionContext {
  /** The request's id (X-Request-Id), to match a submission's record with its log lines. */
  requestId?: string;
}

export interface IntakeResult {
  /** 202 for a newly accepted message, 200 for a replay of one. */
  status: 202 | 200;
  receipt: Receipt;
  /** For logs and metrics only. */
  summary: { administration: string; messageId: string; kind: string; records: number };
}

/** What a message changed, stored inside the transaction by the time it is known (see apply). */
interface MessageChanges {
  counts: ReceiptCounts;
  warnings: Warning[];
  /** How many records were put in the outbox. */
  records: number;
  snapshotMark?: SnapshotMark | null;
}

/** What a message the ledger refuses (or a replay) changes: nothing. */
const NOTHING_APPLIED: MessageChanges = {
  counts: { members: 0, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: 0, notRecognized: 0 },
  warnings: [],
  records: 0,
};

type Arrangement = NonNullable<ReturnType<ArrangementRegistry['find']>>;

/** A snapshot that repeats the administration's current one (see snapshot-repeat). */
interface Repeat {
  list: MemberList;
  marked: MarkedSnapshot;
  outcome: NonNullable<ReturnType<typeof repeatOutcome>>;
}

/** Who signed a submission (its verification without the payload it returns). */
type Sender = Omit<VerifiedSubmission, 'payload'>;

/** A verified submission as received: who signed it, what its receipt states of its bytes, when it came. */
interface Received {
  verified: Sender;
  digests: ReceiptDigests;
  receivedAt: Date;
}

/** A verified submission as the transaction judges it: who signed it, what its receipt states, what its records cite. */
interface Submission {
  verified: Sender;
  digests: ReceiptDigests;
  source: RecordSource;
}

/** The mark changed between the look outside the transaction and the one inside: take the full path. */
class RepeatOutdated extends Error {}

/**
 * The story of a submission (ICD 1): verify the signature, check the payload's UTF-8 and JSON
 * structure, hold the list without its members to the schema, then, in one transaction, check again
 * that the signing keys and the arrangement are still in force, see what the ledger says (replay,
 * order), and take the members one at a time (member-pass): schema, member rules, and, when the message
 * is to apply, change detection and the writes of the new state and the outbound records, a batch at a
 * time. Refusals keep the contract's order whichever member breaks a rule, and a refusal takes back
 * everything written. Only then is a receipt returned; the relay publishes from the outbox.
 *
 * A snapshot whose members text repeats the one behind the current state is recognized before its
 * members are parsed; it goes through every rule that concerns the message itself, and its members
 * are all unchanged (snapshot-repeat.ts says when this holds).
 */
export class MemberListIntake {
  constructor(private readonly deps: IntakeDependencies) {}

  /** `body` is what was received, after any Content-Encoding was removed; a ReceivedBody is let go once verified. */
  async submit(body: Buffer | ReceivedBody, serialization: JwsSerialization, context: SubmissionContext = {}): Promise<IntakeResult> {
    const started = performance.now();
    const receivedAt = this.deps.clock.now();
    const { verified, payload, digests, size } = await this.verify(body instanceof ReceivedBody ? body : new ReceivedBody(body), serialization);
    // The list's envelope, once it has passed rules 3 and 4: what the submission's record says about the message.
    let known: MemberList | undefined;
    const recordOf = (fields: Pick<SubmissionRecord, 'outcome' | 'status' | 'problem' | 'counts' | 'warnings' | 'receipt'>): SubmissionRecord => ({
      administration: verified.administration,
      messageId: known?.messageId ?? null,
      kid: verified.kid,
      kind: known?.kind ?? null,
      sequence: known?.sequence ?? null,
      issuedAt: known?.issuedAt ?? null,
      receivedAt,
      ...digests,
      size,
      durationMs: performance.now() - started,
      requestId: context.requestId ?? null,
      ...fields,
    });
    try {
      await this.deps.admit?.(verified.administration);
      await this.deps.ensureCurrent?.();
      // The payload stays as its bytes (outside the JavaScript heap); its members are parsed from them one by one.
      const checked = checkPayload(payload, this.deps.limits.maxMembers);
      const submission = { verified, digests, receivedAt };
      const repeat = await this.repeatOf(checked, verified, receivedAt);
      let result: IntakeResult | undefined;
      if (repeat) {
        known = repeat.list;
        result = await this.repeated(repeat, submission);
      }
      result ??= await this.applied(checked, submission, (list) => (known = list));
      if (result.status === 202 && result.summary.records > 0) this.deps.onRecordsQueued?.();
      const { receipt } = result;
      await this.record(recordOf({ outcome: result.status === 202 ? 'accepted' : 'replayed', status: result.status, problem: null, counts: receipt.counts, warnings: receipt.warnings.length, receipt: receipt.receipt }));
      return result;
    } catch (error) {
      // Once the sender is known, a rejection carries a signed receipt saying what was refused and why;
      // not when its key was found unusable inside the transaction (a refused key never gets one), nor
      // when the gateway could not decide (its store unavailable): that is no answer about the message.
      // A rejection is recorded (not one by the rate limit: a flood must not fill the store).
      if (error instanceof GatewayError && error.status < 500) {
        const receipt = error.status !== 401 ? await this.signRejection(error, verified, receivedAt, digests, known?.messageId) : null;
        if (error.code !== 'rate-limited') {
          const problem = recordedProblem(error.code, error.status, error.message, error.errors);
          await this.record(recordOf({ outcome: 'rejected', status: error.status, problem, counts: null, warnings: 0, receipt }));
        }
        if (receipt !== null) throw error.withExtensions({ receipt });
      }
      throw error;
    }
  }

  /**
   * A snapshot that repeats the current one: its envelope goes through every rule, its members are all
   * unchanged. Undefined when the mark moved on meanwhile (the full path decides then).
   */
  private async repeated(repeat: Repeat, received: Received): Promise<IntakeResult | undefined> {
    const { list } = repeat;
    if (!this.deps.arrangements.find(list.administration) || !this.deps.arrangements.isActive(list.administration, received.receivedAt)) throw notActive(list.administration);
    const issuedAt = issuedAtProblem(list.issuedAt, received.receivedAt, this.deps.limits);
    if (issuedAt) throw issuedAt;
    const submission = this.submissionOf(list, received);
    try {
      return await this.deps.store.intake(list.administration, (tx) => this.apply(tx, list, submission, (applying) => this.repeatChanges(tx, repeat, applying)));
    } catch (error) {
      if (error instanceof RepeatOutdated) return undefined;
      throw error;
    }
  }

  /**
   * The full path. The list without its members is held to the schema, and rules 4 to 6 are decided on
   * it; then one pass over the members, one at a time, applies the schema and the member rules and, in
   * the transaction, plans and stores the changes a batch at a time (member-pass). Refusals keep the
   * contract's order: the members' schema errors (3) come before a wrong administration (4) or an
   * inactive MRA (5), their member errors (5a) before the message's age (6), and all of them before what
   * the ledger says (7, 8). A message that is refused anyway is checked outside any transaction.
   */
  private async applied(checked: CheckedPayload, received: Received, onKnown: (list: MemberList) => void): Promise<IntakeResult> {
    const { verified, receivedAt } = received;
    const decoded = decodeList(checked);
    const { envelope } = decoded;
    // A list over the size limit is refused on its count alone: its members are not read.
    const entries = decoded.entries && decoded.entries.count <= this.deps.limits.maxMembers ? decoded.entries : undefined;
    const kind = entryKindOf(envelope);
    const list = envelope as MemberList;
    const errors = new ListedProblems();
    errors.addUnder('', this.deps.schema.list(envelope));
    if (decoded.entries && !entries) errors.add({ pointer: '/members', detail: `must not have more than ${this.deps.limits.maxMembers} items` });
    const mismatch = errors.empty && list.administration !== verified.administration;
    const arrangement = errors.empty ? this.deps.arrangements.find(list.administration) : undefined;
    const active = arrangement !== undefined && this.deps.arrangements.isActive(list.administration, receivedAt);
    const issuedAt = errors.empty ? issuedAtProblem(list.issuedAt, receivedAt, this.deps.limits) : undefined;
    /** Refuses the message for the first rule it breaks, in order, once its members have been through the pass. */
    const judge = (schema: ListedProblems, preparation: MemberPreparation | undefined): void => {
      if (!schema.empty) {
        throw new GatewayError('schema-violation', `The payload has ${schema.total} schema error(s).`, { errors: schema.listed });
      }
      if (mismatch) throw new GatewayError('administration-mismatch', `The signing key belongs to ${verified.administration}, not ${list.administration}.`);
      onKnown(list);
      if (!active) throw notActive(list.administration);
      if (preparation && !preparation.errors.empty) {
        throw new GatewayError('invalid-members', `${preparation.errors.total} member error(s); the message was not applied.`, { errors: preparation.errors.listed });
      }
      if (issuedAt) throw issuedAt;
    };
    if (!errors.empty || mismatch || !active || issuedAt) {
      const preparation = errors.empty && !mismatch && active ? new MemberPreparation(arrangement, receivedAt) : undefined;
      await passMembers({ entries, kind, schema: this.deps.schema, schemaErrors: errors, preparation });
      judge(errors, preparation);
    }
    const submission = this.submissionOf(list, received);
    const mark = list.kind === 'snapshot' && checked.members ? this.markFor(checked, arrangement!, list.messageId, submission.source.receivedAt) : null;
    return this.deps.store.intake(list.administration, (tx) =>
      this.apply(tx, list, submission, async (applying) => {
        // The list itself had no schema error (or it would have been refused above): only its members' can come now.
        const schema = new ListedProblems();
        const preparation = new MemberPreparation(arrangement!, receivedAt);
        const changes = applying ? await ChangeBatches.open(tx, list.kind, arrangement!, submission.source) : undefined;
        await passMembers({ entries, kind, schema: this.deps.schema, schemaErrors: schema, preparation, changes });
        judge(schema, preparation);
        if (!changes) return NOTHING_APPLIED;
        return {
          counts: { members: entries?.count ?? 0, ...changes.counts, notRecognized: preparation.notRecognized },
          warnings: receiptWarnings(preparation.warnings, changes.unknownRemovals),
          records: changes.records,
          snapshotMark: mark,
        };
      }),
    );
  }

  private submissionOf(list: MemberList, { verified, digests, receivedAt }: Received): Submission {
    const source: RecordSource = { messageId: list.messageId, receivedAt: receivedAt.toISOString(), kid: verified.kid, digest: digests.digest, sequence: list.sequence ?? null };
    return { verified, digests, source };
  }

  /**
   * Rule 2, and what the receipt says of the bytes. The body is read here only, so it can be collected
   * once this returns (a 250,000-member list's is over 100 MB): from here on only the decoded payload
   * is held, apart from who signed it.
   */
  private async verify(received: ReceivedBody, serialization: JwsSerialization): Promise<{ verified: Sender; payload: Uint8Array; digests: ReceiptDigests; size: number }> {
    const body = received.take();
    const { payload, ...verified } = await this.deps.verifier.verify(body, serialization);
    return { verified, payload, digests: { digest: sha256Base64url(body), payloadDigest: sha256Base64url(payload) }, size: body.length };
  }

  /** Hands a decided submission to the recorder; nothing it does (or fails to do) changes the answer. */
  private async record(record: SubmissionRecord): Promise<void> {
    try {
      await this.deps.recordSubmission?.(record);
    } catch {
      // The recorder logs its own failures; the partner's answer stands.
    }
  }

  /**
   * The repeat this payload is, if it is one: its members text is that of the administration's marked
   * snapshot, and its envelope is a valid snapshot of the same administration. Anything else (including
   * an envelope with errors, which the full path reports exactly) is not a repeat.
   */
  private async repeatOf(checked: CheckedPayload, verified: Sender, receivedAt: Date): Promise<Repeat | undefined> {
    const members = checked.members;
    const arrangement = this.deps.arrangements.find(verified.administration);
    if (!members || !isArraySpan(members) || !arrangement) return undefined;
    const marked = await this.deps.store.markedSnapshot(verified.administration, members.end - members.start);
    const outcome = repeatOutcome(marked, {
      bytes: checked.bytes,
      members,
      rulesDigest: rulesDigest(arrangement, this.deps.gatewayVersion),
      receivedAt,
      maxMembers: this.deps.limits.maxMembers,
    });
    if (!marked || !outcome) return undefined;
    const envelope = parseEnvelope({ ...checked, members });
    if (this.deps.schema.list(envelope).length > 0) return undefined;
    const list = envelope as MemberList;
    if (list.kind !== 'snapshot' || list.administration !== verified.administration) return undefined;
    return { list, marked, outcome };
  }

  private markFor(checked: CheckedPayload, arrangement: Arrangement, messageId: string, receivedAt: string): SnapshotMark {
    const members = checked.members!;
    return {
      membersDigest: membersDigest(checked.bytes, members),
      membersLength: members.end - members.start,
      rulesDigest: rulesDigest(arrangement, this.deps.gatewayVersion),
      messageId,
      receivedAt,
    };
  }

  /**
   * Everything decided in the transaction, for the full path and for a repeated snapshot alike: rules 2
   * and 5 again as the store has them now, what the ledger says (rules 7 and 8), the members' pass
   * (which stores the changes only when the ledger lets the message apply, and refuses it first if its
   * members break a rule), then the receipt and the message, committed with the changes.
   */
  private async apply(
    tx: IntakeTransaction,
    list: MemberList,
    submission: Submission,
    changesOf: (applying: boolean) => Promise<MessageChanges>,
  ): Promise<IntakeResult> {
    const { verified, digests, source } = submission;
    const administration = list.administration;
    const summary = { administration, messageId: list.messageId, kind: list.kind, records: 0 };
    await this.checkStillInForce(tx, verified);
    const earlier = await tx.findMessage(administration, list.messageId);
    const cursor = earlier ? undefined : await tx.cursor(administration);
    let decided: IntakeResult | GatewayError | undefined;
    if (earlier) {
      decided = isReplay(earlier, digests)
        ? { status: 200, receipt: earlier.receipt, summary }
        : new GatewayError('message-id-conflict', `messageId ${list.messageId} was accepted at ${earlier.receivedAt} with a different signed payload.`);
    } else {
      decided = orderProblem(list, cursor!);
    }
    const { counts, warnings, records, snapshotMark } = await changesOf(decided === undefined);
    if (decided instanceof GatewayError) throw decided;
    if (decided) return decided;

    const claims = { messageId: list.messageId, administration, receivedAt: source.receivedAt, outcome: 'accepted' as const, counts };
    const receipt: Receipt = {
      ...claims,
      warnings,
      receipt: await this.deps.signer.sign({ ...claims, kind: list.kind, sequence: source.sequence, ...digests, warnings: warnings.length }),
    };
    const message: AcceptedMessage = {
      administration,
      messageId: list.messageId,
      digest: digests.digest,
      payloadDigest: digests.payloadDigest,
      kind: list.kind,
      sequence: source.sequence,
      issuedAt: list.issuedAt,
      receivedAt: source.receivedAt,
      kid: source.kid,
      receipt,
    };
    const last = cursor!;
    await tx.accept({
      message,
      cursor: {
        lastSequence: list.sequence !== undefined ? Math.max(list.sequence, last.lastSequence ?? 0) : last.lastSequence,
        lastSnapshotIssuedAt: list.kind === 'snapshot' ? list.issuedAt : last.lastSnapshotIssuedAt,
      },
      ...(snapshotMark !== undefined ? { snapshotMark } : {}),
    });
    return { status: 202, receipt, summary: { ...summary, records } };
  }

  /**
   * The keys were checked when the signature was verified and the arrangement before the members were
   * prepared, which for a long snapshot is seconds before this transaction. An administrator's
   * revocation or suspension in between (also through another gateway instance) is in the store now:
   * from the moment it took effect, nothing more is accepted.
   */
  private async checkStillInForce(tx: IntakeTransaction, verified: Sender): Promise<void> {
    const now = this.deps.clock.now();
    const { administration } = verified;
    for (const kid of new Set(verified.kids)) {
      const key = await tx.partnerKey(administration, kid);
      if (!key || !isUsableAt(key, now)) {
        const state = key ? partnerKeyState(key, now) : 'no longer registered';
        throw new GatewayError('inactive-key', `The key "${kid}" stopped being usable while the message was processed (${state}).`);
      }
    }
    // Both must say active: the status an administrator stored, and the registry (mras.json, the
    // signing month, and the changes this instance has applied).
    const stored = await tx.arrangementStatus(administration);
    if ((stored !== undefined && stored !== 'active') || !this.deps.arrangements.isActive(administration, now)) {
      throw new GatewayError('mra-not-active', `There is no active MRA with administration ${administration}.`);
    }
  }

  /** A repeated snapshot changes nothing, provided its mark is still the administration's current one. */
  private async repeatChanges(tx: IntakeTransaction, repeat: Repeat, applying: boolean): Promise<MessageChanges> {
    if (!applying) return NOTHING_APPLIED;
    const current = await tx.snapshotMark(repeat.list.administration);
    const expected = repeat.marked.mark;
    if (!current || current.messageId !== expected.messageId || current.membersDigest !== expected.membersDigest || current.rulesDigest !== expected.rulesDigest) {
      throw new RepeatOutdated();
    }
    return { ...repeat.outcome, records: 0 };
  }

  private async signRejection(error: GatewayError, verified: Sender, receivedAt: Date, digests: ReceiptDigests, messageId: string | undefined): Promise<string> {
    return this.deps.signer.sign({
      ...(messageId !== undefined ? { messageId } : {}),
      administration: verified.administration,
      receivedAt: receivedAt.toISOString(),
      outcome: 'rejected',
      status: error.status,
      problem: problemTypeUri(error.code),
      ...digests,
    });
  }
}

/**
 * Rule 7: the same messageId with the same signed payload is a replay, however the body around the
 * payload was serialized or signed (a partner that re-signs on retry, or a third party that changed an
 * unsigned part and sent it first). A message stored before payload digests were kept is judged by
 * its body, as it was then.
 */
function isReplay(earlier: AcceptedMessage, digests: ReceiptDigests): boolean {
  return earlier.payloadDigest !== null ? earlier.payloadDigest === digests.payloadDigest : earlier.digest === digests.digest;
}

/**
 * Rule 8: an old message must never roll state back. Every message must be issued after the last
 * accepted snapshot (a message from before it is already reflected in, or overtaken by, that
 * snapshot), and a sequence, where the message and an earlier one both carry one, must be above the
 * last accepted one. A message issued at the very instant of the last snapshot is accepted only when
 * its sequence orders it after. The time is compared even when there is a sequence: the sequence alone
 * would let a snapshot (or delta) with one, issued before a snapshot without one, roll that back.
 */
function orderProblem(list: MemberList, cursor: AdministrationCursor): GatewayError | undefined {
  const sequenced = list.sequence !== undefined && cursor.lastSequence !== null;
  if (sequenced && list.sequence! <= cursor.lastSequence!) {
    return new GatewayError('sequence-not-increasing', `sequence ${list.sequence} is not above the last accepted ${cursor.lastSequence}.`);
  }
  if (cursor.lastSnapshotIssuedAt === null) return undefined;
  const issued = parseInstant(list.issuedAt);
  const lastSnapshot = parseInstant(cursor.lastSnapshotIssuedAt);
  if (issued < lastSnapshot || (issued === lastSnapshot && !sequenced)) {
    return new GatewayError('sequence-not-increasing', `issuedAt ${list.issuedAt} is not after the last accepted snapshot's ${cursor.lastSnapshotIssuedAt}.`);
  }
  return undefined;
}

/** Rule 6: issuedAt at most maxClockSkewMs ahead of the gateway's clock and at most maxMessageAgeMs old. */
function issuedAtProblem(issuedAt: string, receivedAt: Date, limits: IntakeLimits): GatewayError | undefined {
  const issued = parseInstant(issuedAt);
  if (Number.isNaN(issued)) return new GatewayError('issued-at-out-of-range', `issuedAt ${issuedAt} is not an RFC 3339 date-time.`);
  const { maxClockSkewMs, maxMessageAgeMs } = limits;
  if (issued > receivedAt.getTime() + maxClockSkewMs) {
    return new GatewayError('issued-at-out-of-range', `issuedAt ${issuedAt} is more than ${maxClockSkewMs / 1000} s ahead of the gateway's clock.`);
  }
  if (issued < receivedAt.getTime() - maxMessageAgeMs) {
    return new GatewayError('issued-at-out-of-range', `issuedAt ${issuedAt} is older than ${maxMessageAgeMs / 3_600_000} h.`);
  }
  return undefined;
}

function notActive(administration: string): GatewayError {
  return new GatewayError('mra-not-active', `There is no active MRA with administration ${administration}.`);
}
