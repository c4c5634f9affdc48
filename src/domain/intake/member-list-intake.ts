import type { ArrangementRegistry } from '../arrangement.js';
import type { Clock } from '../clock.js';
import { parseInstant } from '../rfc3339.js';
import { GatewayError, type ProblemItem } from '../gateway-error.js';
import type { MemberList } from '../generated/member-list.js';
import { planChanges, type ChangePlan, type VersionedMember } from '../member/change-plan.js';
import { recordSerializer, routingKeyFor, type RecordSource } from '../member/member-record.js';
import { isUsableAt, partnerKeyState } from '../partner-key.js';
import { problemTypeUri } from '../problem-types.js';
import type { JwsSerialization } from '../signature/jws-envelope.js';
import type { MemberListVerifier, VerifiedSubmission } from '../signature/member-list-verifier.js';
import type { AdministrationAdmission } from './administration-admission.js';
import type { Warning } from '../member/member-cross-checks.js';
import type { AcceptedMessage, AdministrationCursor, IntakeStore, IntakeTransaction, MemberRemoval, MemberVersionEntry, MemberWrites, OutboxRecord } from './intake-store.js';
import { capWarnings, MAX_LISTED_ERRORS, prepareMembers, type PreparedMembers } from './member-preparation.js';
import { checkPayload, parseEnvelope, parsePayload, type CheckedPayload } from './payload-decoding.js';
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
  validatePayload: (payload: unknown) => ProblemItem[];
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

/** What a message changes, worked out inside the transaction once replay and order are settled. */
interface MessageChanges {
  counts: ReceiptCounts;
  warnings: Warning[];
  /** How many records `write` puts in the outbox. */
  records: number;
  /**
   * Stores the changes, a batch at a time: each batch's records are serialized as it is written, so
   * that a long snapshot's records and history never all sit in memory at once.
   */
  write: (tx: IntakeTransaction) => Promise<void>;
  snapshotMark?: SnapshotMark | null;
}

type Arrangement = NonNullable<ReturnType<ArrangementRegistry['find']>>;

/** A snapshot that repeats the administration's current one (see snapshot-repeat). */
interface Repeat {
  list: MemberList;
  marked: MarkedSnapshot;
  outcome: NonNullable<ReturnType<typeof repeatOutcome>>;
}

/** Who signed a submission (its verification without the payload it returns). */
type Sender = Omit<VerifiedSubmission, 'payload'>;

/** A verified submission as the transaction judges it: who signed it, what its receipt states, what its records cite. */
interface Submission {
  verified: Sender;
  digests: ReceiptDigests;
  source: RecordSource;
}

/** The mark changed between the look outside the transaction and the one inside: take the full path. */
class RepeatOutdated extends Error {}

