import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMraRegistry } from '../../../src/config/mra-registry-file.js';
import { ArrangementRegistry } from '../../../src/domain/arrangement.js';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { inMemoryAdministrationLimiter, rateLimitedAdmission, type AdministrationLimiter } from '../../../src/domain/intake/administration-admission.js';
import type { IntakeStore } from '../../../src/domain/intake/intake-store.js';
import { MemberListIntake } from '../../../src/domain/intake/member-list-intake.js';
import { TokenBuckets, type Admission } from '../../../src/domain/token-bucket.js';
import { TestClock } from '../../support/test-clock.js';

const CONFIG_DIR = path.resolve(import.meta.dirname, '../../../config');

/** What the admission threw, or undefined when it let the administration through. */
async function refusal(admit: (administration: string) => Promise<void>, administration: string): Promise<GatewayError | undefined> {
  try {
    await admit(administration);
    return undefined;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
}

/** A limiter that answers what the test says, when the test says. */
function scriptedLimiter(answers: Admission[]): AdministrationLimiter & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    take: async (administration) => {
      asked.push(administration);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return answers.shift() ?? { allowed: true };
    },
  };
}

describe('rateLimitedAdmission over the in-memory limiter (the embedded store)', () => {
  it('lets an administration through up to its allowance, then refuses with rate-limited and the seconds to wait', async () => {
    const clock = new TestClock();
    const admit = rateLimitedAdmission(inMemoryAdministrationLimiter(new TokenBuckets({ perMinute: 3 }), clock));
    for (let i = 0; i < 3; i++) expect(await refusal(admit, 'EU')).toBeUndefined();
    const refused = await refusal(admit, 'EU');
    expect(refused?.code).toBe('rate-limited');
    expect(refused?.status).toBe(429);
    // 3 per minute: one token back every 20 s.
    expect(refused?.extensions).toEqual({ retryAfter: 20 });
    expect(refused?.message).toContain('EU');
  });

  it('counts each administration on its own', async () => {
    const admit = rateLimitedAdmission(inMemoryAdministrationLimiter(new TokenBuckets({ perMinute: 1 }), new TestClock()));
    expect(await refusal(admit, 'EU')).toBeUndefined();
    expect((await refusal(admit, 'EU'))?.code).toBe('rate-limited');
    expect(await refusal(admit, 'JP')).toBeUndefined();
  });

  it('gives the allowance back with time, by the clock it was given', async () => {
    const clock = new TestClock();
    const admit = rateLimitedAdmission(inMemoryAdministrationLimiter(new TokenBuckets({ perMinute: 2 }), clock));
    await admit('EU');
    await admit('EU');
    expect((await refusal(admit, 'EU'))?.extensions).toEqual({ retryAfter: 30 });
    clock.advance(30_000);
    expect(await refusal(admit, 'EU')).toBeUndefined();
  });
});

describe('rateLimitedAdmission over any limiter', () => {
  it('waits for the limiter: a refusal that arrives later still refuses', async () => {
    const limiter = scriptedLimiter([{ allowed: true }, { allowed: false, retryAfterMs: 45_000 }]);
    const admit = rateLimitedAdmission(limiter);
    await expect(admit('EU')).resolves.toBeUndefined();
    await expect(admit('EU')).rejects.toMatchObject({ code: 'rate-limited', extensions: { retryAfter: 45 } });
    expect(limiter.asked).toEqual(['EU', 'EU']);
  });

  it.each([
    { retryAfterMs: 1, retryAfter: 1 },
    { retryAfterMs: 0, retryAfter: 1 },
    { retryAfterMs: 20_001, retryAfter: 21 },
    { retryAfterMs: 60_000, retryAfter: 60 },
  ])('states Retry-After in whole seconds, rounded up, at least 1: $retryAfterMs ms → $retryAfter s', async ({ retryAfterMs, retryAfter }) => {
    const admit = rateLimitedAdmission(scriptedLimiter([{ allowed: false, retryAfterMs }]));
    expect((await refusal(admit, 'EU'))?.extensions).toEqual({ retryAfter });
  });

  it('passes on a limiter that fails (the store adapters answer for their own failures)', async () => {
    const admit = rateLimitedAdmission({ take: () => Promise.reject(new Error('boom')) });
    await expect(admit('EU')).rejects.toThrow('boom');
  });
});

describe('MemberListIntake awaits the admission', () => {
  function intakeWith(admit: (administration: string) => Promise<void>) {
    let transactions = 0;
    const store: IntakeStore = {
      markedSnapshot: async () => undefined,
      intake: async () => {
        transactions++;
        throw new Error('the intake must not reach the store');
      },
    };
    const intake = new MemberListIntake({
      verifier: { verify: async () => ({ payload: Buffer.from('{}'), administration: 'EU', kid: 'eu-1', kids: ['eu-1'] }) },
      schema: { list: () => [], entry: () => [] },
      arrangements: new ArrangementRegistry(loadMraRegistry(CONFIG_DIR)),
      store,
      signer: { sign: async () => 'signed-rejection' },
      clock: new TestClock(),
      limits: { maxMembers: 10, maxClockSkewMs: 300_000, maxMessageAgeMs: 3_600_000 },
      gatewayVersion: 'test',
      admit,
    });
    return { intake, transactions: () => transactions };
  }

  it('an administration over its allowance is refused with 429 and a signed receipt, before anything is read or stored', async () => {
    const seen: string[] = [];
    const { intake, transactions } = intakeWith(async (administration) => {
      seen.push(administration);
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new GatewayError('rate-limited', 'too many', { extensions: { retryAfter: 7 } });
    });
    const error = await intake.submit(Buffer.from('x.y.z'), 'compact').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'rate-limited', status: 429, extensions: { retryAfter: 7, receipt: 'signed-rejection' } });
    expect(seen).toEqual(['EU']);
    expect(transactions()).toBe(0);
  });
});
