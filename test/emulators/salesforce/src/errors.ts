// Salesforce-shaped failures. REST answers carry an array of {message, errorCode, fields?};
// per-record results (collections, composite/sobjects, bulk) carry {statusCode, message, fields}.
export interface ApiErrorItem {
    message: string;
    errorCode: string;
    fields?: string[];
}

export class SfError extends Error {
    constructor(
        readonly status: number,
        readonly errorCode: string,
        message: string,
        readonly fields?: string[]
    ) {
        super(message);
    }

    toBody(): ApiErrorItem[] {
        const item: ApiErrorItem = { message: this.message, errorCode: this.errorCode };
        if (this.fields) item.fields = this.fields;
        return [item];
    }

    toRecordError(): { statusCode: string; message: string; fields: string[] } {
        return { statusCode: this.errorCode, message: this.message, fields: this.fields ?? [] };
    }
}

export const notFound = () => new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
export const invalidSession = () => new SfError(401, 'INVALID_SESSION_ID', 'Session expired or invalid');

/** The HTTP status Salesforce uses for an error code when a fault does not name one. */
export function defaultStatusFor(errorCode: string): number {
    switch (errorCode) {
        case 'INVALID_SESSION_ID':
            return 401;
        case 'REQUEST_LIMIT_EXCEEDED':
        case 'INSUFFICIENT_ACCESS':
        case 'API_DISABLED_FOR_ORG':
            return 403;
        case 'NOT_FOUND':
        case 'ENTITY_IS_DELETED':
            return 404;
        case 'SERVER_ERROR':
        case 'UNKNOWN_EXCEPTION':
            return 500;
        case 'SERVICE_UNAVAILABLE':
            return 503;
        default:
            return 400;
    }
}
