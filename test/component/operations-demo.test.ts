import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../scripts/demo.js';
import { BROKER_URL } from '../support/broker.js';

describe('npm run demo', () => {
  it('sends every sample list through a gateway of its own and shows every record', async () => {
    const out = new Writable({ write: (_chunk, _encoding, done) => done() });
    const result = await runDemo({ amqpUrl: BROKER_URL, out });
    // EU 8, JP 5, CA 5, MX 5 members: all new, so one "added" record each; the samples are clean.
    expect(result).toEqual({ accepted: 4, warnings: 0, records: 23 });
  }, 60_000);
});
