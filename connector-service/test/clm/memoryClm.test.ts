// The port kit against the in-memory CLM: the reference behaviour the vendor adapters are held to.
import { MemoryClm } from '../../src/adapters/clm/memory/memoryClm.ts';
import { runClmPortKit } from './portKit.ts';

const clm = new MemoryClm();

runClmPortKit('in-memory fake', () => ({
    port: clm,
    naturalKeyObjectType: 'Opportunity',
    unknownContractId: 'M-999999',
    sendForSignature: async (contract) => {
        if (contract.status.lifecycle === 'Draft') await clm.transition(contract.id, 'submit');
        await clm.transition(contract.id, 'requestSignature');
    },
    completeSignature: async (contract) => {
        clm.completeSignature(contract.id);
    },
    loseNextCreateResponse: async () => clm.loseNextCreateResponse(),
    countContracts: async (ref) => clm.countByRef(ref)
}));
