/**
 * The org contract is known to both sides or to neither: the Apex and the components name its values through the
 * generated ClmContract / c/clmContract (never a literal), each generated name they use exists, each value one side
 * sends is one the other reads, and the change channels are the same set for the connector, `sf clm org setup` and
 * the architecture doc. The generated files themselves are checked by scripts/metadata.test.ts.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
    CHANGE_CHANNELS,
    CONFLICT_RECORD,
    CONFLICT_RESOLUTIONS,
    DEFAULT_RULES,
    PROVENANCE_RECORD,
    REQUEST_ACTIONS,
    STATUS_KINDS,
    SYNC_ERROR_RECORD,
    SYNC_RESULTS,
    changeObjects,
    defaultChangeChannels,
    parseStatusEvent,
    parseSyncRequest,
    statusEventFields,
    syncRequestFields,
    writesToClm,
    type SyncRequest
} from '../connector-service/src/domain/index.ts';
import { changeDataCaptureObjects } from '../connector-service/src/commands/clm/org/setup.ts';
import { payloadFromSyncRequest } from '../connector-service/src/adapters/salesforce/pubsub/changeEvents.ts';
import { repoRoot } from '../test/support/requirements.ts';
import { renderOrgContract } from './orgContract.ts';

const CLASSES = path.join(repoRoot, 'force-app/main/default/classes');
const LWC = path.join(repoRoot, 'force-app/main/default/lwc');
const CONNECTOR = path.join(repoRoot, 'connector-service/src');

function filesUnder(dir: string, ext: RegExp): string[] {
    return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) return name === '__tests__' ? [] : filesUnder(full, ext);
        return ext.test(name) ? [full] : [];
    });
}

const generated = renderOrgContract();
const apexContract = generated.get('force-app/main/default/classes/shared/ClmContract.cls')!;
const lwcContract = generated.get('force-app/main/default/lwc/clmContract/clmContract.js')!;
const apexSources = filesUnder(CLASSES, /\.cls$/).filter((file) => !file.endsWith('ClmContract.cls'));
const lwcSources = filesUnder(LWC, /\.js$/).filter((file) => !file.endsWith('clmContract.js'));
const read = (file: string) => readFileSync(file, 'utf8');
/** Code without its comments, so a sentence that names a value is not a use of it. */
const code = (file: string) =>
    read(file)
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');

/** Every value the contract enumerates (objects aside: their names are everywhere for other reasons). */
const CONTRACT_VALUES = [
    ...Object.keys(REQUEST_ACTIONS),
    ...Object.keys(STATUS_KINDS),
    ...Object.keys(SYNC_RESULTS),
    ...Object.keys(CONFLICT_RESOLUTIONS),
    ...Object.keys(CONFLICT_RECORD.status!.states),
    ...Object.keys(SYNC_ERROR_RECORD.status!.states)
];

/** Words that are a contract value and also something else; each with the line that uses it the other way. */
const SAME_WORD_OTHER_MEANING = [
    { file: 'ClmStatusController.cls', line: "return 'Pending';", why: "the card's health, its own vocabulary" },
    { file: 'clmContractStatus.js', line: "return 'Pending';", why: "the card's health, its own vocabulary" },
    { file: 'clmSendToClm.js', line: "? 'Sending…' : 'Send';", why: "the button's label" }
];
const literalsIn = (file: string) => {
    const lines = code(file)
        .split('\n')
        .filter(
            (line) =>
                !SAME_WORD_OTHER_MEANING.some(
                    (other) => path.basename(file) === other.file && line.includes(other.line)
                )
        )
        .join('\n');
    return CONTRACT_VALUES.filter((value) => lines.includes(`'${value}'`)).map(
        (value) => `${path.basename(file)}: '${value}'`
    );
};

