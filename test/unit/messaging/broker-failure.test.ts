/** The reasons an operator reads for each way a broker connection fails (errors as amqplib and Node raise them). */
import { describe, expect, it } from 'vitest';
import { brokerFailureReason } from '../../../src/messaging/broker-failure.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('broker failure reasons', () => {
  it.each([
    ['authentication', new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."')],
    ['not-allowed', new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>')],
    ['refused', withCode('connect ECONNREFUSED 127.0.0.1:5999', 'ECONNREFUSED')],
    ['dns', withCode('getaddrinfo ENOTFOUND no-such-host.invalid', 'ENOTFOUND')],
    ['dns', withCode('getaddrinfo EAI_AGAIN broker', 'EAI_AGAIN')],
    ['tls', withCode('error:0A00010B:SSL routines:ssl3_get_record:wrong version number', 'ERR_SSL_WRONG_VERSION_NUMBER')],
    ['tls', withCode('self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT')],
    ['tls', withCode("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID')],
    ['timeout', withCode('connect ETIMEDOUT 10.0.0.1:5672', 'ETIMEDOUT')],
    ['timeout', new Error('Heartbeat timeout')],
    ['connection-closed', withCode('read ECONNRESET', 'ECONNRESET')],
    ['connection-closed', new Error('Socket closed abruptly during opening handshake')],
    ['other', new Error('something else')],
  ])('%s: %s', (reason, error) => {
    expect(brokerFailureReason(error)).toBe(reason);
  });
});
