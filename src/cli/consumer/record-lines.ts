import type { ConsumeMessage } from 'amqplib';
import { tableLine, text, type TableColumn } from './table-cells.js';

/** One delivered record as the consumer tool prints it. */
export interface DeliveredRecord {
  routingKey: string;
  messageId: string | null;
  type: string | null;
  timestamp: string | null;
  redelivered: boolean;
  headers: Record<string, unknown>;
  /** The parsed body, or null when it is not JSON (then `body` holds the text). */
  record: Record<string, unknown> | null;
  body?: string;
}

export function toDeliveredRecord(message: ConsumeMessage): DeliveredRecord {
  const { properties, fields } = message;
  const text = message.content.toString('utf8');
  let record: Record<string, unknown> | null = null;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) record = parsed as Record<string, unknown>;
  } catch {
    record = null;
  }
  return {
    routingKey: fields.routingKey,
    messageId: typeof properties.messageId === 'string' ? properties.messageId : null,
    type: typeof properties.type === 'string' ? properties.type : null,
    timestamp: typeof properties.timestamp === 'number' ? new Date(properties.timestamp * 1000).toISOString() : null,
    redelivered: fields.redelivered,
    headers: properties.headers ?? {},
    record,
    ...(record === null ? { body: text } : {}),
  };
}

/** A JSON line: the record with its routing key and AMQP properties, for jq and friends. */
export function jsonLine(delivered: DeliveredRecord): string {
  return `${JSON.stringify(delivered)}\n`;
}

const COLUMNS: readonly TableColumn[] = [
  { title: 'OCCURRED AT', width: 20 },
  { title: 'CHANGE', width: 14 },
  { title: 'MEMBER', width: 28 },
  { title: 'STATUS', width: 21 },
  { title: 'RECOGNIZED', width: 10 },
  { title: 'CERT', width: 11 },
  { title: 'LEGAL NAME', width: 40 },
];

/** The table's header line. */
export function tableHeader(): string {
  return tableLine(COLUMNS, COLUMNS.map((c) => c.title));
}

/**
 * One table row: what a person scanning the feed needs to see. Where the record says what a shown
 * field was before (`previous`, on updated and status-changed records), the cell shows both:
 * `certified → suspended`, `yes → no`.
 */
export function tableRow(delivered: DeliveredRecord): string {
  const record = delivered.record;
  if (!record) return tableLine(COLUMNS, ['', '(not JSON)', delivered.messageId ?? '', '', '', '', delivered.body?.slice(0, 40) ?? '']);
  const member = (record.member ?? {}) as Record<string, unknown>;
  const previous = (typeof record.previous === 'object' && record.previous !== null ? record.previous : {}) as Record<string, unknown>;
  const cell = (field: string, show: (value: unknown) => string): string => {
    const now = show(member[field]);
    return field in previous ? `${show(previous[field]) || '-'} → ${now || '-'}` : now;
  };
  return tableLine(COLUMNS, [
    text(record.occurredAt).replace(/\.\d+Z$/, 'Z'),
    text(record.change),
    text(member.key),
    cell('status', text),
    cell('recognized', yesNo),
    cell('certificateType', text),
    text(member.legalName),
  ]);
}

function yesNo(value: unknown): string {
  return value === true ? 'yes' : value === false ? 'no' : '';
}
