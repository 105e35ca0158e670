// The org's schema: every object and field, with lookups by (case-insensitive) name and key prefix.
// Describe, describeGlobal, validation, SOQL and FLS all read from here.
import { SfError } from '../errors.ts';
import { defineField, describeField, type FieldDef, type ObjectDef } from './types.ts';

export interface ChildRelationship {
    childSObject: string;
    field: string;
    relationshipName: string | null;
    cascadeDelete: boolean;
}

interface Entry {
    def: ObjectDef;
    fieldIndex: Map<string, FieldDef>;
}

export class SchemaRegistry {
    private entries = new Map<string, Entry>();
    private prefixes = new Map<string, string>();
    private customPrefixCounter = 0;
    /** When the schema last changed (ms); describe honours If-Modified-Since against it. */
    lastModifiedMs = 0;

    constructor(private readonly now: () => number) {}

    addObject(def: ObjectDef): ObjectDef {
        const existing = this.entries.get(def.name.toLowerCase());
        if (existing) {
            for (const f of def.fields) this.addField(existing.def.name, f);
            return existing.def;
        }
        if (!def.keyPrefix) def.keyPrefix = this.nextPrefix(def.kind);
        const entry: Entry = { def, fieldIndex: new Map() };
        for (const f of def.fields) entry.fieldIndex.set(f.name.toLowerCase(), f);
        this.entries.set(def.name.toLowerCase(), entry);
        this.prefixes.set(def.keyPrefix, def.name);
        this.touch();
        return def;
    }

    /** Adds a field, or replaces the field of the same name; system fields stay in place. */
    addField(objectName: string, field: FieldDef): void {
        const entry = this.entryOf(objectName);
        const key = field.name.toLowerCase();
        const existing = entry.fieldIndex.get(key);
        if (existing) {
            entry.def.fields[entry.def.fields.indexOf(existing)] = field;
        } else {
            // Custom fields sit before the trailing audit fields, as describe lists them.
            const auditAt = entry.def.fields.findIndex((f) => f.name === 'OwnerId' || f.name === 'CreatedDate');
            if (auditAt >= 0) entry.def.fields.splice(auditAt, 0, field);
            else entry.def.fields.push(field);
        }
        entry.fieldIndex.set(key, field);
        this.touch();
    }

    /** An independent copy (a deploy's Apex is compiled against the schema as the deploy would leave it). */
    clone(): SchemaRegistry {
        const copy = new SchemaRegistry(this.now);
        for (const [key, entry] of this.entries) {
            const def: ObjectDef = { ...entry.def, fields: [...entry.def.fields] };
            copy.entries.set(key, { def, fieldIndex: new Map(entry.fieldIndex) });
        }
        copy.prefixes = new Map(this.prefixes);
        copy.customPrefixCounter = this.customPrefixCounter;
        copy.lastModifiedMs = this.lastModifiedMs;
        return copy;
    }

    private touch(): void {
        this.lastModifiedMs = this.now();
    }

    private nextPrefix(kind: ObjectDef['kind']): string {
        const lead = kind === 'platformEvent' ? 'e' : kind === 'customMetadata' ? 'm' : 'a';
        for (;;) {
            const n = this.customPrefixCounter++;
            const prefix = lead + '0' + '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'.charAt(n % 36);
            if (!this.prefixes.has(prefix)) return prefix;
        }
    }

    private entryOf(name: string): Entry {
        const entry = this.entries.get(name.toLowerCase());
        if (!entry) throw new SfError(404, 'NOT_FOUND', 'The requested resource does not exist');
        return entry;
    }

    get(name: string): ObjectDef | undefined {
        return this.entries.get(name.toLowerCase())?.def;
    }

    /** The object, or 404 NOT_FOUND as the REST API answers for an unknown sObject in a path. */
    require(name: string): ObjectDef {
        return this.entryOf(name).def;
    }

    field(objectName: string, fieldName: string): FieldDef | undefined {
        return this.entries.get(objectName.toLowerCase())?.fieldIndex.get(fieldName.toLowerCase());
    }

    objectByPrefix(prefix: string): ObjectDef | undefined {
        const name = this.prefixes.get(prefix);
        return name ? this.get(name) : undefined;
    }

    all(): ObjectDef[] {
        return [...this.entries.values()].map((e) => e.def);
    }

    objectExists(name: string): boolean {
        return this.entries.has(name.toLowerCase());
    }

    fieldExists(objectName: string, fieldName: string): boolean {
        return this.field(objectName, fieldName) !== undefined;
    }

    childRelationships(objectName: string): ChildRelationship[] {
        const target = this.require(objectName).name;
        const out: ChildRelationship[] = [];
        for (const { def } of this.entries.values()) {
            for (const f of def.fields) {
                if (f.type !== 'reference' || !f.referenceTo.includes(target)) continue;
                out.push({
                    childSObject: def.name,
                    field: f.name,
                    relationshipName: f.childRelationshipName ?? null,
                    cascadeDelete: f.cascadeDelete
                });
            }
        }
        return out;
    }

