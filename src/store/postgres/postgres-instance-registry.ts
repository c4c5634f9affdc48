import type { InstanceRegistry, InstanceReport, SeenInstance } from '../../operations/instance-registry.js';
import type { PostgresDatabase } from './postgres-database.js';

interface InstanceRow {
  instance_id: string;
  config_digest: string;
  gateway_version: string;
  started_at: Date;
  last_seen: Date;
}

/**
 * The instances on the shared store: table gateway_instances (migration 1), one row per instance,
 * its last_seen set by the database's clock, so that instances never compare their own clocks.
 */
export class PostgresInstanceRegistry implements InstanceRegistry {
  constructor(
    private readonly database: PostgresDatabase,
    readonly instanceId: string,
  ) {}

  async report(self: InstanceReport, forgetAfterMs: number): Promise<void> {
    await this.database.query(
      `INSERT INTO gateway_instances (instance_id, config_digest, gateway_version, started_at, last_seen)
       VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (instance_id) DO UPDATE SET config_digest = EXCLUDED.config_digest, gateway_version = EXCLUDED.gateway_version, last_seen = now()`,
      [self.instanceId, self.configDigest, self.gatewayVersion, self.startedAt],
    );
    await this.database.query('DELETE FROM gateway_instances WHERE last_seen < now() - make_interval(secs => $1::double precision / 1000)', [forgetAfterMs]);
  }

  async others(withinMs: number): Promise<SeenInstance[]> {
    const { rows } = await this.database.query<InstanceRow>(
      `SELECT instance_id, config_digest, gateway_version, started_at, last_seen FROM gateway_instances
       WHERE instance_id <> $1 AND last_seen >= now() - make_interval(secs => $2::double precision / 1000)
       ORDER BY instance_id`,
      [this.instanceId, withinMs],
    );
    return rows.map((row) => ({ instanceId: row.instance_id, configDigest: row.config_digest, gatewayVersion: row.gateway_version, startedAt: row.started_at, lastSeen: row.last_seen }));
  }

  async leave(): Promise<void> {
    await this.database.query('DELETE FROM gateway_instances WHERE instance_id = $1', [this.instanceId]);
  }
}