describe('the org contract, on both sides', () => {
    it('is what the org holds: events, state fields, ClmContract and c/clmContract', () => {
        for (const [relative, content] of generated)
            expect(read(path.join(repoRoot, relative)), `${relative}: run npm run generate:metadata`).toBe(content);
    });

    it('the Apex names every contract value through ClmContract, never as a literal', () => {
        expect(apexSources.flatMap(literalsIn)).toEqual([]);
    });

    it('every ClmContract name the Apex uses is generated', () => {
        const names = new Set([...apexContract.matchAll(/public static final \S+ (\w+) =/g)].map((m) => m[1]));
        const used = apexSources.flatMap((file) =>
            [...code(file).matchAll(/ClmContract\.(\w+)/g)].map((m) => `${path.basename(file)}: ${m[1]}`)
        );
        expect(used.length).toBeGreaterThan(10);
        expect(used.filter((use) => !names.has(use.split(': ')[1]))).toEqual([]);
    });

    it('the components take the contract values from c/clmContract', () => {
        const exported = new Set([...lwcContract.matchAll(/export const (\w+)/g)].map((m) => m[1]));
        const nameMaps = new Set(
            [...lwcContract.matchAll(/export const (\w+) = Object\.freeze\(\{/g)].map((m) => m[1])
        );
        const problems = lwcSources.flatMap((file) => {
            const source = code(file);
            const imported = /import \{([^}]*)\} from 'c\/clmContract'/.exec(source)?.[1] ?? '';
            const names = imported
                .split(',')
                .map((name) => name.trim())
                .filter(Boolean);
            const members = names
                .filter((name) => nameMaps.has(name))
                .flatMap((name) =>
                    [...source.matchAll(new RegExp(`\\b${name}\\.(\\w+)`, 'g'))]
                        .filter((m) => !new RegExp(`\\b${m[1]}: '${m[1]}'`).test(lwcContract))
                        .map((m) => `${path.basename(file)}: ${name}.${m[1]}`)
                );
            return [
                ...members,
                ...names.filter((name) => !exported.has(name)).map((name) => `${path.basename(file)}: ${name}`),
                ...literalsIn(file)
            ];
        });
        expect(problems).toEqual([]);
    });

    it('each request action is published by the Apex, and each status kind and sync result by the connector', () => {
        const apex = apexSources.map(code).join('\n');
        for (const action of Object.keys(REQUEST_ACTIONS)) {
            const name = `ACTION_${action.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
            expect(apex, `the org never sends ${action}`).toContain(`ClmContract.${name}`);
        }
        const connector = filesUnder(path.join(CONNECTOR, 'app'), /\.ts$/).map(code).join('\n');
        for (const kind of Object.keys(STATUS_KINDS))
            expect(connector, `the connector never publishes ${kind}`).toMatch(
                new RegExp(`kind: (moved \\? '\\w+' : )?'${kind}'|'${kind}'`)
            );
        for (const result of Object.keys(SYNC_RESULTS))
            expect(connector, `the connector never sets ${result}`).toContain(`'${result}'`);
        // The review kinds the automation acts on are kinds the connector sends.
        expect(apexContract).toMatch(/REVIEW_KINDS = new Set<String>\{ 'Conflict', 'Quarantined' \}/);
    });

    it("the connector's record writes name fields the org has", () => {
        for (const record of [CONFLICT_RECORD, SYNC_ERROR_RECORD, PROVENANCE_RECORD]) {
            const dir = path.join(repoRoot, 'force-app/main/default/objects', record.name, 'fields');
            const fields = new Set(readdirSync(dir).map((file) => file.replace('.field-meta.xml', '')));
            expect(
                [record.key, ...record.fields].filter((field) => !fields.has(field)),
                record.name
            ).toEqual([]);
        }
    });

    it('a request the org builds reads back as the same request', () => {
        const id = fc.stringMatching(/^[a-zA-Z0-9]{18}$/);
        const request: fc.Arbitrary<SyncRequest> = fc.oneof(
            fc.record({
                action: fc.constantFrom('Send' as const, 'Resync' as const),
                requestId: fc.uuid(),
                recordId: id,
                objectApiName: fc.constantFrom('Opportunity' as const, 'SBQQ__Quote__c' as const)
            }),
            fc.record({
                action: fc.constant('ResolveConflict' as const),
                requestId: fc.uuid(),
                conflictKey: fc.stringMatching(/^opp:[a-zA-Z0-9]{18}\/[A-Za-z_]{1,40}\/[a-z0-9:-]{1,40}$/),
                resolution: fc.constantFrom(
                    ...(Object.keys(CONFLICT_RESOLUTIONS) as (keyof typeof CONFLICT_RESOLUTIONS)[])
                ),
                value: fc.option(fc.string({ maxLength: 200 }), { nil: null })
            }),
            fc.record({
                action: fc.constant('RetryItem' as const),
                requestId: fc.uuid(),
                errorKey: fc
                    .tuple(fc.constantFrom('inbox', 'outbox'), fc.nat())
                    .map(([queue, n]) => `${queue}:${n + 1}`)
            })
        );
        fc.assert(
            fc.property(request, (sent) => {
                expect(parseSyncRequest(syncRequestFields(sent), 'replay-1')).toEqual(sent);
                // The platform stamps every published event with its publisher (CreatedById): the connector requires it.
                const event = { ...syncRequestFields(sent), CreatedById: '005000000000001AAA' };
                expect(payloadFromSyncRequest({ replayId: 1, payload: event })).not.toBeNull();
            })
        );
    });

    it('a request the contract does not know is a coded error naming the field', () => {
        expect(() => parseSyncRequest({ Action__c: 'Delete', Request_Id__c: 'r' }, 'x')).toThrow(
            expect.objectContaining({
                code: 'ORG.INVALID_REQUEST',
                details: expect.objectContaining({ field: 'Action__c' })
            })
        );
        expect(() =>
            parseSyncRequest({ Action__c: 'Send', Record_Id__c: '0Q0000000000001AAA', Object_Api_Name__c: 'Lead' }, 'x')
        ).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'Object_Api_Name__c' }) }));
    });

    it('a status the connector builds reads back the same, cut to the event field lengths', () => {
        const status = parseStatusEvent(
            statusEventFields({
                kind: 'Quarantined',
                result: 'Quarantined',
                recordId: '006000000000001AAA',
                objectApiName: 'Opportunity',
                message: 'x'.repeat(400),
                correlationId: 'c'.repeat(80),
                eventKey: 'error:inbox:1:5'
            })
        );
        expect(status).toMatchObject({ kind: 'Quarantined', result: 'Quarantined' });
        expect(status.message).toHaveLength(255);
        expect(status.correlationId).toHaveLength(64);
    });
});

describe('the change channels', () => {
    it('cover every object the default rules read from Salesforce', () => {
        const read = new Set(DEFAULT_RULES.filter((rule) => writesToClm(rule.direction)).map((rule) => rule.sfObject));
        expect([...read].filter((sfObject) => !changeObjects({ cpq: false }).includes(sfObject))).toEqual([]);
    });

    it('are the channels the connector hears by default and the entities `sf clm org setup` enables', () => {
        for (const cpq of [false, true]) {
            const entities = changeDataCaptureObjects(DEFAULT_RULES, { cpq });
            expect(entities).toEqual([...changeObjects({ cpq })].sort());
            expect(defaultChangeChannels({ cpq }).map((channel) => channel.replace('/data/', ''))).toEqual(
                changeObjects({ cpq }).map((sfObject) =>
                    sfObject.endsWith('__c') ? sfObject.replace(/__c$/, '__ChangeEvent') : `${sfObject}ChangeEvent`
                )
            );
        }
    });

    it('are the ones docs/architecture.md lists', () => {
        const doc = readFileSync(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
        const listed = /Change channels \(from the org contract\): ([^.]+)\./.exec(doc)?.[1]?.replace(/\s+/g, ' ');
        expect(listed, 'docs/architecture.md names the change channels').toBeDefined();
        expect(listed!.split(/,\s*/).map((entry) => entry.replace(/ \(CPQ\)$/, '').replace(/`/g, ''))).toEqual(
            CHANGE_CHANNELS.map((channel) => channel.sfObject)
        );
    });
});
