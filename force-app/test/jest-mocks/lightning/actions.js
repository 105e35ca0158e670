/** Test double for lightning/actions: the event a screen quick action dispatches to close itself. */
export class CloseActionScreenEvent extends CustomEvent {
    constructor() {
        super('close');
    }
}
