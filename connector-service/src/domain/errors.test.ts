import { describe, expect, it } from 'vitest';
import { ConnectorError, describeValue, isConnectorError } from './errors.ts';

describe('ConnectorError', () => {
    it('carries a stable code and details callers can branch on', () => {
        const error = new ConnectorError('TRANSFORM.UNKNOWN_PICKLIST_VALUE', 'no mapping', { field: 'StageName' });
        expect(isConnectorError(error, 'TRANSFORM.UNKNOWN_PICKLIST_VALUE')).toBe(true);
        expect(isConnectorError(error, 'MAPPING.UNKNOWN_FIELD')).toBe(false);
        expect(JSON.parse(JSON.stringify(error))).toEqual({
            code: 'TRANSFORM.UNKNOWN_PICKLIST_VALUE',
            message: 'no mapping',
            details: { field: 'StageName' }
        });
    });

    it('shortens long values shown in messages', () => {
        expect(describeValue('x'.repeat(500))).toHaveLength(120);
        expect(describeValue(undefined)).toBe('undefined');
    });
});
