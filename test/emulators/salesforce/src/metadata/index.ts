// The Metadata API deploy of the emulated org over REST (`/services/data/vXX.X/metadata/deployRequest`), the
// path the sf CLI takes with SF_ORG_METADATA_REST_DEPLOY=true. A request is accepted at once (201, Pending),
// checked asynchronously like the org does (check.ts), and polled until done. A deploy that succeeds and is
// not checkOnly changes the org: its objects and fields are handed to `onDeployed` for the schema, and its
// components count as existing for later deploys.
import { SfError, notFound } from '../errors.ts';
import { IdGenerator, normalizeId } from '../ids.ts';
import type { CheckOutcome, OrgView } from './check.ts';
import { ZipRejectedError, checkDeployZip } from './check.ts';
import type { CheckedComponent, DeployedComponents, DeployedObject, OrgSchema, Problem } from './model.ts';
import type { DeployOptions } from './request.ts';
import type { ApexProgram } from '../apex/index.ts';
import type { DeployTestOutcome } from '../apex/api/deploy-tests.ts';
import { parseDeployRequest } from './request.ts';

export type { DeployedComponents, DeployedField, DeployedObject, DeployedPermissionSet, OrgSchema } from './model.ts';
export type { DeployOptions } from './request.ts';

export interface MetadataDeployServiceOptions {
    schema: OrgSchema;
    now: () => Date;
    userId: string;
    /** Shown as createdByName; defaults to "Emulator User". */
    userName?: string;
    /** Called once for each deploy that succeeded (fully or partially) and was not checkOnly. */
    onDeployed?: (deployed: DeployedComponents) => void;
    /**
     * Compiles the deploy's Apex together with the org's, against the schema with the deploy's objects: problems by
     * component (type#fullName, lower case), and `install` to run the new program once the deploy commits.
     */
    compileApex?: (
        components: CheckedComponent[],
        objects: DeployedObject[]
    ) => {
        problems: Map<string, Problem[]>;
        install: () => void;
        program?: ApexProgram;
    };
    /**
     * Runs the tests the deploy asks for (or the org requires) on the compiled program, before anything commits;
     * undefined when it runs none. `idOf` names a class or trigger by the id the deploy gives it.
     */
    runTests?: (
        program: ApexProgram | undefined,
        options: DeployOptions,
        deploysApex: boolean,
        idOf: (kind: 'class' | 'trigger', name: string) => string | null
    ) => Promise<DeployTestOutcome | undefined>;
}

export type DeployStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'SucceededPartial' | 'Failed';

export interface DeployRecord {
    id: string;
    options: DeployOptions;
    createdDate: Date;
    lastModifiedDate: Date;
    startDate: Date | null;
    completedDate: Date | null;
    status: DeployStatus;
    components: CheckedComponent[];
    /** Per successful component, as the org stood before this deploy: was it new, did it change. */
    states: Map<CheckedComponent, { created: boolean; changed: boolean; id: string | null }>;
    errorStatusCode: string | null;
    errorMessage: string | null;
    finished: Promise<void>;
    /** The deploy's test run, when it ran tests. */
    tests?: DeployTestOutcome;
}

/** Key prefixes of the ids the org gives deployed components (as seen in Setup URLs). */
const COMPONENT_KEY_PREFIX: Record<string, string> = {
    ApexClass: '01p',
    ApexTrigger: '01q',
    CustomObject: '01I',
    CustomField: '00N',
    CustomTab: '01r',
    CustomApplication: '02u',
    FlexiPage: '0M0',
    Layout: '00h',
    LightningComponentBundle: '0Rb',
    PermissionSet: '0PS',
    CustomMetadata: 'm00',
    ValidationRule: '03d',
    ListView: '00B',
    QuickAction: '09D',
    PlatformEventChannelMember: '0v8'
};

const DEPLOY_KEY_PREFIX = '0Af';

function iso(date: Date | null): string | null {
    return date ? date.toISOString() : null;
}

