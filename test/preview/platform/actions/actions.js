/* global CustomEvent */
// Preview stand-in for lightning/actions: the event a screen quick action sends to close itself.
export class CloseActionScreenEvent extends CustomEvent {
    constructor() {
        super('close', { bubbles: true, composed: true });
    }
}
