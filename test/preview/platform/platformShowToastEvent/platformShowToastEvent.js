/* global CustomEvent */
// Preview stand-in for lightning/platformShowToastEvent: the page shows the toast itself.
export class ShowToastEvent extends CustomEvent {
    constructor(toast) {
        super('lightning__showtoast', { bubbles: true, composed: true, cancelable: true, detail: toast });
    }
}
