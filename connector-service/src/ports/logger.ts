/**
 * The one logger of the service: structured fields first, then the message (pino's order, so main.ts passes its
 * pino logger as is). Parts that take a single callback get the same logger as a `Log` (`logTo(logger)`). Never a
 * secret in the fields: redaction happens at the logger.
 */
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
    info(fields: Record<string, unknown>, message: string): void;
    warn(fields: Record<string, unknown>, message: string): void;
    error(fields: Record<string, unknown>, message: string): void;
}

/** The logger as one function, for the parts whose options take a callback (message first). */
export type Log = (level: LogLevel, message: string, fields: Record<string, unknown>) => void;

export function logTo(logger: Logger): Log {
    return (level, message, fields) => logger[level](fields, message);
}
