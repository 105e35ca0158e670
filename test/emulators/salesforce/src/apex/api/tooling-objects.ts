// The Tooling API's Apex objects, kept beside the org's data as the org keeps them: ApexClass and ApexTrigger
// (one row per deployed class or trigger), the test run records (ApexTestRunResult, ApexTestQueueItem,
// ApexTestResult) and coverage (ApexCodeCoverage, ApexCodeCoverageAggregate, ApexOrgWideCoverage). They are
// queried over /tooling/query with the emulator's own SOQL engine, read-only, by users who may author Apex.
import { formatDateTime } from '../../clock.ts';
import { IdGenerator } from '../../ids.ts';
import type { Org } from '../../org.ts';
import { SchemaRegistry } from '../../schema/registry.ts';
import { buildObject } from '../../schema/standard-objects.ts';
import { defineField, type FieldDef, type ObjectDef } from '../../schema/types.ts';
import { QueryEngine, type QueryAccess, type QueryOutput } from '../../soql/engine.ts';
import { RecordStore, type SfRecord } from '../../store.ts';
import type { DataService } from '../../data.ts';
import type { ApexClassCoverage, ApexProgram } from '../index.ts';

const readOnly = { createable: false, updateable: false } as const;
const text = (name: string, length = 255) => defineField(name, 'string', { ...readOnly, length });
const int = (name: string) => defineField(name, 'int', { ...readOnly, precision: 9 });
const flag = (name: string) => defineField(name, 'boolean', readOnly);
const datetime = (name: string) => defineField(name, 'datetime', readOnly);
const ref = (name: string, referenceTo: string[], relationshipName: string | null = null): FieldDef =>
    defineField(name, 'reference', { ...readOnly, referenceTo, relationshipName });
/** ApexCodeCoverage.Coverage: a complex value ({coveredLines, uncoveredLines}) served as JSON. */
const complex = (name: string) => defineField(name, 'textarea', { ...readOnly, length: 131072 });

function toolingObject(name: string, keyPrefix: string, fields: FieldDef[]): ObjectDef {
    return buildObject({
        name,
        label: name,
        labelPlural: name,
        keyPrefix,
        fields,
        owner: false,
        kind: 'setup',
        createable: false,
        updateable: false,
        deletable: false
    });
}

