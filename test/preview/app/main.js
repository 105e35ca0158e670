/* global window, document */
// The preview page: the Opportunity record page (header with the Send to CLM action, legal's status card)
// and the admin console, built from the package's real components.
import { createElement } from 'lwc';
import ClmContractStatus from 'c/clmContractStatus';
import ClmSendToClm from 'c/clmSendToClm';
import ClmSyncHealth from 'c/clmSyncHealth';
import ClmConflictQueue from 'c/clmConflictQueue';
import ClmRuleMatrix from 'c/clmRuleMatrix';

const config = window.PREVIEW;

function mount(tag, constructor, target, props = {}) {
    const element = createElement(tag, { is: constructor });
    Object.assign(element, props);
    document.querySelector(target).appendChild(element);
    return element;
}

function showToast(event) {
    const toast = document.querySelector('#toast');
    toast.textContent = `${event.detail.title}${event.detail.message ? ': ' + event.detail.message : ''}`;
    toast.dataset.variant = event.detail.variant || 'info';
    toast.hidden = false;
}
document.addEventListener('lightning__showtoast', showToast);

if (config.page === 'record') {
    mount('c-clm-contract-status', ClmContractStatus, '#sidebar', {
        recordId: config.recordId,
        objectApiName: 'Opportunity'
    });
    document.querySelector('#send-to-clm').addEventListener('click', () => {
        const modal = document.querySelector('#action-modal');
        modal.hidden = false;
        const action = mount('c-clm-send-to-clm', ClmSendToClm, '#action-modal .slot', {
            objectApiName: 'Opportunity'
        });
        action.recordId = config.recordId;
        action.addEventListener('close', () => {
            action.remove();
            modal.hidden = true;
        });
    });
} else {
    mount('c-clm-sync-health', ClmSyncHealth, '#main');
    mount('c-clm-conflict-queue', ClmConflictQueue, '#main');
    mount('c-clm-rule-matrix', ClmRuleMatrix, '#sidebar');
}
