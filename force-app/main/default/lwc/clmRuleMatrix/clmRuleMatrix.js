import { LightningElement } from 'lwc';
import getFieldRules from '@salesforce/apex/ClmAdminController.getFieldRules';

const DIRECTIONS = {
    SalesforceToClm: 'Salesforce → CLM',
    ClmToSalesforce: 'CLM → Salesforce',
    Bidirectional: 'Both ways',
    None: 'Not synced'
};
const POLICIES = {
    SalesforceWins: 'Salesforce wins',
    ClmWins: 'CLM wins',
    NewestWins: 'Newest wins',
    Manual: 'Manual review'
};

/**
 * Read-only matrix of the field rules (Clm_Field_Mapping__mdt): which side owns each field and how
 * two-way conflicts are settled. Rules are edited in Setup, without a deploy.
 */
export default class ClmRuleMatrix extends LightningElement {
    rules;
    error;
    loading = true;
    objectFilter = '';

    columns = [
        { label: 'Object', fieldName: 'objectApiName' },
        { label: 'Salesforce field', fieldName: 'field' },
        { label: 'CLM field', fieldName: 'clmField' },
        { label: 'Direction', fieldName: 'directionLabel' },
        { label: 'Conflict policy', fieldName: 'policyLabel' },
        { label: 'Transform', fieldName: 'transformKind' },
        { label: 'Enabled', fieldName: 'enabled', type: 'boolean' }
    ];

    async connectedCallback() {
        try {
            this.rules = await getFieldRules();
        } catch (error) {
            this.error = error;
        } finally {
            this.loading = false;
        }
    }

    handleObjectFilter(event) {
        this.objectFilter = event.detail.value;
    }

    get hasError() {
        return !this.loading && Boolean(this.error);
    }
    get ready() {
        return !this.loading && !this.error && Array.isArray(this.rules);
    }
    get isEmpty() {
        return this.ready && this.rules.length === 0;
    }
    get hasRules() {
        return this.ready && this.rules.length > 0;
    }
    get objectOptions() {
        const objects = [...new Set((this.rules || []).map((rule) => rule.objectApiName))].sort();
        return [{ label: 'All objects', value: '' }, ...objects.map((name) => ({ label: name, value: name }))];
    }
    get rows() {
        return (this.rules || [])
            .filter((rule) => !this.objectFilter || rule.objectApiName === this.objectFilter)
            .map((rule) => ({
                ...rule,
                directionLabel: DIRECTIONS[rule.direction] || rule.direction,
                policyLabel: rule.direction === 'Bidirectional' ? POLICIES[rule.conflictPolicy] || 'Not set' : '—'
            }));
    }
}