    childRelationship(objectName: string, relationshipName: string): ChildRelationship | undefined {
        const wanted = relationshipName.toLowerCase();
        return this.childRelationships(objectName).find((r) => r.relationshipName?.toLowerCase() === wanted);
    }

    /** Fields of a platform event or custom metadata type that the platform adds itself. */
    static platformFieldsFor(kind: ObjectDef['kind']): FieldDef[] {
        const ro = { createable: false, updateable: false, permissionable: false } as const;
        if (kind === 'platformEvent') {
            return [
                defineField('ReplayId', 'string', { ...ro, length: 255, label: 'Replay ID' }),
                defineField('CreatedDate', 'datetime', { ...ro, nillable: false, defaultedOnCreate: true }),
                defineField('CreatedById', 'reference', {
                    ...ro,
                    referenceTo: ['User'],
                    relationshipName: 'CreatedBy'
                }),
                defineField('EventUuid', 'string', { ...ro, length: 36, label: 'Event UUID' })
            ];
        }
        if (kind === 'customMetadata') {
            return [
                defineField('Id', 'id', { ...ro, nillable: false, idLookup: true }),
                defineField('DeveloperName', 'string', {
                    ...ro,
                    length: 40,
                    nillable: false,
                    label: 'Custom Metadata Record Name'
                }),
                defineField('MasterLabel', 'string', {
                    ...ro,
                    length: 40,
                    nillable: false,
                    nameField: true,
                    label: 'Label'
                }),
                defineField('Label', 'string', { ...ro, length: 40, label: 'Label' }),
                defineField('Language', 'picklist', { ...ro, length: 40 }),
                defineField('NamespacePrefix', 'string', { ...ro, length: 15 }),
                defineField('QualifiedApiName', 'string', { ...ro, length: 70, label: 'Qualified API Name' })
            ];
        }
        return [];
    }

    describe(objectName: string, version: string, visible: (f: FieldDef) => boolean): Record<string, unknown> {
        const def = this.require(objectName);
        const base = `/services/data/v${version}/sobjects/${def.name}`;
        return {
            ...this.globalEntry(def, version),
            actionOverrides: [],
            childRelationships: this.childRelationships(def.name).map((r) => ({
                cascadeDelete: r.cascadeDelete,
                childSObject: r.childSObject,
                deprecatedAndHidden: false,
                field: r.field,
                junctionIdListNames: [],
                junctionReferenceTo: [],
                relationshipName: r.relationshipName,
                restrictedDelete: false
            })),
            // The emulated org has no page or compact layouts (README: layouts are not served).
            compactLayoutable: false,
            fields: def.fields.filter(visible).map(describeField),
            namedLayoutInfos: [],
            networkScopeFieldName: null,
            recordTypeInfos:
                def.kind === 'standard' || def.kind === 'custom'
                    ? [
                          {
                              active: true,
                              available: true,
                              defaultRecordTypeMapping: true,
                              developerName: 'Master',
                              master: true,
                              name: 'Master',
                              recordTypeId: '012000000000000AAA',
                              urls: {}
                          }
                      ]
                    : [],
            searchLayoutable: def.kind !== 'setup',
            supportedScopes: [{ label: 'All', name: 'everything' }],
            urls: {
                ...(this.globalEntry(def, version).urls as object),
                describe: `${base}/describe`,
                rowTemplate: `${base}/{ID}`
            }
        };
    }

    globalEntry(def: ObjectDef, version: string): Record<string, unknown> {
        const base = `/services/data/v${version}/sobjects/${def.name}`;
        const isData = (def.kind === 'standard' || def.kind === 'custom') && def.customSetting === undefined;
        return {
            activateable: false,
            associateEntityType: null,
            associateParentEntity: null,
            createable: def.createable,
            custom: def.custom,
            customSetting: def.customSetting !== undefined,
            deepCloneable: false,
            deletable: def.deletable,
            deprecatedAndHidden: false,
            feedEnabled: isData,
            hasSubtypes: false,
            isInterface: false,
            isSubtype: false,
            keyPrefix: def.keyPrefix,
            label: def.label,
            labelPlural: def.labelPlural,
            layoutable: false,
            mergeable: def.name === 'Account' || def.name === 'Contact',
            mruEnabled: isData,
            name: def.name,
            queryable: def.queryable,
            replicateable: isData,
            retrieveable: def.kind !== 'platformEvent',
            searchable: isData,
            triggerable: def.kind !== 'customMetadata' && def.kind !== 'setup',
            undeletable: isData,
            updateable: def.updateable,
            urls: { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` }
        };
    }
}