export class MetadataDeployService {
    private readonly deploys = new Map<string, DeployRecord>();
    private readonly ids = new IdGenerator();
    /** `type#fullname` (lower case) → the text it was last deployed with. */
    private readonly deployedFingerprints = new Map<string, string>();
    private readonly componentIds = new Map<string, string>();
    private readonly deployedObjects = new Map<string, DeployedObject>();
    private lastDeployed: DeployedComponents | undefined;

    constructor(private readonly opts: MetadataDeployServiceOptions) {}

    /** POST …/metadata/deployRequest */
    start(body: Buffer, contentType: string): { status: number; body: unknown } {
        let request;
        try {
            request = parseDeployRequest(body, contentType);
        } catch (error) {
            if (error instanceof SfError) return { status: error.status, body: error.toBody() };
            throw error;
        }
        const record = this.submit(request.zip, request.options);
        return {
            status: 201,
            body: { id: record.id, deployOptions: record.options, deployResult: this.resultBody(record, false) }
        };
    }

    /** Queues the deploy of a zip (the REST and SOAP deploy both land here); the check runs after the reply. */
    submit(zip: Buffer, options: DeployOptions): DeployRecord {
        const now = this.opts.now();
        const record: DeployRecord = {
            id: this.ids.next(DEPLOY_KEY_PREFIX),
            options,
            createdDate: now,
            lastModifiedDate: now,
            startDate: null,
            completedDate: null,
            status: 'Pending',
            components: [],
            states: new Map(),
            errorStatusCode: null,
            errorMessage: null,
            finished: Promise.resolve()
        };
        // The org queues the request and answers before it looks at the zip; the check runs after this reply.
        record.finished = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run(record, zip));
        this.deploys.set(record.id, record);
        return record;
    }

    /** GET …/metadata/deployRequest/{id}[?includeDetails=true] */
    get(id: string, includeDetails: boolean): { status: number; body: unknown } {
        const normalized = normalizeId(id);
        if (!normalized) {
            const error = new SfError(400, 'MALFORMED_ID', `Deploy request id ${id} is not a valid id`, ['id']);
            return { status: error.status, body: error.toBody() };
        }
        const record = this.deploys.get(normalized);
        if (!record) return { status: 404, body: notFound().toBody() };
        return {
            status: 200,
            body: {
                id: record.id,
                deployOptions: record.options,
                deployResult: this.resultBody(record, includeDetails)
            }
        };
    }

    /** Resolves when the deploy has finished (tests and callers that need the outcome without polling). */
    async whenDone(id: string): Promise<void> {
        await this.deploys.get(normalizeId(id) ?? id)?.finished;
    }

    /** What the last successful non-checkOnly deploy added, or undefined when there was none. */
    lastDeployedComponents(): DeployedComponents | undefined {
        return this.lastDeployed;
    }

    private orgView(): OrgView {
        const { schema } = this.opts;
        return {
            objectExists: (name) => schema.objectExists(name) || this.deployedObjects.has(name.toLowerCase()),
            fieldExists: (object, field) => schema.fieldExists(object, field),
            deployedObject: (name) => this.deployedObjects.get(name.toLowerCase()),
            componentExists: (type, fullName) => this.deployedFingerprints.has(`${type}#${fullName}`.toLowerCase())
        };
    }

    private async run(record: DeployRecord, zip: Buffer): Promise<void> {
        record.status = 'InProgress';
        record.startDate = this.opts.now();
        record.lastModifiedDate = record.startDate;
        let outcome: CheckOutcome | undefined;
        try {
            outcome = await checkDeployZip(
                zip,
                { allowMissingFiles: record.options.allowMissingFiles },
                this.orgView()
            );
        } catch (error) {
            record.errorStatusCode = error instanceof ZipRejectedError ? error.errorStatusCode : 'UNKNOWN_EXCEPTION';
            record.errorMessage = (error as Error).message;
        }
        record.completedDate = this.opts.now();
        record.lastModifiedDate = record.completedDate;
        if (!outcome) {
            record.status = 'Failed';
            return;
        }
        record.components = outcome.components;
        // The whole set of Apex compiles as one unit; only when every component parsed.
        let installApex: (() => void) | undefined;
        let program: ApexProgram | undefined;
        const apex = outcome.components.filter((c) => c.apexSource !== undefined);
        if (this.opts.compileApex && apex.length > 0 && apex.every((c) => c.problems.length === 0)) {
            const compiled = this.opts.compileApex(apex, outcome.objects);
            for (const c of apex)
                c.problems.push(...(compiled.problems.get(`${c.componentType}#${c.fullName}`.toLowerCase()) ?? []));
            installApex = compiled.install;
            program = compiled.program;
        }
        let failed = outcome.components.filter((c) => c.problems.length > 0);
        if (failed.length === 0 && this.opts.runTests) {
            record.tests = await this.opts.runTests(program, record.options, apex.length > 0, (kind, name) =>
                this.idOfApex(kind, name)
            );
            // A failing test (or, in production, too little coverage) fails the whole deploy: nothing commits.
            if (record.tests?.failure) failed = outcome.components.filter((c) => !c.isManifest);
        }
        const manifestFailed = failed.some((c) => c.isManifest);
        const anySucceeded = outcome.components.some((c) => !c.isManifest && !failed.includes(c));
        if (record.tests?.failure) record.status = 'Failed';
        else if (failed.length === 0) record.status = 'Succeeded';
        else if (!record.options.rollbackOnError && !manifestFailed && anySucceeded) record.status = 'SucceededPartial';
        else record.status = 'Failed';
        for (const component of outcome.components) {
            if (failed.includes(component)) continue;
            const previous = this.deployedFingerprints.get(this.keyOf(component));
            record.states.set(component, {
                created: previous === undefined && !this.existsInSchema(component) && !component.isManifest,
                changed: previous === undefined || previous !== component.fingerprint,
                id: this.ensureComponentId(component)
            });
        }
        if (record.status !== 'Failed' && !record.options.checkOnly) {
            this.commit(record, outcome, failed);
            if (failed.length === 0) installApex?.();
        }
    }

    private commit(record: DeployRecord, outcome: CheckOutcome, failed: CheckedComponent[]): void {
        const committed = outcome.components.filter((c) => !c.isManifest && !failed.includes(c));
        for (const component of committed) this.deployedFingerprints.set(this.keyOf(component), component.fingerprint);
        const committedKeys = new Set(committed.map((c) => this.keyOf(c)));
        const objects = outcome.objects
            .map((object) => ({
                ...object,
                fields: object.fields.filter((f) =>
                    committedKeys.has(`customfield#${object.name}.${f.fullName}`.toLowerCase())
                )
            }))
            .filter(
                (object) => committedKeys.has(`customobject#${object.name}`.toLowerCase()) || object.fields.length > 0
            );
        for (const object of objects) {
            const previous = this.deployedObjects.get(object.name.toLowerCase());
            const fields = new Map((previous?.fields ?? []).map((f) => [f.fullName.toLowerCase(), f]));
            for (const field of object.fields) fields.set(field.fullName.toLowerCase(), field);
            this.deployedObjects.set(object.name.toLowerCase(), {
                ...previous,
                ...object,
                fields: [...fields.values()]
            });
        }
        const deployed: DeployedComponents = {
            deployId: record.id,
            objects,
            permissionSets: outcome.permissionSets.filter((p) =>
                committedKeys.has(`permissionset#${p.name}`.toLowerCase())
            ),
            components: committed.map((c) => ({ type: c.componentType, fullName: c.fullName }))
        };
        this.lastDeployed = deployed;
        this.opts.onDeployed?.(deployed);
    }

    /** The id a deployed class or trigger has (or gets), for test results and coverage. */
    private idOfApex(kind: 'class' | 'trigger', name: string): string | null {
        const type = kind === 'class' ? 'ApexClass' : 'ApexTrigger';
        const key = `${type}#${name}`.toLowerCase();
        let id = this.componentIds.get(key);
        if (!id) {
            id = IdGenerator.make(COMPONENT_KEY_PREFIX[type]!, this.componentIds.size + 1);
            this.componentIds.set(key, id);
        }
        return id;
    }

    private keyOf(component: CheckedComponent): string {
        return `${component.componentType}#${component.fullName}`.toLowerCase();
    }

    private ensureComponentId(component: CheckedComponent): string | null {
        const prefix = COMPONENT_KEY_PREFIX[component.componentType];
        if (!prefix) return null;
        const key = this.keyOf(component);
        let id = this.componentIds.get(key);
        if (!id) {
            id = IdGenerator.make(prefix, this.componentIds.size + 1);
            this.componentIds.set(key, id);
        }
        return id;
    }

    private resultBody(record: DeployRecord, includeDetails: boolean): Record<string, unknown> {
        const done = record.status !== 'Pending' && record.status !== 'InProgress';
        const real = record.components.filter((c) => !c.isManifest);
        const failedCount = real.filter((c) => c.problems.length > 0).length;
        return {
            id: record.id,
            canceledBy: null,
            canceledByName: null,
            checkOnly: record.options.checkOnly,
            completedDate: iso(record.completedDate),
            createdBy: this.opts.userId,
            createdByName: this.opts.userName ?? 'Emulator User',
            createdDate: iso(record.createdDate),
            details: includeDetails && done ? this.details(record) : null,
            done,
            errorMessage: record.errorMessage,
            errorStatusCode: record.errorStatusCode,
            ignoreWarnings: record.options.ignoreWarnings,
            lastModifiedDate: iso(record.lastModifiedDate),
            numberComponentErrors: failedCount,
            numberComponentsDeployed: done ? real.length - failedCount : 0,
            numberComponentsTotal: real.length,
            numberTestErrors: record.tests?.numberTestErrors ?? 0,
            numberTestsCompleted: done ? (record.tests?.numberTestsTotal ?? 0) : 0,
            numberTestsTotal: record.tests?.numberTestsTotal ?? 0,
            rollbackOnError: record.options.rollbackOnError,
            runTestsEnabled: record.tests !== undefined,
            startDate: iso(record.startDate),
            stateDetail: null,
            status: record.status,
            success: record.status === 'Succeeded' || record.status === 'SucceededPartial'
        };
    }

    private details(record: DeployRecord): Record<string, unknown> {
        const createdDate = iso(record.completedDate);
        const componentSuccesses: Record<string, unknown>[] = [];
        const componentFailures: Record<string, unknown>[] = [];
        for (const component of record.components) {
            const base = {
                componentType: component.componentType,
                createdDate,
                deleted: false,
                fileName: component.fileName,
                fullName: component.fullName
            };
            const errors = component.problems;
            const state = record.states.get(component);
            if (state) {
                componentSuccesses.push({ ...base, ...state, success: true });
                continue;
            }
            for (const error of errors) {
                componentFailures.push({
                    ...base,
                    fileName: error.fileName ?? component.fileName,
                    changed: false,
                    columnNumber: error.columnNumber ?? null,
                    created: false,
                    id: null,
                    lineNumber: error.lineNumber ?? null,
                    problem: error.problem,
                    problemType: error.problemType,
                    success: false
                });
            }
        }
        return {
            componentFailures,
            componentSuccesses,
            retrieveResult: null,
            runTestResult: record.tests?.runTestResult ?? {
                codeCoverage: [],
                codeCoverageWarnings: [],
                failures: [],
                numFailures: 0,
                numTestsRun: 0,
                successes: [],
                totalTime: 0
            }
        };
    }

    private existsInSchema(component: CheckedComponent): boolean {
        if (component.componentType === 'CustomObject') return this.opts.schema.objectExists(component.fullName);
        if (component.componentType === 'CustomField') {
            const [object = '', field = ''] = component.fullName.split('.');
            return this.opts.schema.fieldExists(object, field);
        }
        return false;
    }
}
