import { describe, expect, it } from 'vitest';
import { parseError, reduceErrors } from 'c/clmLdsUtils';

describe('c/clmLdsUtils', () => {
    it('reads the code, field and message of a package Apex error', () => {
        const error = {
            body: {
                message:
                    '{"code":"CLM.RESOLVED_VALUE_MISSING","field":"editedValue","message":"Enter the value to keep."}'
            }
        };
        expect(parseError(error)).toEqual({
            code: 'CLM.RESOLVED_VALUE_MISSING',
            field: 'editedValue',
            message: 'Enter the value to keep.'
        });
    });

    it('reads UI API error arrays, page-level output errors, JS errors, fetch errors and strings', () => {
        expect(
            reduceErrors([
                { body: [{ message: 'First' }, { message: 'Second' }] },
                {
                    body: {
                        output: { errors: [{ errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION', message: 'Output' }] }
                    }
                },
                new Error('Plain'),
                { statusText: 'Bad Gateway' },
                'Text',
                { body: { message: '{not json' } }
            ])
        ).toEqual(['First, Second', 'Output', 'Plain', 'Bad Gateway', 'Text', '{not json']);
    });

    it('drops duplicates and empty entries', () => {
        expect(reduceErrors([new Error('Same'), new Error('Same'), null, undefined])).toEqual(['Same']);
        expect(reduceErrors(undefined)).toEqual([]);
    });
});
