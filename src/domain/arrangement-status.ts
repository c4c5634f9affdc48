import type { ArrangementStatus } from './arrangement.js';
import { GatewayError } from './gateway-error.js';

/** What an administrator does to an arrangement, by the status it moves to (the audit's action names). */
export const STATUS_CHANGE_ACTIONS = {
  suspended: 'arrangement.suspend',
  active: 'arrangement.reinstate',
  terminated: 'arrangement.terminate',
} as const satisfies Record<ArrangementStatus, string>;

/**
 * Refuses a status change that makes no sense: termination is final (a new arrangement would be a new
 * registry entry), and a change to the status already in force would overwrite the reason and time
 * of the change that put it there. Throws 409 `invalid-state-transition`.
 */
export function checkStatusChange(code: string, from: ArrangementStatus, to: ArrangementStatus): void {
  if (from === 'terminated') {
    throw new GatewayError('invalid-state-transition', `The MRA with ${code} is terminated; termination is final.`);
  }
  if (from === to) {
    throw new GatewayError('invalid-state-transition', `The MRA with ${code} is already ${to}.`);
  }
}
