// The org's Apex on deploy and at start: a deploy compiles its classes and triggers together with those already
// deployed (a single error fails the deploy, which then changes nothing); an org started with metadataDirs
// compiles and runs the package's Apex without a deploy call.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { CheckedComponent, DeployedObject, Problem } from '../metadata/model.ts';
import { applyDeployedObjects } from '../schema/deployed-objects.ts';
import type { ApexTriggerHook, Org } from '../org.ts';
import {
    activeProgram,
    compileApex,
    deferProgram,
    installProgram,
    type ApexProgram,
    type ApexSource
} from './index.ts';
import type { CompiledProgram } from './program.ts';

function sourceOf(c: CheckedComponent): ApexSource {
    return {
        name: c.fullName,
        kind: c.componentType === 'ApexClass' ? 'class' : 'trigger',
        fileName: c.fileName,
        body: c.apexSource ?? ''
    };
}

/** Makes `program` the org's: its triggers run on every write, its event triggers after commit. */
export function activate(org: Org, program: CompiledProgram): void {
    (activeProgram(org) as CompiledProgram | undefined)?.uninstall();
    program.install();
    installProgram(org, program);
}

/** The org as the deploy would leave its schema: the same data, a copy of the schema with the deploy's objects. */
function withDeployedSchema(org: Org, objects: DeployedObject[]): Org {
    if (objects.length === 0) return org;
    const schema = org.schema.clone();
    applyDeployedObjects(schema, objects);
    const view = Object.create(org) as Org;
    Object.defineProperty(view, 'schema', { value: schema });
    return view;
}

export function compileDeployedApex(
    org: Org,
    components: CheckedComponent[],
    objects: DeployedObject[] = []
): { problems: Map<string, Problem[]>; install: () => void; program?: ApexProgram } {
    const deployed = components.map(sourceOf);
    const key = (s: ApexSource): string => `${s.kind}#${s.name}`.toLowerCase();
    const replaced = new Set(deployed.map(key));
    const existing = (activeProgram(org)?.sources() ?? []).filter((s) => !replaced.has(key(s)));
    const sources = [...existing, ...deployed];
    // Checked (and the deploy's tests run) against the schema the deploy leaves; the program the org then runs is
    // compiled again against the org itself once the deploy's objects are committed (parse trees are cached).
    const result = compileApex(withDeployedSchema(org, objects), sources);
    const problems = new Map<string, Problem[]>();
    for (const p of result.problems) {
        const k = `${p.componentType}#${p.componentName}`.toLowerCase();
        problems.set(k, [
            ...(problems.get(k) ?? []),
            { problem: p.problem, problemType: 'Error', lineNumber: p.line, columnNumber: p.column }
        ]);
    }
    // A problem in an already-deployed class the new code broke is reported on the first deployed component.
    const unplaced = result.problems.filter(
        (p) =>
            !replaced.has(`${p.componentType === 'ApexClass' ? 'class' : 'trigger'}#${p.componentName}`.toLowerCase())
    );
    if (unplaced.length > 0 && components[0]) {
        const k = `${components[0].componentType}#${components[0].fullName}`.toLowerCase();
        problems.set(k, [
            ...(problems.get(k) ?? []),
            ...unplaced.map((p) => ({
                problem: `${p.componentName}: ${p.problem}`,
                problemType: 'Error' as const,
                lineNumber: p.line,
                columnNumber: p.column
            }))
        ]);
    }
    return {
        problems,
        install: () => {
            if (!result.program) return;
            const installed = objects.length === 0 ? result : compileApex(org, sources);
            if (installed.program) activate(org, installed.program as CompiledProgram);
        },
        program: result.program
    };
}

function walk(dir: string, out: string[] = []): string[] {
    for (const f of readdirSync(dir)) {
        const p = path.join(dir, f);
        if (statSync(p).isDirectory()) walk(p, out);
        else if (f.endsWith('.cls') || f.endsWith('.trigger')) out.push(p);
    }
    return out;
}

/** The classes and triggers under metadata directories (SFDX source), as the deploy would send them. */
export function apexSourcesIn(dirs: string[]): ApexSource[] {
    return dirs.flatMap((dir) =>
        walk(dir).map((file) => ({
            name: path.basename(file).replace(/\.(cls|trigger)$/, ''),
            kind: file.endsWith('.cls') ? ('class' as const) : ('trigger' as const),
            fileName: path.relative(path.dirname(dir), file),
            body: readFileSync(file, 'utf8')
        }))
    );
}

/** The objects the triggers among `sources` are on (read from each trigger's header, before any parsing). */
function triggerObjects(sources: ApexSource[]): Set<string> {
    const out = new Set<string>();
    for (const s of sources) {
        if (s.kind !== 'trigger') continue;
        const m = /\btrigger\s+\w+\s+on\s+(\w+)/i.exec(s.body.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''));
        if (m) out.add(m[1]!.toLowerCase());
    }
    return out;
}

/**
 * Loads the Apex of the org's metadataDirs: compiled and activated on first need — the first write to an object
 * with a trigger, the first committed event of a triggered platform event, or the first activeProgram() call —
 * so an org that never runs Apex does not pay for the parser. A package that does not compile fails that first
 * use with every problem.
 */
export function loadPackageApex(org: Org): void {
    const sources = apexSourcesIn(org.options.metadataDirs);
    if (sources.length === 0) return;
    const triggered = triggerObjects(sources);
    let loaded = false;
    const load = (): void => {
        if (loaded) return;
        loaded = true;
        unsubscribe();
        const result = compileApex(org, sources);
        if (!result.program) {
            const lines = result.problems.map((p) => `${p.fileName}:${p.line}:${p.column}: ${p.problem}`);
            throw new Error(`The package's Apex does not compile:\n${lines.join('\n')}`);
        }
        activate(org, result.program as CompiledProgram);
    };
    deferProgram(org, load);
    const onWrite =
        (when: 'before' | 'after'): ApexTriggerHook['before'] =>
        (ctx, def, op, rec, old) => {
            if (!triggered.has(def.name.toLowerCase())) return;
            load();
            org.apexTriggers?.[when](ctx, def, op, rec, old);
        };
    org.apexTriggers = { before: onWrite('before'), after: onWrite('after') };
    // The program's own listener, added during this notification, receives the same transaction.
    const unsubscribe = org.hook.subscribe((committed) => {
        if (committed.events.some((e) => triggered.has(e.sobject.toLowerCase()))) load();
    });
}
