/**
 * Error helpers shared by every CLM component (the lwc-recipes ldsUtils pattern).
 * Apex errors from this package carry JSON `{"code","field","message"}` in body.message
 * (see ClmErrors.cls); UI API, JS and fetch errors have their own shapes.
 */

/**
 * Parses one error into `{ code, field, message }`; code and field are null when unknown.
 * @param {*} error an Apex, UI API, fetch or JS error, or a string
 * @returns {{code: string|null, field: string|null, message: string}}
 */
export function parseError(error) {
    if (error === null || error === undefined) return { code: null, field: null, message: 'Unknown error' };
    if (typeof error === 'string') return fromText(error);
    const body = error.body;
    if (Array.isArray(body)) {
        const message = body
            .map((entry) => entry.message)
            .filter(Boolean)
            .join(', ');
        return { code: body[0]?.errorCode ?? null, field: null, message: message || 'Unknown error' };
    }
    if (body && typeof body.message === 'string') return fromText(body.message);
    if (body && body.output && Array.isArray(body.output.errors) && body.output.errors.length) {
        const first = body.output.errors[0];
        return { code: first.errorCode ?? null, field: null, message: first.message };
    }
    if (typeof error.message === 'string') return fromText(error.message);
    if (typeof error.statusText === 'string') return { code: null, field: null, message: error.statusText };
    return { code: null, field: null, message: 'Unknown error' };
}

function fromText(text) {
    if (text.startsWith('{')) {
        try {
            const parsed = JSON.parse(text);
            if (typeof parsed.message === 'string') {
                return { code: parsed.code ?? null, field: parsed.field ?? null, message: parsed.message };
            }
        } catch {
            // not JSON after all: show the text as it is
        }
    }
    return { code: null, field: null, message: text };
}

/**
 * Reduces one or more errors to the messages a person reads, without duplicates.
 * @param {*|Array} errors one error or a list
 * @returns {string[]} messages
 */
export function reduceErrors(errors) {
    const list = Array.isArray(errors) ? errors : [errors];
    return [
        ...new Set(
            list.filter((error) => error !== undefined && error !== null).map((error) => parseError(error).message)
        )
    ];
}
