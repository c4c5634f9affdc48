/** Which broker node each attempt goes to, and when, with connections that are stand-ins for amqplib's. */
import type { ChannelModel } from 'amqplib';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RECONNECT_BACKOFF, reconnectDelay, RoundRobinConnection, type BrokerNode } from '../../../src/messaging/round-robin-connection.js';

class FakeModel extends EventEmitter {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
  /** The broker or the network ended the connection. */
  lose(): void {
    this.emit('error', new Error('read ECONNRESET'));
    this.emit('close', new Error('read ECONNRESET'));
  }
}

const nodes: BrokerNode[] = ['a', 'b', 'c'].map((name) => ({ url: `amqp://guest:guest@${name}:5672`, endpoint: `amqp://guest:***@${name}:5672` }));

/** A rig where `live` says which nodes answer, and every event is written down in order. */
function rig(live: Set<string>, setup: (model: ChannelModel, node: BrokerNode) => Promise<void> = async () => undefined) {
  const events: string[] = [];
  const models: FakeModel[] = [];
  const host = (node: BrokerNode) => new URL(node.url).hostname;
  const connection = new RoundRobinConnection(
    nodes,
    {
      setup: async (model, node) => {
        await setup(model, node);
        events.push(`up ${host(node)}`);
      },
      attemptFailed: (_error, node, next) => events.push(`failed ${host(node)} next ${host(next)}`),
      lost: (_error, node, next) => events.push(`lost ${host(node)} next ${host(next)}`),
      error: () => undefined,
    },
    {
      random: () => 0.5, // no jitter: the delays are exact
      open: async (url) => {
        const name = new URL(url).hostname;
        events.push(`try ${name}`);
        if (!live.has(name)) throw Object.assign(new Error(`connect ECONNREFUSED ${name}:5672`), { code: 'ECONNREFUSED' });
        const model = new FakeModel();
        models.push(model);
        return model as unknown as ChannelModel;
      },
    },
  );
  return { connection, events, models };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('a connection to one of several broker nodes', () => {
  it('uses the first node that answers', async () => {
    const { connection, events } = rig(new Set(['b']));
    connection.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(events).toEqual(['try a', 'failed a next b', 'try b', 'up b']);
    await connection.close();
  });

  it('moves on to the next node when its connection is lost, round robin, after the backoff', async () => {
    const live = new Set(['a', 'b', 'c']);
    const { connection, events, models } = rig(live);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['try a', 'up a']);

    models[0]!.lose();
    await vi.advanceTimersByTimeAsync(199);
    expect(events.slice(2)).toEqual(['lost a next b']);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.slice(2)).toEqual(['lost a next b', 'try b', 'up b']);

    // From the last node back to the first, skipping one that does not answer.
    models[1]!.lose();
    await vi.advanceTimersByTimeAsync(200);
    models[2]!.lose();
    live.delete('a');
    await vi.advanceTimersByTimeAsync(200 + 400);
    expect(events.slice(5)).toEqual(['lost b next c', 'try c', 'up c', 'lost c next a', 'try a', 'failed a next b', 'try b', 'up b']);
    await connection.close();
  });

  it('backs off further with every failed attempt, whichever node it was at, and starts again once connected', async () => {
    const live = new Set<string>();
    const { connection, events } = rig(live);
    const tries = () => events.filter((e) => e.startsWith('try'));
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(tries()).toEqual(['try a']);
    // 200, 400, 800, 1600 ms between attempts.
    await vi.advanceTimersByTimeAsync(200 + 400 + 800 + 1600 - 1);
    expect(tries()).toEqual(['try a', 'try b', 'try c', 'try a']);
    live.add('b');
    await vi.advanceTimersByTimeAsync(1);
    expect(events.slice(-2)).toEqual(['try b', 'up b']);
  });

  it('caps the delay at the backoff maximum, jitter included', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => reconnectDelay(RECONNECT_BACKOFF, attempt, () => 0.5))).toEqual([200, 400, 800, 1600, 3200]);
    const longest = reconnectDelay(RECONNECT_BACKOFF, 30, () => 1);
    expect(longest).toBe(RECONNECT_BACKOFF.maxDelayMs);
    expect(reconnectDelay(RECONNECT_BACKOFF, 30, () => 0)).toBeLessThan(longest);
  });

  it('closes a connection whose setup failed and counts it as a failed attempt at that node', async () => {
    const { connection, events, models } = rig(new Set(['a', 'b']), async (_model, node) => {
      if (node.url.includes('@a:')) throw new Error('PRECONDITION_FAILED - inequivalent arg');
    });
    connection.start();
    await vi.advanceTimersByTimeAsync(200);
    expect(events).toEqual(['try a', 'failed a next b', 'try b', 'up b']);
    expect(models.map((m) => m.closed)).toEqual([true, false]);
    await connection.close();
  });

  it('stops when closed: the open connection is closed, a connection lost meanwhile is not reported, nothing is tried again', async () => {
    const { connection, events, models } = rig(new Set(['a']));
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    await connection.close();
    models[0]!.lose();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual(['try a', 'up a']);
    expect(models[0]!.closed).toBe(true);
  });

  it('stops when closed while an attempt is under way, and closes what that attempt opens', async () => {
    let release: () => void = () => undefined;
    const { connection, events, models } = rig(new Set(['a']), () => new Promise<void>((resolve) => (release = resolve)));
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    const closing = connection.close();
    release();
    await closing;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events).toEqual(['try a', 'up a']);
    expect(models[0]!.closed).toBe(true);
  });
});
