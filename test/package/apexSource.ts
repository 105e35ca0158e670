// Parsing Apex with @apexdevtools/apex-parser (the grammar Salesforce's own tooling uses), for the checks here.
import {
    ApexErrorListener,
    ApexParserFactory,
    type CompilationUnitContext,
    type TriggerUnitContext
} from '@apexdevtools/apex-parser';

class CollectErrors extends ApexErrorListener {
    readonly errors: string[] = [];
    apexSyntaxError(line: number, column: number, message: string): void {
        // "expecting {...}" lists run to several KB; the position and the start say enough.
        this.errors.push(`${line}:${column} ${message.slice(0, 160)}`);
    }
}

export interface ParsedApex {
    tree: CompilationUnitContext | TriggerUnitContext;
    /** `line:column message` per syntax error; empty when the source parses. */
    errors: string[];
}

export function parseApex(source: string, kind: 'class' | 'trigger'): ParsedApex {
    const listener = new CollectErrors();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    const tree = kind === 'trigger' ? parser.triggerUnit() : parser.compilationUnit();
    return { tree, errors: listener.errors };
}
