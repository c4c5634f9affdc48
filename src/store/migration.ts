/**
 * One step of a store's schema. Expand-only unless `oldestCompatible` says otherwise: then it is the
 * lowest number of migrations a gateway must know to run on the schema from this step on (a
 * "contract" step that drops or changes what earlier versions use). Keeping steps expand-only lets
 * instances be upgraded one at a time: the version before runs on the migrated schema.
 */
export interface Migration<Backfill = never> {
  sql: string;
  oldestCompatible?: number;
  /** Work SQL cannot do (folding names into search keys), run after `sql` in the same transaction. */
  backfill?: Backfill;
}

/** The oldest gateway (by migrations known) that still runs on the schema after `version` steps. */
export function oldestCompatibleAfter(migrations: readonly Pick<Migration, 'oldestCompatible'>[], version: number): number {
  return Math.max(0, ...migrations.slice(0, version).map((m) => m.oldestCompatible ?? 0));
}

/**
 * Refuses to run on a schema this gateway would misuse: a store migrated by a newer version is fine
 * as long as that version's steps since this one's were all expand-only.
 */
export function checkCompatible(applied: number, storeOldestCompatible: number, known: number, where: string): void {
  if (applied <= known || storeOldestCompatible <= known) return;
  throw new Error(
    `The store in ${where} has ${applied} migrations and needs a gateway that knows at least ${storeOldestCompatible}; this gateway knows ${known}. Run a newer gateway.`,
  );
}
