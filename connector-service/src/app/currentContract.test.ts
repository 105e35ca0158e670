import { describe, expect, it } from 'vitest';
import { currentContractId } from './currentContract.ts';

const workflow = (id: string) => ({ vendor: 'ironclad', objectType: 'workflow', id });
const record = (id: string) => ({ vendor: 'ironclad', objectType: 'record', id });

describe('currentContractId', () => {
    it('is the workflow once Ironclad archived it as a record (the record id is read through the workflow)', () => {
        expect(currentContractId({ clm: [workflow('wf-1'), record('rec-1')] })).toBe('wf-1');
    });

    it("is the amendment's workflow once one is linked, and nothing for an unlinked pair", () => {
        expect(currentContractId({ clm: [workflow('wf-1'), record('rec-1'), workflow('wf-2')] })).toBe('wf-2');
        expect(currentContractId({ clm: [{ vendor: 'spotdraft', objectType: 'contract', id: '42' }] })).toBe('42');
        expect(currentContractId({ clm: [] })).toBeUndefined();
    });
});
