import type { Options } from 'amqplib';
import type { PendingRecord } from '../outbox/outbox-ports.js';

/**
 * AMQP properties of a record (ICD 2): persistent, messageId = eventId so consumers can de-duplicate,
 * and the CloudEvents attributes as `ce-` headers (binary content mode), so a consumer can route or
 * filter without parsing the body.
 */
export function recordProperties(record: PendingRecord): Options.Publish {
  const type = `gov.cbp.ctpat.mra.member.${record.change}`;
  return {
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    messageId: record.eventId,
    timestamp: Math.floor(Date.parse(record.occurredAt) / 1000),
    type,
    appId: 'mra-gateway',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': record.eventId,
      'ce-source': `urn:mra:${record.administration}`,
      'ce-type': type,
      'ce-subject': record.memberKey,
      'ce-time': record.occurredAt,
    },
  };
}
