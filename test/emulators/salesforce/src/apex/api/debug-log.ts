// The debug log an API call gets back, cut to the log levels it asked for: the SOAP DebuggingHeader's
// `debugLevel` preset (LogType) and/or per-category `categories` (LogInfo: Db, Apex_code, Apex_profiling, …;
// levels NONE < ERROR < WARN < INFO < DEBUG < FINE < FINER < FINEST), as in the Apex API's DebuggingHeader.
// A line is kept when its event's category is logged at its level or finer; the first line names the levels.
import { isNode, textOf, type SoapNode } from './soap.ts';

const LEVELS = ['NONE', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'FINE', 'FINER', 'FINEST'] as const;
type Level = (typeof LEVELS)[number];

const CATEGORIES = [
    'DB',
    'WORKFLOW',
    'VALIDATION',
    'CALLOUT',
    'APEX_CODE',
    'APEX_PROFILING',
    'VISUALFORCE',
    'SYSTEM',
    'WAVE',
    'NBA'
] as const;
type Category = (typeof CATEGORIES)[number];

export type LogLevels = Partial<Record<Category, Level>>;

/** The LogType presets of DebuggingHeader.debugLevel. */
const PRESETS: Record<string, LogLevels> = {
    NONE: {},
    DEBUGONLY: { APEX_CODE: 'DEBUG', APEX_PROFILING: 'INFO' },
    DB: { DB: 'INFO', APEX_CODE: 'DEBUG', APEX_PROFILING: 'INFO' },
    PROFILING: { DB: 'INFO', APEX_CODE: 'DEBUG', APEX_PROFILING: 'FINE' },
    CALLOUT: { CALLOUT: 'INFO', APEX_CODE: 'DEBUG', APEX_PROFILING: 'INFO' },
    DETAIL: {
        DB: 'INFO',
        WORKFLOW: 'INFO',
        VALIDATION: 'INFO',
        CALLOUT: 'INFO',
        APEX_CODE: 'FINE',
        APEX_PROFILING: 'FINE',
        SYSTEM: 'DEBUG'
    }
};

/** Where each log event sits: its category and the level it is written at (USER_DEBUG: its own level). */
const EVENTS: Record<string, [Category, Level]> = {
    USER_INFO: ['APEX_CODE', 'ERROR'],
    EXECUTION_STARTED: ['APEX_CODE', 'ERROR'],
    EXECUTION_FINISHED: ['APEX_CODE', 'ERROR'],
    CODE_UNIT_STARTED: ['APEX_CODE', 'ERROR'],
    CODE_UNIT_FINISHED: ['APEX_CODE', 'ERROR'],
    FATAL_ERROR: ['APEX_CODE', 'ERROR'],
    EXCEPTION_THROWN: ['APEX_CODE', 'INFO'],
    USER_DEBUG: ['APEX_CODE', 'DEBUG'],
    STATEMENT_EXECUTE: ['APEX_CODE', 'FINER'],
    METHOD_ENTRY: ['APEX_CODE', 'FINE'],
    METHOD_EXIT: ['APEX_CODE', 'FINE'],
    VARIABLE_ASSIGNMENT: ['APEX_CODE', 'FINEST'],
    SOQL_EXECUTE_BEGIN: ['DB', 'INFO'],
    SOQL_EXECUTE_END: ['DB', 'INFO'],
    DML_BEGIN: ['DB', 'INFO'],
    DML_END: ['DB', 'INFO'],
    LIMIT_USAGE_FOR_NS: ['APEX_PROFILING', 'FINEST'],
    CUMULATIVE_LIMIT_USAGE: ['APEX_PROFILING', 'INFO'],
    CUMULATIVE_LIMIT_USAGE_END: ['APEX_PROFILING', 'INFO']
};

const rank = (level: Level): number => LEVELS.indexOf(level);

function asLevel(text: string | undefined): Level | undefined {
    const upper = text?.trim().toUpperCase();
    return (LEVELS as readonly string[]).includes(upper ?? '') ? (upper as Level) : undefined;
}

/** The levels a DebuggingHeader asks for; undefined when the call sent none (the org then returns no log). */
export function levelsOfHeader(header: SoapNode): LogLevels | undefined {
    const debugging = header.DebuggingHeader;
    if (!isNode(debugging)) return undefined;
    const preset = textOf(debugging, 'debugLevel')?.trim().toUpperCase();
    const levels: LogLevels = { ...(PRESETS[preset ?? ''] ?? {}) };
    const categories = debugging.categories;
    for (const entry of Array.isArray(categories) ? categories : categories ? [categories] : []) {
        if (!isNode(entry)) continue;
        const name = textOf(entry, 'category')?.trim().toUpperCase();
        const level = asLevel(textOf(entry, 'level'));
        if (!level) continue;
        if (name === 'ALL') for (const c of CATEGORIES) levels[c] = level;
        else if ((CATEGORIES as readonly string[]).includes(name ?? '')) levels[name as Category] = level;
    }
    return levels;
}

/** The event name and written level of one log line (`time (nanos)|EVENT|…`, or `EVENT|…`). */
function eventOf(line: string): { category: Category; level: Level } | undefined {
    const fields = line.split('|');
    const event = /^\d\d:\d\d:\d\d\.\d+ \(\d+\)$/.test(fields[0] ?? '') ? fields[1] : fields[0];
    const known = EVENTS[event ?? ''];
    if (!known) return undefined;
    if (event === 'USER_DEBUG') return { category: 'APEX_CODE', level: asLevel(fields[3]) ?? 'DEBUG' };
    return { category: known[0], level: known[1] };
}

/**
 * The runtime's full log cut to `levels`, with the org's first line (`<version> CATEGORY,LEVEL;…`) naming
 * them. The "Execute Anonymous:" echo of the block is kept whenever anything is logged.
 */
export function filterDebugLog(log: string, levels: LogLevels, apiVersion: string): string {
    const named = CATEGORIES.filter((c) => levels[c] && levels[c] !== 'NONE');
    if (named.length === 0) return '';
    const lines = log.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    const kept = [`${apiVersion} ${named.map((c) => `${c},${levels[c]}`).join(';')}`];
    // A line without a known event (the rest of a multi-line debug message) goes with the line before it.
    let keep = true;
    for (const line of lines.slice(/^\d+\.\d+ [A-Z_]+,/.test(lines[0] ?? '') ? 1 : 0)) {
        const event = eventOf(line);
        if (line.startsWith('Execute Anonymous:')) keep = true;
        else if (event) {
            const allowed = levels[event.category];
            keep = allowed !== undefined && rank(event.level) <= rank(allowed);
        }
        if (keep) kept.push(line);
    }
    return `${kept.join('\n')}\n`;
}