/**
 * The story of a submission (ICD 1): verify the signature, decode and validate the payload, check the
 * sender may speak for the administration and that an active MRA exists, prepare the members, check
 * the message's age, then, in one transaction, check again that the signing keys and the arrangement
 * are still in force, detect replays and out-of-order messages, compare with the current state, and
 * store the message, the new state and the outbound records together. Only then is a receipt
 * returned; the relay publishes from the outbox.
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
    let messageId: string | undefined;
    // The validated envelope, once there is one: what the submission's record says about the message.
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
      // The payload's bytes are read once, into its text; the text goes once the members are prepared.
      let checked: CheckedPayload | undefined = checkPayload(payload.bytes!);
      payload.bytes = undefined;
      const repeat = await this.repeatOf(checked, verified, receivedAt);
      let list = repeat?.list ?? this.validate(checked, verified);
      known = list;
      messageId = list.messageId;
      const arrangement = this.deps.arrangements.find(list.administration);
      if (!arrangement || !this.deps.arrangements.isActive(list.administration, receivedAt)) {
        throw new GatewayError('mra-not-active', `There is no active MRA with administration ${list.administration}.`);
      }
      const source: RecordSource = { messageId: list.messageId, receivedAt: receivedAt.toISOString(), kid: verified.kid, digest: digests.digest, sequence: list.sequence ?? null };
      const submission: Submission = { verified, digests, source };
      let result: IntakeResult | undefined;
      if (repeat) {
        this.checkIssuedAt(list.issuedAt, receivedAt);
        try {
          result = await this.deps.store.intake(list.administration, (tx) => this.apply(tx, list, submission, () => this.repeatChanges(tx, repeat)));
        } catch (error) {
          if (!(error instanceof RepeatOutdated)) throw error;
        }
      }
      if (!result) {
        if (repeat) list = this.validate(checked, verified);
        known = list;
        const prepared = prepareMembers(list, arrangement, receivedAt);
        this.checkIssuedAt(list.issuedAt, receivedAt);
        const mark = list.kind === 'snapshot' && checked.members ? this.markFor(checked, arrangement, list.messageId, source.receivedAt) : null;
        // What was parsed is prepared now: from here on only the envelope is needed, and the parsed
        // members and the payload's text can be collected while the changes are stored (a 250,000-member
        // list's are some 200 MB).
        const envelope: MemberList = { ...list, members: [] };
        list = envelope;
        known = envelope;
        checked = undefined;
        result = await this.deps.store.intake(envelope.administration, (tx) => this.apply(tx, envelope, submission, () => this.planned(tx, envelope, prepared, source, arrangement, mark)));
      }
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
        const receipt = error.status !== 401 ? await this.signRejection(error, verified, receivedAt, digests, messageId) : null;
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
   * Rule 2, and what the receipt says of the bytes. The body is read here only, so it can be collected
   * once this returns; the payload's bytes come back in a holder of their own, apart from who signed
   * them, so that the caller can let them go once they are read (a 250,000-member list's are 85 MB).
   */
  private async verify(
    received: ReceivedBody,
    serialization: JwsSerialization,
  ): Promise<{ verified: Sender; payload: { bytes: Uint8Array | undefined }; digests: ReceiptDigests; size: number }> {
    const body = received.take();
    const { payload, ...verified } = await this.deps.verifier.verify(body, serialization);
    return { verified, payload: { bytes: payload }, digests: { digest: sha256Base64url(body), payloadDigest: sha256Base64url(payload) }, size: body.length };
  }

  /** Hands a decided submission to the recorder; nothing it does (or fails to do) changes the answer. */
  private async record(record: SubmissionRecord): Promise<void> {
    try {
      await this.deps.recordSubmission?.(record);
    } catch {
      // The recorder logs its own failures; the partner's answer stands.
    }
  }

  private validate(checked: CheckedPayload, verified: Sender): MemberList {
    const payload = parsePayload(checked);
    const errors = this.deps.validatePayload(payload);
    const list = payload as MemberList;
    if (errors.length === 0 && list.members.length > this.deps.limits.maxMembers) {
      errors.push({ pointer: '/members', detail: `must not have more than ${this.deps.limits.maxMembers} items` });
    }
    if (errors.length > 0) {
      throw new GatewayError('schema-violation', `The payload has ${errors.length >= MAX_LISTED_ERRORS ? 'at least ' : ''}${errors.length} schema error(s).`, {
        errors: errors.slice(0, MAX_LISTED_ERRORS),
      });
    }
    if (list.administration !== verified.administration) {
      throw new GatewayError('administration-mismatch', `The signing key belongs to ${verified.administration}, not ${list.administration}.`);
    }
    return list;
  }

  /**
   * The repeat this payload is, if it is one: its members text is that of the administration's marked
   * snapshot, and its envelope is a valid snapshot of the same administration. Anything else (including
   * an envelope with errors, which the full path reports exactly) is not a repeat.
   */
  private async repeatOf(checked: CheckedPayload, verified: Sender, receivedAt: Date): Promise<Repeat | undefined> {
    const members = checked.members;
    const arrangement = this.deps.arrangements.find(verified.administration);
    if (!members || !arrangement) return undefined;
    const marked = await this.deps.store.markedSnapshot(verified.administration, members.end - members.start);
    const outcome = repeatOutcome(marked, {
      text: checked.text,
      members,
      rulesDigest: rulesDigest(arrangement, this.deps.gatewayVersion),
      receivedAt,
      maxMembers: this.deps.limits.maxMembers,
    });
    if (!marked || !outcome) return undefined;
    const envelope = parseEnvelope({ ...checked, members });
    if (this.deps.validatePayload(envelope).length > 0) return undefined;
    const list = envelope as MemberList;
    if (list.kind !== 'snapshot' || list.administration !== verified.administration) return undefined;
    return { list, marked, outcome };
  }

  private markFor(checked: CheckedPayload, arrangement: Arrangement, messageId: string, receivedAt: string): SnapshotMark {
    const members = checked.members!;
    return {
      membersDigest: membersDigest(checked.text, members),
      membersLength: members.end - members.start,
      rulesDigest: rulesDigest(arrangement, this.deps.gatewayVersion),
      messageId,
      receivedAt,
    };
  }

  private checkIssuedAt(issuedAt: string, receivedAt: Date): void {
    const issued = parseInstant(issuedAt);
    if (Number.isNaN(issued)) throw new GatewayError('issued-at-out-of-range', `issuedAt ${issuedAt} is not an RFC 3339 date-time.`);
    const { maxClockSkewMs, maxMessageAgeMs } = this.deps.limits;
    if (issued > receivedAt.getTime() + maxClockSkewMs) {
      throw new GatewayError('issued-at-out-of-range', `issuedAt ${issuedAt} is more than ${maxClockSkewMs / 1000} s ahead of the gateway's clock.`);
    }
    if (issued < receivedAt.getTime() - maxMessageAgeMs) {
      throw new GatewayError('issued-at-out-of-range', `issuedAt ${issuedAt} is older than ${maxMessageAgeMs / 3_600_000} h.`);
    }
  }

  /**
   * Everything decided in the transaction, for the full path and for a repeated snapshot alike: rules 2
   * and 5 again as the store has them now, rules 7 and 8, then the changes, the receipt, and everything
   * stored at once.
   */
  private async apply(tx: IntakeTransaction, list: MemberList, submission: Submission, changesOf: () => Promise<MessageChanges>): Promise<IntakeResult> {
    const { verified, digests, source } = submission;
    const administration = list.administration;
    const summary = { administration, messageId: list.messageId, kind: list.kind, records: 0 };
    await this.checkStillInForce(tx, verified);
    const earlier = await tx.findMessage(administration, list.messageId);
    if (earlier) {
      if (isReplay(earlier, digests)) return { status: 200, receipt: earlier.receipt, summary };
      throw new GatewayError('message-id-conflict', `messageId ${list.messageId} was accepted at ${earlier.receivedAt} with a different signed payload.`);
    }
    const cursor = await tx.cursor(administration);
    checkOrder(list, cursor);
    const { counts, warnings, records, write, snapshotMark } = await changesOf();

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
    await write(tx);
    await tx.accept({
      message,
      cursor: {
        lastSequence: list.sequence !== undefined ? Math.max(list.sequence, cursor.lastSequence ?? 0) : cursor.lastSequence,
        lastSnapshotIssuedAt: list.kind === 'snapshot' ? list.issuedAt : cursor.lastSnapshotIssuedAt,
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
  private async repeatChanges(tx: IntakeTransaction, repeat: Repeat): Promise<MessageChanges> {
    const current = await tx.snapshotMark(repeat.list.administration);
    const expected = repeat.marked.mark;
    if (!current || current.messageId !== expected.messageId || current.membersDigest !== expected.membersDigest || current.rulesDigest !== expected.rulesDigest) {
      throw new RepeatOutdated();
    }
    return { ...repeat.outcome, records: 0, write: async () => undefined };
  }

  /** The full path: compare the prepared members with the current state, and serialize the records. */
  private async planned(
    tx: IntakeTransaction,
    list: MemberList,
    prepared: PreparedMembers,
    source: RecordSource,
    arrangement: Arrangement,
    mark: SnapshotMark | null,
  ): Promise<MessageChanges> {
    const administration = list.administration;
    const ids = list.kind === 'delta' ? prepared.entries.map((e) => (e.type === 'member' ? e.incoming.member.memberId : e.memberId)) : undefined;
    const fingerprints = await tx.fingerprints(administration, ids);
    const plan = await planChanges(list.kind, prepared.entries, {
      fingerprints,
      load: (memberIds) => tx.loadMembers(administration, memberIds),
      removedVersions: (memberIds) => tx.removedVersions(administration, memberIds),
    });

    const counts: ReceiptCounts = { members: prepared.entries.length, added: 0, updated: 0, statusChanged: 0, removed: 0, unchanged: plan.unchanged, notRecognized: prepared.notRecognized };
    for (const change of plan.changes) {
      if (change.change === 'added') counts.added++;
      else if (change.change === 'updated') counts.updated++;
      else if (change.change === 'status-changed') counts.statusChanged++;
      else counts.removed++;
    }
    const serialize = recordSerializer(arrangement, source);
    const write = async (tx: IntakeTransaction): Promise<void> => {
      for (let start = 0; start < plan.changes.length; start += WRITE_BATCH) {
        await tx.write(changeWrites(plan.changes.slice(start, start + WRITE_BATCH), administration, source, serialize));
      }
      for (let start = 0; start < plan.refreshed.length; start += WRITE_BATCH) {
        await tx.write({ upserts: plan.refreshed.slice(start, start + WRITE_BATCH), removals: [], records: [], history: [] });
      }
    };
    const warnings = capWarnings([
      ...prepared.warnings,
      ...plan.unknownRemovals.map((index) => ({
        pointer: `/members/${index}/memberId`,
        code: 'unknown-member-removed' as const,
        detail: 'The delta removes a member the gateway does not hold; nothing was published for it.',
      })),
    ]);
    // A delta changes the state away from any snapshot's members text; a snapshot marks its own.
    return { counts, warnings, records: plan.changes.length, write, snapshotMark: mark };
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
/** Members and records per write: large enough for few round trips, small enough to bound each statement. */
const WRITE_BATCH = 2000;

/**
 * The writes of a batch of changes, in order: the member's new state (or its removal), its version in
 * the history, and its record for the outbox, serialized here.
 */
function changeWrites(changes: ChangePlan['changes'], administration: string, source: RecordSource, serialize: ReturnType<typeof recordSerializer>): MemberWrites {
  const writes = { upserts: [] as VersionedMember[], removals: [] as MemberRemoval[], records: [] as OutboxRecord[], history: [] as MemberVersionEntry[] };
  for (const change of changes) {
    if (change.change === 'removed') writes.removals.push({ memberId: change.member.memberId, version: change.version, removedAt: source.receivedAt });
    else writes.upserts.push(change);
    const { eventId, body } = serialize(change);
    writes.history.push({ memberId: change.member.memberId, version: change.version, change: change.change, receivedAt: source.receivedAt, messageId: source.messageId, record: body });
    writes.records.push({
      eventId,
      administration,
      memberKey: change.member.key,
      change: change.change,
      routingKey: routingKeyFor(change.change, administration),
      occurredAt: source.receivedAt,
      body,
    });
  }
  return writes;
}

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
function checkOrder(list: MemberList, cursor: AdministrationCursor): void {
  const sequenced = list.sequence !== undefined && cursor.lastSequence !== null;
  if (sequenced && list.sequence! <= cursor.lastSequence!) {
    throw new GatewayError('sequence-not-increasing', `sequence ${list.sequence} is not above the last accepted ${cursor.lastSequence}.`);
  }
  if (cursor.lastSnapshotIssuedAt === null) return;
  const issued = parseInstant(list.issuedAt);
  const lastSnapshot = parseInstant(cursor.lastSnapshotIssuedAt);
  if (issued < lastSnapshot || (issued === lastSnapshot && !sequenced)) {
    throw new GatewayError('sequence-not-increasing', `issuedAt ${list.issuedAt} is not after the last accepted snapshot's ${cursor.lastSnapshotIssuedAt}.`);
  }
}
