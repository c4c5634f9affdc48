import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/domain/gateway-error.js';
import { createLogger } from '../../../src/logging/logger.js';
import { InstanceHeartbeat } from '../../../src/operations/instance-heartbeat.js';
import { SoleInstanceRegistry, type InstanceRegistry, type InstanceReport, type SeenInstance } from '../../../src/operations/instance-registry.js';

const OURS = 'a'.repeat(64);
const THEIRS = 'b'.repeat(64);
const OTHER = 'c'.repeat(64);

function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', sink), lines, warnings: () => lines.filter((line) => line.level === 'warn') };
}

/** A registry that holds what the test puts there. */
class FakeRegistry implements InstanceRegistry {
  readonly instanceId = 'self:1:aaaa';
  readonly reports: { self: InstanceReport; forgetAfterMs: number }[] = [];
  live: SeenInstance[] = [];
  liveWithin: number[] = [];
  fail: Error | undefined;
  left = 0;

  async report(self: InstanceReport, forgetAfterMs: number): Promise<void> {
    if (this.fail) throw this.fail;
    this.reports.push({ self, forgetAfterMs });
  }

  async others(withinMs: number): Promise<SeenInstance[]> {
    this.liveWithin.push(withinMs);
    return this.live;
  }

  async leave(): Promise<void> {
    this.left++;
  }
}

const seen = (instanceId: string, configDigest: string): SeenInstance => ({ instanceId, configDigest, gatewayVersion: '0.2.0', startedAt: new Date(), lastSeen: new Date() });
const self = { configDigest: OURS, gatewayVersion: '0.2.0', startedAt: new Date('2026-01-01T00:00:00Z') };

const running: InstanceHeartbeat[] = [];
afterEach(async () => {
  for (const heartbeat of running.splice(0)) await heartbeat.stop();
});

describe('InstanceHeartbeat', () => {
  it('reports this instance with its digest, and forgets others after ten minutes, looking at the last 30 s', async () => {
    const registry = new FakeRegistry();
    const { logger } = capturedLogger();
    const heartbeat = new InstanceHeartbeat(registry, self, logger, 10_000);
    await heartbeat.beat();
    expect(registry.reports).toEqual([{ self: { ...self, instanceId: 'self:1:aaaa' }, forgetAfterMs: 600_000 }]);
    expect(registry.liveWithin).toEqual([30_000]);
    expect(heartbeat.mismatches).toBe(0);
  });

  it('warns once per other instance and digest, naming both digests and the other instance', async () => {
    const registry = new FakeRegistry();
    const { logger, warnings } = capturedLogger();
    const heartbeat = new InstanceHeartbeat(registry, self, logger, 10_000);
    registry.live = [seen('same:2:bbbb', OURS), seen('other:3:cccc', THEIRS)];
    await heartbeat.beat();
    await heartbeat.beat();
    expect(heartbeat.mismatches).toBe(1);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({
      instanceId: 'self:1:aaaa',
      configDigest: OURS,
      otherInstanceId: 'other:3:cccc',
      otherConfigDigest: THEIRS,
    });
    // The same instance with yet another configuration, and a second differing instance: one warning each.
    registry.live = [seen('other:3:cccc', OTHER), seen('fourth:4:dddd', THEIRS)];
    await heartbeat.beat();
    await heartbeat.beat();
    expect(heartbeat.mismatches).toBe(2);
    expect(warnings().map((w) => [w.otherInstanceId, w.otherConfigDigest])).toEqual([
      ['other:3:cccc', THEIRS],
      ['other:3:cccc', OTHER],
      ['fourth:4:dddd', THEIRS],
    ]);
    // They come into line: nothing more to say, and the gauge drops.
    registry.live = [seen('other:3:cccc', OURS), seen('fourth:4:dddd', OURS)];
    await heartbeat.beat();
    expect(heartbeat.mismatches).toBe(0);
    expect(warnings()).toHaveLength(3);
  });

  it('keeps the live window at three heartbeats when the interval is long', async () => {
    const registry = new FakeRegistry();
    const heartbeat = new InstanceHeartbeat(registry, self, capturedLogger().logger, 60_000);
    await heartbeat.beat();
    expect(registry.liveWithin).toEqual([180_000]);
  });

  it('beats at once when started, then every interval, and leaves the list when stopped', async () => {
    const registry = new FakeRegistry();
    const heartbeat = new InstanceHeartbeat(registry, self, capturedLogger().logger, 50);
    heartbeat.start();
    running.push(heartbeat);
    await new Promise((resolve) => setTimeout(resolve, 180));
    await heartbeat.stop();
    const beats = registry.reports.length;
    expect(beats).toBeGreaterThanOrEqual(3);
    expect(registry.left).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(registry.reports.length).toBe(beats);
  });

  it('says nothing of its own when the store is down (the store logs that), and warns on other failures', async () => {
    const registry = new FakeRegistry();
    const { logger, warnings } = capturedLogger();
    const heartbeat = new InstanceHeartbeat(registry, self, logger, 10_000);
    registry.fail = new GatewayError('store-unavailable', 'down');
    await expect(heartbeat.beat()).resolves.toBeUndefined();
    expect(warnings()).toHaveLength(0);
    registry.fail = new Error('relation "gateway_instances" does not exist');
    await heartbeat.beat();
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ message: 'instance registry unavailable', error: 'relation "gateway_instances" does not exist' });
  });

  it('on the embedded store there is no one else to differ from', async () => {
    const { logger, warnings } = capturedLogger();
    const heartbeat = new InstanceHeartbeat(new SoleInstanceRegistry(), self, logger, 10_000);
    await heartbeat.beat();
    expect(heartbeat.mismatches).toBe(0);
    expect(heartbeat.instanceId).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
    expect(warnings()).toHaveLength(0);
  });
});
