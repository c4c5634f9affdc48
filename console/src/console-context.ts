import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { AdminRole } from '../../src/admin/admin-key.js';
import type { AdminClient } from './api/admin-client.js';

/** Who is signed in, as GET /admin/v1/me says. */
export interface Me {
  kid: string;
  sub: string;
  roles: AdminRole[];
}

/** What every page needs: the admin API, and whether the signed-in key may make a kind of change. */
export interface ConsoleContext {
  client: AdminClient;
  me: Me;
  /** The gateway decides; this only hides the buttons it would refuse. */
  may: (role: 'keys' | 'arrangements' | 'receipt-keys') => boolean;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const context = useContext(Console);
  if (!context) throw new Error('useConsole outside a signed-in console');
  return context;
}
