import { LightningElement, api } from 'lwc';

// Preview stand-in for lightning-quick-action-panel (a platform component lightning-base-components
// does not ship): the SLDS modal header, body and footer around the action.
export default class QuickActionPanel extends LightningElement {
    @api header;
}