function toolingObjects(): ObjectDef[] {
    const classOrTrigger = ref('ApexClassOrTriggerId', ['ApexClass', 'ApexTrigger'], 'ApexClassOrTrigger');
    return [
        toolingObject('ApexClass', '01p', [
            text('Name'),
            text('NamespacePrefix', 15),
            defineField('ApiVersion', 'double', { ...readOnly, precision: 18, scale: 1 }),
            text('Status', 40),
            flag('IsValid'),
            defineField('Body', 'textarea', { ...readOnly, length: 1000000 }),
            int('LengthWithoutComments')
        ]),
        toolingObject('ApexTrigger', '01q', [
            text('Name'),
            text('NamespacePrefix', 15),
            defineField('ApiVersion', 'double', { ...readOnly, precision: 18, scale: 1 }),
            text('Status', 40),
            flag('IsValid'),
            defineField('Body', 'textarea', { ...readOnly, length: 1000000 }),
            text('TableEnumOrId', 40)
        ]),
        toolingObject('ApexTestRunResult', '05m', [
            ref('AsyncApexJobId', []),
            text('Status', 40),
            int('ClassesCompleted'),
            int('ClassesEnqueued'),
            int('MethodsCompleted'),
            int('MethodsEnqueued'),
            int('MethodsFailed'),
            datetime('StartTime'),
            datetime('EndTime'),
            int('TestTime'),
            int('TestSetupTime'),
            ref('UserId', []),
            text('JobName'),
            flag('IsAllTests'),
            text('Source', 40)
        ]),
        toolingObject('ApexTestQueueItem', '709', [
            ref('ApexClassId', ['ApexClass'], 'ApexClass'),
            text('Status', 40),
            text('ExtendedStatus'),
            ref('ParentJobId', []),
            ref('TestRunResultId', ['ApexTestRunResult'], 'TestRunResult'),
            flag('ShouldSkipCodeCoverage')
        ]),
        toolingObject('ApexTestResult', '07M', [
            ref('ApexClassId', ['ApexClass'], 'ApexClass'),
            ref('QueueItemId', ['ApexTestQueueItem'], 'QueueItem'),
            ref('AsyncApexJobId', []),
            ref('ApexTestRunResultId', ['ApexTestRunResult'], 'ApexTestRunResult'),
            ref('ApexLogId', []),
            text('MethodName'),
            text('Outcome', 40),
            defineField('Message', 'textarea', { ...readOnly, length: 32000 }),
            defineField('StackTrace', 'textarea', { ...readOnly, length: 32000 }),
            int('RunTime'),
            datetime('TestTimestamp'),
            flag('IsTestSetup')
        ]),
        toolingObject('ApexCodeCoverage', '714', [
            ref('ApexTestClassId', ['ApexClass'], 'ApexTestClass'),
            text('TestMethodName'),
            classOrTrigger,
            int('NumLinesCovered'),
            int('NumLinesUncovered'),
            complex('Coverage')
        ]),
        toolingObject('ApexCodeCoverageAggregate', '715', [
            { ...classOrTrigger },
            int('NumLinesCovered'),
            int('NumLinesUncovered'),
            complex('Coverage')
        ]),
        toolingObject('ApexOrgWideCoverage', '716', [int('PercentCovered')])
    ];
}

/** Every Tooling object is readable by whoever may query the Tooling API; none is writable through it. */
const TOOLING_ACCESS: QueryAccess = {
    object: () => ({ read: true, create: false, edit: false, delete: false, viewAll: true, modifyAll: false }),
    field: () => ({ read: true, edit: false })
};

export class ApexToolingStore {
    readonly schema: SchemaRegistry;
    readonly store = new RecordStore();
    readonly ids = new IdGenerator();
    private readonly engine: QueryEngine;
    /** `class#name` / `trigger#name` (lower case) → the id it keeps across deploys. */
    private readonly componentIds = new Map<string, string>();
    /** Per class or trigger: its coverable lines at the last run, and every line any run has covered. */
    private readonly covered = new Map<string, { all: string; lines: Set<number>; uncovered: number[] }>();

    constructor(
        private readonly org: Org,
        data: DataService
    ) {
        this.schema = new SchemaRegistry(() => org.clock.peekMs());
        for (const def of toolingObjects()) this.schema.addObject(def);
        this.engine = new QueryEngine({ schema: this.schema, store: this.store, clock: org.clock }, data);
    }

    get clock() {
        return this.org.clock;
    }

    now(): string {
        return formatDateTime(this.org.clock.nowMs());
    }

    /** Column metadata (`columns=true`), what `sf data query --use-tooling-api` asks for before the rows. */
    columns(soql: string): Record<string, unknown> {
        return this.engine.columns(TOOLING_ACCESS, soql);
    }

    query(soql: string, version: string): QueryOutput {
        return this.engine.run(TOOLING_ACCESS, soql, version, false);
    }

    insert(sobject: string, fields: SfRecord): SfRecord {
        const def = this.schema.get(sobject);
        if (!def) throw new Error(`no Tooling object ${sobject}`);
        const row: SfRecord = { IsDeleted: false };
        for (const f of def.fields) if (f.name !== 'Id' && f.name !== 'IsDeleted') row[f.name] = null;
        Object.assign(row, fields, { Id: fields.Id ?? this.ids.next(def.keyPrefix) });
        const now = this.now();
        row.CreatedDate ??= now;
        row.LastModifiedDate = now;
        row.SystemModstamp = now;
        row.CreatedById ??= null;
        row.LastModifiedById ??= null;
        this.store.seed(sobject, row);
        return row;
    }

