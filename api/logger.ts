import pino, { type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'godown' }, timestamp: pino.stdTimeFunctions.isoTime });
}
