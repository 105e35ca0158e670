import { LightningElement, api } from 'lwc';
import { reduceErrors } from 'c/clmLdsUtils';

/** The one way CLM components show errors: a short friendly line and the reasons, announced to screen readers. */
export default class ClmErrorPanel extends LightningElement {
    /** One error or a list (Apex, UI API, fetch or JS). */
    @api errors;
    /** What failed, in the user's words. */
    @api friendlyMessage = 'Something went wrong.';

    get messages() {
        return reduceErrors(this.errors);
    }

    get hasMessages() {
        return this.messages.length > 0;
    }
}
