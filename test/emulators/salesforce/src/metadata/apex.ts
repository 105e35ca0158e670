// Apex classes and triggers are compiled on deploy; the emulator goes as far as a real parser can: syntax
// (@apexdevtools/apex-parser, the grammar the Apex language server uses), the declared name against the file
// name, and for triggers the object they are on.
import { ApexErrorListener, ApexParserFactory } from '@apexdevtools/apex-parser';
import type { Problem } from './model.ts';

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

export function checkApexClass(fullName: string, source: string): Problem[] {
    const listener = new CollectingListener();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    const unit = parser.compilationUnit();
    if (listener.problems.length > 0) return listener.problems.slice(0, 1);
    const declaration = unit.typeDeclaration();
    const declared =
        declaration.classDeclaration()?.id().getText() ??
        declaration.interfaceDeclaration()?.id().getText() ??
        declaration.enumDeclaration()?.id().getText();
    if (declared !== undefined && declared.toLowerCase() !== fullName.toLowerCase()) {
        const token = declaration.start;
        return [
            {
                problem: `The type name ${declared} does not match the file name ${fullName}`,
                problemType: 'Error',
                lineNumber: token.line,
                columnNumber: token.column + 1
            }
        ];
    }
    return [];
}

export interface TriggerCheck {
    problems: Problem[];
    /** The sObject the trigger is on, when the source parsed. */
    objectName?: string;
    objectPosition?: { line: number; column: number };
}

export function checkApexTrigger(fullName: string, source: string): TriggerCheck {
    const listener = new CollectingListener();
    const { parser } = ApexParserFactory.createLexerAndParser(source, listener);
    const unit = parser.triggerUnit();
    if (listener.problems.length > 0) return { problems: listener.problems.slice(0, 1) };
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
        objectName: objectId?.getText(),
        objectPosition: objectId ? { line: objectId.start.line, column: objectId.start.column + 1 } : undefined
    };
}