    update(sobject: string, id: string, fields: SfRecord): void {
        const row = this.store.get(sobject, id);
        if (row) Object.assign(row, fields, { LastModifiedDate: this.now(), SystemModstamp: this.now() });
    }

    /** ApexClass and ApexTrigger rows for the program's sources (ids stable per name across deploys). */
    syncComponents(program: ApexProgram | undefined): void {
        for (const sobject of ['ApexClass', 'ApexTrigger']) this.store.table(sobject).clear();
        for (const source of program?.sources() ?? []) {
            const key = `${source.kind}#${source.name}`.toLowerCase();
            const sobject = source.kind === 'class' ? 'ApexClass' : 'ApexTrigger';
            let id = this.componentIds.get(key);
            if (!id) {
                id = this.ids.next(source.kind === 'class' ? '01p' : '01q');
                this.componentIds.set(key, id);
            }
            this.insert(sobject, {
                Id: id,
                Name: source.name,
                NamespacePrefix: null,
                ApiVersion: 62,
                Status: 'Active',
                IsValid: true,
                Body: source.body,
                ...(source.kind === 'class'
                    ? { LengthWithoutComments: source.body.length }
                    : { TableEnumOrId: /\bon\s+(\w+)/i.exec(source.body)?.[1] ?? null })
            });
        }
    }

    /** The id of a class (or trigger) by name, after syncComponents. */
    idOf(kind: 'class' | 'trigger', name: string): string | undefined {
        return this.componentIds.get(`${kind}#${name}`.toLowerCase());
    }

    /**
     * Folds a run's coverage into ApexCodeCoverageAggregate (lines covered by any run since the class last
     * changed) and recomputes ApexOrgWideCoverage over every class and trigger the runtime can count.
     */
    recordCoverage(coverage: ApexClassCoverage[]): void {
        for (const c of coverage) {
            const key = `${c.kind}#${c.name}`.toLowerCase();
            const all = JSON.stringify([...c.coveredLines, ...c.uncoveredLines].sort((a, b) => a - b));
            const previous = this.covered.get(key);
            const lines = previous && previous.all === all ? previous.lines : new Set<number>();
            for (const line of c.coveredLines) lines.add(line);
            const allLines = JSON.parse(all) as number[];
            this.covered.set(key, { all, lines, uncovered: allLines.filter((l) => !lines.has(l)) });
        }
        this.store.table('ApexCodeCoverageAggregate').clear();
        let total = 0;
        let hit = 0;
        for (const [key, entry] of this.covered) {
            const [kind, name] = key.split('#') as ['class' | 'trigger', string];
            const id = this.idOf(kind, name);
            total += entry.lines.size + entry.uncovered.length;
            hit += entry.lines.size;
            if (!id || entry.lines.size === 0) continue;
            this.insert('ApexCodeCoverageAggregate', {
                ApexClassOrTriggerId: id,
                NumLinesCovered: entry.lines.size,
                NumLinesUncovered: entry.uncovered.length,
                Coverage: {
                    coveredLines: [...entry.lines].sort((a, b) => a - b),
                    uncoveredLines: entry.uncovered
                } as unknown as string
            });
        }
        this.store.table('ApexOrgWideCoverage').clear();
        this.insert('ApexOrgWideCoverage', { PercentCovered: total === 0 ? 0 : Math.floor((hit / total) * 100) });
    }

    /** The org-wide figure as a fraction (for the deploy's 75 % rule). */
    orgWideCoverage(): number | undefined {
        let total = 0;
        let hit = 0;
        for (const entry of this.covered.values()) {
            total += entry.lines.size + entry.uncovered.length;
            hit += entry.lines.size;
        }
        return total === 0 ? undefined : hit / total;
    }
}
