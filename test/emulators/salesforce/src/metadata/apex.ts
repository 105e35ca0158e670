// Apex classes and triggers are compiled on deploy; the emulator goes as far as a real parser can: syntax
// (@apexdevtools/apex-parser, the grammar the Apex language server uses), the declared name against the file
// name, for triggers the object they are on, and the inline SOQL each contains (checked in soql.ts).
import type { ApexParseTree, SoqlLiteralContext } from '@apexdevtools/apex-parser';
import {
    ApexErrorListener,
    ApexParseTreeWalker,
    ApexParserBaseListener,
    ApexParserFactory
} from '@apexdevtools/apex-parser';
import type { Problem } from './model.ts';

/** A `[SELECT …]` in Apex source: the query text and where it starts. */
export interface InlineSoql {
    text: string;
    line: number;
    column: number;
}

class SoqlCollector extends ApexParserBaseListener {
    readonly found: InlineSoql[] = [];

    constructor(private readonly source: string) {
        super();
    }

    enterSoqlLiteral = (ctx: SoqlLiteralContext): void => {
        const query = ctx.query();
        this.found.push({
            text: this.source.slice(query.start.start, (query.stop ?? query.start).stop + 1),
            line: ctx.start.line,
            column: ctx.start.column + 1
        });
    };
}

function inlineSoql(tree: ApexParseTree, source: string): InlineSoql[] {
    const collector = new SoqlCollector(source);
    ApexParseTreeWalker.DEFAULT.walk(collector, tree);
    return collector.found;
}

class CollectingListener extends ApexErrorListener {
    readonly problems: Problem[] = [];

    apexSyntaxError(line: number, column: number, msg: string): void {
        // ANTLR lists every expected token ("expecting {…}"); that runs to kilobytes, the first part says enough.
        const expecting = msg.indexOf(' expecting {');
        const message = (expecting > 0 ? msg.slice(0, expecting) : msg).slice(0, 200);
        this.problems.push({
            problem: `Syntax error: ${message}`,
            problemType: 'Error',
            lineNumber: line,
            columnNumber: column + 1
        });
    }
}

export interface ApexCheck {
    problems: Problem[];
    /** The inline SOQL of a class or trigger that parsed. */
    soql: InlineSoql[];
}

export function checkApexClass(fullName: string, source: string): ApexCheck {
    const listener = new CollectingListener();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    const unit = parser.compilationUnit();
    if (listener.problems.length > 0) return { problems: listener.problems.slice(0, 1), soql: [] };
    const declaration = unit.typeDeclaration();
    const declared =
        declaration.classDeclaration()?.id().getText() ??
        declaration.interfaceDeclaration()?.id().getText() ??
        declaration.enumDeclaration()?.id().getText();
    if (declared !== undefined && declared.toLowerCase() !== fullName.toLowerCase()) {
        const token = declaration.start;
        const problem = `The type name ${declared} does not match the file name ${fullName}`;
        return {
            problems: [{ problem, problemType: 'Error', lineNumber: token.line, columnNumber: token.column + 1 }],
            soql: []
        };
    }
    return { problems: [], soql: inlineSoql(unit, source) };
}

export interface TriggerCheck extends ApexCheck {
    /** The sObject the trigger is on, when the source parsed. */
    objectName?: string;
    objectPosition?: { line: number; column: number };
}

export function checkApexTrigger(fullName: string, source: string): TriggerCheck {
    const listener = new CollectingListener();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    const unit = parser.triggerUnit();
    if (listener.problems.length > 0) return { problems: listener.problems.slice(0, 1), soql: [] };
    const [nameId, objectId] = unit.id_list();
    const problems: Problem[] = [];
    if (nameId && nameId.getText().toLowerCase() !== fullName.toLowerCase()) {
        problems.push({
            problem: `The trigger name ${nameId.getText()} does not match the file name ${fullName}`,
            problemType: 'Error',
            lineNumber: nameId.start.line,
            columnNumber: nameId.start.column + 1
        });
    }
    return {
        problems,
        soql: inlineSoql(unit, source),
        objectName: objectId?.getText(),
        objectPosition: objectId ? { line: objectId.start.line, column: objectId.start.column + 1 } : undefined
    };
}
