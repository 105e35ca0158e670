/* global window, document */
// The preview page: the Opportunity (or quote, or contract) record page — header with the Send to CLM action,
// legal's status card — and the admin console, built from the package's real components. Lightning Experience
// renders components in synthetic shadow, so the org's global SLDS stylesheet styles them; the preview does the same.
import '@lwc/synthetic-shadow';
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

const TOAST_THEME = { success: 'slds-theme_success', error: 'slds-theme_error', warning: 'slds-theme_warning' };

function showToast(event) {
    const toast = document.querySelector('#toast');
    toast.textContent = `${event.detail.title}${event.detail.message ? ': ' + event.detail.message : ''}`;
    toast.dataset.variant = event.detail.variant || 'info';
    toast.className = `slds-notify slds-notify_toast ${TOAST_THEME[event.detail.variant] || 'slds-theme_info'}`;
    toast.hidden = false;
}
document.addEventListener('lightning__showtoast', showToast);

const FOCUSABLE =
    'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Focusable elements under `root`, through the components' shadow trees, in document order. */
function focusableIn(root) {
    const found = [];
    for (const element of root.querySelectorAll('*')) {
        if (element.matches(FOCUSABLE) && element.getClientRects().length > 0) found.push(element);
        if (element.shadowRoot) found.push(...focusableIn(element.shadowRoot));
    }
    return found;
}

/** The element that really has focus, inside the shadow trees. */
function deepActiveElement() {
    let active = document.activeElement;
    while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
    return active;
}

/**
 * The platform's quick-action modal, as Lightning Experience runs it: it takes focus when it opens, keeps Tab inside,
 * closes on Escape, and gives focus back to the button that opened it.
 */
function openActionModal(opener) {
    const modal = document.querySelector('#action-modal');
    const dialog = modal.querySelector('[role="dialog"]');
    modal.hidden = false;
    const action = mount('c-clm-send-to-clm', ClmSendToClm, '#action-modal .slot', {
        objectApiName: config.objectApiName
    });
    action.recordId = config.recordId;
    const close = () => {
        dialog.removeEventListener('keydown', onKeydown);
        action.remove();
        modal.hidden = true;
        opener.focus();
    };
    function onKeydown(event) {
        if (event.key === 'Escape') {
            event.preventDefault();
            close();
        } else if (event.key === 'Tab') {
            const items = focusableIn(dialog);
            if (items.length === 0) return;
            const first = items[0];
            const last = items[items.length - 1];
            const active = deepActiveElement();
            if (event.shiftKey && (active === first || active === dialog)) {
                event.preventDefault();
                last.focus();
            } else if (!event.shiftKey && active === last) {
                event.preventDefault();
                first.focus();
            }
        }
    }
    dialog.addEventListener('keydown', onKeydown);
    action.addEventListener('close', close);
    dialog.focus();
}

if (config.page === 'record') {
    mount('c-clm-contract-status', ClmContractStatus, '#sidebar', {
        recordId: config.recordId,
        objectApiName: config.objectApiName
    });
    const send = document.querySelector('#send-to-clm');
    if (send) send.addEventListener('click', () => openActionModal(send));
} else {
    mount('c-clm-sync-health', ClmSyncHealth, '#main');
    mount('c-clm-conflict-queue', ClmConflictQueue, '#main');
    mount('c-clm-rule-matrix', ClmRuleMatrix, '#sidebar');
}
