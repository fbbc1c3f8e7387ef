// The one logger shape of the code base (message + optional fields, as connectors/src/contract.ts names it),
// backed by Powertools' JSON logger. Powertools' own signature takes its extras as a rest parameter, which
// TypeScript will not accept where (message, fields?) is expected; this adapter is the seam.
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

export interface StructuredLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function structuredLogger(serviceName: string, logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'): StructuredLogger {
  const logger = new PowertoolsLogger({ serviceName, logLevel });
  return {
    debug: (message, fields) => (fields ? logger.debug(message, fields) : logger.debug(message)),
    info: (message, fields) => (fields ? logger.info(message, fields) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(message, fields) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(message, fields) : logger.error(message)),
  };
}
