import { describe, expect, it } from 'vitest';
import { tableHeader, tableRow, type DeliveredRecord } from '../../../src/cli/consumer/record-lines.js';

const delivered = (record: Record<string, unknown>): DeliveredRecord => ({
  routingKey: `member.${String(record.change)}.eu`,
  messageId: 'event-1',
  type: null,
  timestamp: null,
  redelivered: false,
  headers: {},
  record,
});

const member = { key: 'EU:NL812345670', status: 'suspended', recognized: false, certificateType: 'AEOS', legalName: 'Schelde Lijnvaart B.V.' };

/** The cells of a row, by the header's column positions. */
function cells(row: string): Record<string, string> {
  const header = tableHeader();
  const titles = ['OCCURRED AT', 'CHANGE', 'MEMBER', 'STATUS', 'RECOGNIZED', 'CERT', 'LEGAL NAME'];
  const starts = titles.map((t) => header.indexOf(t));
  return Object.fromEntries(titles.map((t, i) => [t, row.slice(starts[i], starts[i + 1] ?? undefined).trim()]));
}

describe('the consumer table', () => {
  it('shows the old value beside the new where a status-changed record has it in previous', () => {
    const row = cells(tableRow(delivered({ change: 'status-changed', occurredAt: '2026-12-01T10:00:00.123Z', member, previous: { status: 'certified', recognized: true } })));
    expect(row).toMatchObject({ CHANGE: 'status-changed', MEMBER: 'EU:NL812345670', STATUS: 'certified → suspended', RECOGNIZED: 'yes → no', CERT: 'AEOS' });
  });

  it('shows a certificate type that changed, and a field that was absent as "-"', () => {
    const row = cells(tableRow(delivered({ change: 'status-changed', member: { ...member, status: 'certified', certificateType: 'AEOC' }, previous: { certificateType: 'AEOF', recognized: null } })));
    expect(row).toMatchObject({ STATUS: 'certified', CERT: 'AEOF → AEOC', RECOGNIZED: '- → no' });
  });

  it('shows only the values of a record without previous', () => {
    const row = cells(tableRow(delivered({ change: 'added', member })));
    expect(row).toMatchObject({ CHANGE: 'added', STATUS: 'suspended', RECOGNIZED: 'no', CERT: 'AEOS', 'LEGAL NAME': 'Schelde Lijnvaart B.V.' });
  });
});
