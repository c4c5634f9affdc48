import { ConfigError, loadConfig } from './config/app-config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logging/logger.js';

/** Entry point: configuration from the environment, then the gateway until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const gateway = await startGateway(config, { logger });
  const stop = (signal: string): void => {
    logger.info('stopping', { signal });
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('error while stopping', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  // Start-up failed: say which setting is wrong, in the same JSON-lines form as every other log line.
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`${JSON.stringify({ level: 'error', message: `mra-gateway cannot start: ${message}`, service: 'mra-gateway' })}\n`);
  process.exit(1);
});
