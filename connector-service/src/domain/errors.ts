/**
 * The one error type the connector raises. Callers branch on `code`, never on message text.
 * Codes are stable and namespaced: MAPPING.*, TRANSFORM.*, SF.*, CLM.*, STORE.*, CONFIG.*, WEBHOOK.*.
 * `details` must never carry secrets: it is logged and may be shown to admins.
 */
export class ConnectorError extends Error {
    readonly code: string;
    readonly details: Readonly<Record<string, unknown>>;

    constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
        super(message, options);
        this.name = 'ConnectorError';
        this.code = code;
        this.details = details;
    }

    toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
        return { code: this.code, message: this.message, details: this.details };
    }
}

export function isConnectorError(value: unknown, code?: string): value is ConnectorError {
    return value instanceof ConnectorError && (code === undefined || value.code === code);
}

/** Shows a value in an error message without dumping large payloads. */
export function describeValue(value: unknown): string {
    let text: string;
    try {
        text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
    } catch {
        text = String(value);
    }
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
